import {
  type CreateKeyRequest,
  type CreateKeyResponse,
  ErrorCode,
  type JoinKeyInfo,
} from '@rtcmesh/protocol';
import { formatJoinKey, newJoinKeyId, newJoinKeySecret } from '../auth/join-key.js';
import { hashSecret } from '../auth/secrets.js';
import type { JoinKeyRow } from '../store/join-keys.js';
import type { ControlPlaneContext } from './context.js';
import { ControlPlaneError } from './errors.js';
import { keyInfo } from './views.js';

// Join keys: creating one (its secret is shown once, only its hash is stored), listing and revoking them.

export async function createKey(ctx: ControlPlaneContext, req: CreateKeyRequest): Promise<CreateKeyResponse> {
  const network = await ctx.controlPlane.requireNetwork(req.network);
  const id = newJoinKeyId();
  const secret = newJoinKeySecret();
  const now = Date.now();
  const row: JoinKeyRow = {
    id,
    networkId: network.id,
    secretHash: hashSecret(secret),
    reusable: req.reusable ?? false,
    description: req.description ?? null,
    createdAt: now,
    expiresAt: req.ttlSeconds === undefined ? null : now + req.ttlSeconds * 1000,
    revokedAt: null,
    uses: 0,
  };
  await ctx.store.joinKeys.insert(row);
  const info = keyInfo(row);
  ctx.cluster.publishFeed({ kind: 'key', action: 'created', key: info });
  ctx.log.info(
    { key: id, network: network.id, reusable: row.reusable, expiresAt: row.expiresAt },
    'join key created',
  );
  return { key: formatJoinKey(id, secret), info };
}

export async function listKeys(ctx: ControlPlaneContext, network?: string): Promise<JoinKeyInfo[]> {
  const networkId = network === undefined ? undefined : (await ctx.controlPlane.requireNetwork(network)).id;
  return (await ctx.store.joinKeys.list(networkId)).map(keyInfo);
}

export async function revokeKey(ctx: ControlPlaneContext, id: string): Promise<JoinKeyInfo> {
  const row = await ctx.store.joinKeys.get(id);
  if (!row) throw new ControlPlaneError(ErrorCode.NotFound, `no join key ${id}`, 404);
  await ctx.store.joinKeys.revoke(id, Date.now());
  const info = keyInfo((await ctx.store.joinKeys.get(id))!);
  ctx.cluster.publishFeed({ kind: 'key', action: 'revoked', key: info });
  return info;
}
