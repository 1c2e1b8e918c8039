import { randomBytes } from 'node:crypto';
import {
  type ClientMessage,
  CloseCode,
  ErrorCode,
  negotiateVersion,
  type ServerMessage,
  SUPPORTED_VERSIONS,
  verifyAuthChallenge,
} from '@rtcmesh/protocol';
import type { NodeRow, NodeStore } from '../store/nodes.js';

/** Between `challenge` and `auth`: what the client said in its hello and the nonce it must sign. */
export type AwaitingAuth = {
  kind: 'await-auth';
  nodeId: string;
  nonce: string;
  version: number;
  agentVersion?: string;
  helloAt: number;
};

export type HelloAnswer =
  | { ok: true; state: AwaitingAuth; challenge: Extract<ServerMessage, { type: 'challenge' }> }
  | { ok: false; code: ErrorCode; message: string; closeCode: number };

/** The answer to a `hello`: a challenge in the negotiated version, or why the session must close. */
export function answerHello(msg: Extract<ClientMessage, { type: 'hello' }>): HelloAnswer {
  const version = negotiateVersion(msg.versions);
  if (version === null) {
    return {
      ok: false,
      code: ErrorCode.UnsupportedVersion,
      message: `no common protocol version: server speaks ${JSON.stringify(SUPPORTED_VERSIONS)}, client offered ${JSON.stringify(msg.versions)}`,
      closeCode: CloseCode.UnsupportedVersion,
    };
  }
  const nonce = randomBytes(32).toString('base64url');
  return {
    ok: true,
    state: {
      kind: 'await-auth',
      nodeId: msg.nodeId,
      nonce,
      version,
      agentVersion: msg.agentVersion,
      helloAt: performance.now(),
    },
    // A challenge is sent even for unknown node ids, so ids cannot be probed without a key.
    challenge: { type: 'challenge', nonce, version },
  };
}

/** What the handshake reads of the nodes. */
export type AuthNodes = { nodes: Pick<NodeStore, 'get' | 'isKeyRevoked' | 'revokedKeyOf'> };

/**
 * Whether `signature` answers the challenge for the node: `ok` with the node, `removed` when it is
 * signed by the key of a node an admin removed, else `failed`.
 */
export async function verifyAuth(
  store: AuthNodes,
  st: AwaitingAuth,
  signature: string,
): Promise<{ kind: 'ok'; node: NodeRow } | { kind: 'removed' } | { kind: 'failed' }> {
  const node = await store.nodes.get(st.nodeId);
  const ok =
    node !== undefined &&
    !(await store.nodes.isKeyRevoked(node.publicKey)) &&
    verifyAuthChallenge(
      node.publicKey,
      { nodeId: st.nodeId, nonce: st.nonce, version: st.version },
      signature,
    );
  const params = { nodeId: st.nodeId, nonce: st.nonce, version: st.version };
  const removedKey = node ? undefined : await store.nodes.revokedKeyOf(st.nodeId);
  // Only the real holder of a removed node's key learns it was removed, so its agent stops retrying.
  if (removedKey && verifyAuthChallenge(removedKey, params, signature)) return { kind: 'removed' };
  // One answer for unknown node, removed node and bad signature: nothing to learn from it.
  if (!node || !ok) return { kind: 'failed' };
  return { kind: 'ok', node };
}
