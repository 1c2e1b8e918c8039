import { verifyPolicySignature } from '@rtcmesh/protocol';
import type { Logger } from 'pino';

export type SignedPolicy = { policy: { version: number } & Record<string, unknown>; signature: string };

export interface SignedPolicyStore {
  readSignedPolicy(networkId: string): Promise<SignedPolicy | null>;
  writeSignedPolicy(networkId: string, signed: SignedPolicy): Promise<void>;
}

/** What the enforcer should do with a policy the server sent. */
export type PolicyJudgement =
  | { accept: true; policy: unknown }
  /** Refused: enforce `fallback` instead (the last signed policy), and say why. */
  | { accept: false; fallback: SignedPolicy['policy'] | null; reason: string };

/**
 * A locked network's access policy must be signed by an operator lock key (`rtcmesh-signal lock
 * sign-policy`), or whoever controls the signaling server could rewrite who may reach whom. Once this
 * agent has seen one signed policy (kept in the state directory, so a restart does not forget it),
 * it enforces only signed policies of at least that version: an unsigned one, none at all, a forged
 * signature or an older signed one (a replay) leave the last signed one in force. Before the first
 * signed policy, an unsigned one is enforced with a warning: never less than before the network was
 * locked. Unlocked networks: every policy is taken as the server sends it.
 */
export class SignedPolicyGate {
  private lastSigned: SignedPolicy | null = null;
  private loaded = false;

  constructor(
    private readonly networkId: string,
    private readonly lockKeys: () => readonly string[],
    private readonly store: SignedPolicyStore,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    this.lastSigned = await this.store.readSignedPolicy(this.networkId);
    this.loaded = true;
  }

  /** The signed policy in force from the state directory, if any (enforced before the server speaks). */
  get signed(): SignedPolicy | null {
    return this.lastSigned;
  }

  judge(policy: unknown, signature: string | undefined): PolicyJudgement {
    const keys = this.lockKeys();
    if (!this.loaded || keys.length === 0) return { accept: true, policy };
    const version = policyVersion(policy);
    if (policy !== null && signature !== undefined && version !== null) {
      if (!verifyPolicySignature(keys, this.networkId, policy, signature))
        return this.refuse(`policy version ${version} carries a signature by no pinned lock key`);
      if (this.lastSigned && version < this.lastSigned.policy.version)
        return this.refuse(
          `policy version ${version} is older than the signed version ${this.lastSigned.policy.version} in force (a replay?)`,
        );
      const signed: SignedPolicy = { policy: policy as SignedPolicy['policy'], signature };
      if (this.lastSigned?.signature !== signature) {
        this.lastSigned = signed;
        this.store
          .writeSignedPolicy(this.networkId, signed)
          .catch((err: Error) =>
            this.log.error({ err: err.message }, 'cannot save the signed policy in the state directory'),
          );
      }
      return { accept: true, policy };
    }
    if (!this.lastSigned) {
      this.log.warn(
        { version },
        'locked network: the access policy is not signed by an operator key yet (rtcmesh-signal lock sign-policy); enforcing it until a signed one arrives',
      );
      return { accept: true, policy };
    }
    return this.refuse(
      policy === null
        ? 'the server sent no policy; a locked network keeps its last signed one'
        : `policy version ${version ?? '?'} is not signed by an operator lock key`,
    );
  }

  private refuse(reason: string): PolicyJudgement {
    this.log.error({ reason, inForce: this.lastSigned?.policy.version ?? null }, 'access policy refused');
    return { accept: false, fallback: this.lastSigned?.policy ?? null, reason };
  }
}

function policyVersion(policy: unknown): number | null {
  if (policy === null || typeof policy !== 'object') return null;
  const v = (policy as { version?: unknown }).version;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}
