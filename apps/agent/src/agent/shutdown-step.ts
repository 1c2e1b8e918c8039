import type { Logger } from 'pino';

/**
 * One step of stopping, bounded: a peer or a socket that never answers must not keep a stopping agent
 * (systemd's stop timeout, an admin's removal) waiting. A step that times out or fails is said, and
 * the next one runs.
 */
export async function shutdownStep(
  log: Logger,
  what: string,
  p: Promise<unknown> | undefined,
  ms = 3000,
): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    if ((await Promise.race([p, timeout])) === 'timeout')
      log.warn({ step: what, ms }, 'shutdown step timed out');
  } catch (err) {
    log.warn({ step: what, err: (err as Error).message }, 'shutdown step failed');
  } finally {
    clearTimeout(timer);
  }
}
