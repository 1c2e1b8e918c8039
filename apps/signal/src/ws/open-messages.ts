import { type ClientMessage, ErrorCode } from '@rtcmesh/protocol';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import type { SessionDeps } from './session.js';
import type { SessionSocket } from './session-socket.js';
import { relaySignal } from './signal-relay.js';

/** An authenticated session's node, network and protocol version. */
export type OpenSession = { kind: 'open'; nodeId: string; networkId: string; version: number };

/** What the handlers use: the mesh's operations, the server's parts, the session's socket. */
export type OpenMessageContext = {
  controlPlane: ControlPlane;
  deps: SessionDeps;
  out: Pick<SessionSocket, 'send' | 'error'>;
};

/**
 * Handles one message of an authenticated session. Returns the promise of a handler that takes a
 * while (database), undefined for one that is done; may throw or reject (the session answers it).
 */
export function handleOpenMessage(
  { controlPlane, deps, out }: OpenMessageContext,
  st: OpenSession,
  msg: ClientMessage,
): Promise<void> | undefined {
  switch (msg.type) {
    case 'hello':
    case 'auth':
      out.error(ErrorCode.ProtocolViolation, 'session is already authenticated', msg.id);
      return;
    case 'signal':
      return relaySignal(deps, out, st, msg);
    case 'advertise':
      return controlPlane.advertise(st.nodeId, msg);
    case 'telemetry':
      controlPlane.recordTelemetry(st.nodeId, st.networkId, msg.links, {
        ...(msg.partial ? { partial: true } : {}),
        ...(msg.gone ? { gone: msg.gone } : {}),
      });
      return;
    case 'event':
      controlPlane.recordAgentEvent(st.nodeId, st.networkId, msg.event);
      return;
    case 'status':
      if (msg.netcheck) return controlPlane.setNetcheck(st.nodeId, msg.netcheck);
      return;
    case 'ping':
      out.send({ type: 'pong', ts: msg.ts, serverTime: Date.now() });
      return;
    case 'rekey':
      return rekey(controlPlane, out, st.nodeId, msg.publicKey, msg.signature, msg.id);
    case 'browser-signal':
      // Only the node the offer went to can answer it; anything else is a stale or forged link id.
      if (!deps.browserLinks?.answer(st.nodeId, msg))
        out.error(ErrorCode.PeerNotFound, `no browser link ${msg.linkId} for this node`, msg.id);
      return;
  }
}

async function rekey(
  controlPlane: ControlPlane,
  out: OpenMessageContext['out'],
  nodeId: string,
  publicKey: string,
  signature: string,
  ref?: string,
): Promise<void> {
  try {
    await controlPlane.rekey(nodeId, publicKey, signature);
    out.send({ type: 'rekeyed', publicKey, ...(ref ? { ref } : {}) });
  } catch (err) {
    if (!(err instanceof ControlPlaneError)) throw err;
    out.error(err.code, err.message, ref);
  }
}
