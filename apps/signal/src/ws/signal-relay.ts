import { type ClientMessage, ErrorCode } from '@rtcmesh/protocol';
import type { SessionDeps } from './session.js';
import type { SessionSocket } from './session-socket.js';

/** The sender of a signal: an authenticated session. */
export type SignalSender = { nodeId: string; networkId: string };

/**
 * Delivers a `signal` to its recipient: to its session on this instance, or through the bus to the
 * instance it is on. When neither has it, the sender is told why (returns that answer's promise).
 */
export function relaySignal(
  deps: Pick<SessionDeps, 'hub' | 'cluster' | 'metrics' | 'store'>,
  out: Pick<SessionSocket, 'error'>,
  st: SignalSender,
  msg: Extract<ClientMessage, { type: 'signal' }>,
): Promise<void> | undefined {
  const to = msg.to;
  const ref = msg.id;
  const target = deps.hub.get(to);
  if (to === st.nodeId) return relayFailed(deps, out, st, to, ref);
  if (target && target.networkId === st.networkId) {
    // `from` comes from the authenticated session, never from the client.
    target.sendRaw(JSON.stringify({ type: 'signal', from: st.nodeId, data: msg.data }));
    deps.metrics.relayed.inc();
    return;
  }
  // On another instance: one publish to that instance, found in the in-memory presence directory.
  if (
    !target &&
    deps.cluster.relay(st.networkId, to, JSON.stringify({ type: 'signal', from: st.nodeId, data: msg.data }))
  ) {
    deps.metrics.relayedOut.inc();
    return;
  }
  return relayFailed(deps, out, st, to, ref);
}

/** Off the hot path: tells the sender why a signal could not be delivered. */
async function relayFailed(
  deps: Pick<SessionDeps, 'store'>,
  out: Pick<SessionSocket, 'error'>,
  st: SignalSender,
  to: string,
  ref?: string,
): Promise<void> {
  const node = to === st.nodeId ? undefined : await deps.store.nodes.get(to);
  // Nodes of other networks are reported exactly like nodes that do not exist.
  if (!node || node.networkId !== st.networkId) {
    out.error(ErrorCode.PeerNotFound, `no peer ${to} in this network`, ref);
    return;
  }
  out.error(ErrorCode.PeerOffline, `peer ${to} is offline`, ref);
}
