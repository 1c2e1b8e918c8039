/**
 * Runs `fn` over `items` with at most `concurrency` in flight; stops starting new work once
 * `budgetMs` has passed (a bench stage must not run away on a slow machine) and says so.
 */
export async function pool<T, R>(
  items: readonly T[],
  opts: { concurrency: number; budgetMs: number },
  fn: (t: T, i: number) => Promise<R>,
): Promise<{ done: R[]; overran: boolean }> {
  const deadline = Date.now() + opts.budgetMs;
  const done: R[] = [];
  let next = 0;
  let overran = false;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < items.length) {
        if (Date.now() > deadline) {
          overran = true;
          return;
        }
        const i = next++;
        done.push(await fn(items[i]!, i));
      }
    }),
  );
  return { done, overran };
}
