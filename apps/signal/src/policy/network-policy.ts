import { type PolicyIssue, validatePolicy } from '@rtcmesh/policy';
import {
  ErrorCode,
  type NodeSummary,
  type PolicyDocumentWire,
  type PolicyResponse,
  type PolicySignatureRequest,
  verifyPolicySignature,
} from '@rtcmesh/protocol';
import type { ControlPlaneContext } from '../control-plane/context.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import { reapplyAutoApprovers } from '../routes/route-approval.js';

/** A policy body the schema refused: answered 400 with every issue (path + message) for the editor. */
export class PolicyInvalidError extends ControlPlaneError {
  constructor(readonly issues: PolicyIssue[]) {
    super(
      ErrorCode.InvalidMessage,
      `invalid policy: ${issues
        .slice(0, 3)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`,
    );
  }
}

/** The stored policy of a network (version 0, empty = allow everything, when none was written). */
export async function getNetworkPolicy(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
): Promise<PolicyResponse> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  const row = await ctx.store.policies.get(network.id);
  return {
    networkId: network.id,
    policy: (row?.document as PolicyDocumentWire | undefined) ?? { version: 0 },
    updatedAt: row?.updatedAt ?? null,
    ...(row?.signature ? { signature: row.signature } : {}),
  };
}

/** What `welcome` carries: the network's policy (and its signature), or nothing when none was written. */
export async function welcomePolicy(
  store: Pick<ControlPlaneContext['store'], 'policies'>,
  networkId: string,
): Promise<{ policy?: PolicyDocumentWire; policySignature?: string }> {
  const row = await store.policies.get(networkId);
  if (!row) return {};
  return {
    policy: row.document as PolicyDocumentWire,
    ...(row.signature ? { policySignature: row.signature } : {}),
  };
}

/**
 * Locked networks: attaches an operator's signature (`rtcmesh-signal lock sign-policy`) to the stored
 * policy, checked against the network's lock keys, and pushes the signed policy to every session.
 * Agents of a locked network enforce only signed policies, so a policy written through the server
 * alone (or by whoever controls it) changes nothing until an operator signs it.
 */
export async function signNetworkPolicy(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
  req: PolicySignatureRequest,
): Promise<PolicyResponse> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  if (!network.lockKeys?.length)
    throw new ControlPlaneError(
      ErrorCode.Conflict,
      `network ${network.name} is not locked: its agents enforce the policy unsigned`,
      409,
    );
  const r = await ctx.store.transaction(async (tx) => {
    await tx.networks.lock(network.id);
    const row = await tx.policies.get(network.id);
    if (!row || row.version !== req.version) return { ok: false as const, current: row?.version ?? 0 };
    if (!verifyPolicySignature(network.lockKeys!, network.id, row.document, req.signature))
      throw new ControlPlaneError(
        ErrorCode.InvalidMessage,
        `signature: not a signature of policy version ${row.version} of ${network.name} by one of its lock keys`,
      );
    await tx.policies.setSignature(network.id, req.version, req.signature);
    return { ok: true as const };
  });
  if (!r.ok)
    throw new ControlPlaneError(
      ErrorCode.Conflict,
      `the policy changed meanwhile: you signed version ${req.version}, the server has ${r.current}; sign again`,
      409,
    );
  const stored = await getNetworkPolicy(ctx, network.id);
  ctx.cluster.broadcast(network.id, {
    type: 'policy',
    policy: stored.policy,
    ...(stored.signature ? { signature: stored.signature } : {}),
  });
  ctx.log.info({ network: network.id, version: req.version }, 'access policy signed');
  return stored;
}

/**
 * Replaces a network's policy. `body.version` must be the version being edited (0 for the first):
 * a concurrent edit answers 409 and nothing changes. The server assigns version + 1, then pushes the
 * new policy to every session of the network.
 */
export async function putNetworkPolicy(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
  body: unknown,
): Promise<PolicyResponse> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  const v = validatePolicy(body);
  if (!v.ok) throw new PolicyInvalidError(v.issues);
  const policy = v.policy;
  const version = policy.version;
  if (version === undefined)
    throw new PolicyInvalidError([
      { path: 'version', message: 'say which version you edit (GET it first; 0 when there is none)' },
    ]);
  // The network's row lock makes check-and-write one step across instances (PostgreSQL).
  const r = await ctx.store.transaction(async (tx) => {
    await tx.networks.lock(network.id);
    return tx.policies.replace(network.id, version, policy, Date.now());
  });
  if (!r.ok)
    throw new ControlPlaneError(
      ErrorCode.Conflict,
      `the policy changed meanwhile: you edited version ${version}, the server has ${r.current}; reload and retry`,
      409,
    );
  const stored = await getNetworkPolicy(ctx, network.id);
  ctx.cluster.broadcast(network.id, { type: 'policy', policy: stored.policy });
  ctx.log.info({ network: network.id, version: r.version }, 'access policy updated');
  // New autoApprovers approve the routes they cover that are waiting.
  await reapplyAutoApprovers(ctx, network.id);
  return stored;
}

/** Sets a node's tags; its peers hear it in `peer-updated`, the node itself in a `config`. */
export async function setNodeTags(
  ctx: ControlPlaneContext,
  nodeIdOrName: string,
  tags: readonly string[],
  inNetwork?: string,
): Promise<NodeSummary> {
  const node = await ctx.controlPlane.requireNode(nodeIdOrName, inNetwork);
  const unique = [...new Set(tags)].sort();
  await ctx.store.nodeTags.set(node.id, unique);
  const summary =
    (await ctx.controlPlane.announceUpdate(node.id, { toSelf: true })) ??
    (await ctx.controlPlane.nodeSummary(await ctx.controlPlane.requireNode(node.id)));
  ctx.log.info({ node: node.id, tags: unique }, 'node tags set');
  return summary;
}
