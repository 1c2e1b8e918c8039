/**
 * Protocol version spoken on the WebSocket. The client offers every version it speaks in `hello`;
 * the server picks the highest one it also speaks and names it in `challenge`. Bump it when a
 * change is not backward compatible (a removed field, a changed meaning); additive, optional fields
 * do not need a bump because every schema ignores unknown keys.
 */
export const PROTOCOL_VERSION = 2;

/**
 * Versions this build of the package can speak, newest first.
 * - 2: a large `welcome` carries the first page of peers (`morePeers: true`) and `peers` messages
 *   bring the rest. A version-1 client still gets the whole list in one welcome.
 */
export const SUPPORTED_VERSIONS: readonly number[] = [2, 1];

/** Picks the highest version both sides speak, or null when there is none. */
export function negotiateVersion(
  offered: readonly number[],
  supported: readonly number[] = SUPPORTED_VERSIONS,
): number | null {
  let best: number | null = null;
  for (const v of offered) {
    if (supported.includes(v) && (best === null || v > best)) best = v;
  }
  return best;
}
