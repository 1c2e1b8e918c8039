import { generateNodeKey, POLICY_DOMAIN, policyPayload, signDomain } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { type SignedPolicy, SignedPolicyGate, type SignedPolicyStore } from './signed-policy.js';

const NET = 'net-locked';
const operator = generateNodeKey();
const intruder = generateNodeKey();

class MemoryStore implements SignedPolicyStore {
  saved: SignedPolicy | null = null;
  async readSignedPolicy(): Promise<SignedPolicy | null> {
    return this.saved;
  }
  async writeSignedPolicy(_: string, signed: SignedPolicy): Promise<void> {
    this.saved = signed;
  }
}

const policy = (version: number, action: 'accept' | 'drop' = 'accept') => ({
  version,
  rules: [{ action, src: ['*'], dst: ['*'] }],
});
const sign = (key: string, p: object) => signDomain(key, POLICY_DOMAIN, policyPayload(NET, p));

async function gate(store: SignedPolicyStore, keys: string[] = [operator.publicKey]) {
  const g = new SignedPolicyGate(NET, () => keys, store, pino({ level: 'silent' }));
  await g.load();
  return g;
}

describe('a locked network’s policy gate', () => {
  test('an unlocked network takes every policy as the server sends it', async () => {
    const g = await gate(new MemoryStore(), []);
    expect(g.judge(policy(3), undefined)).toEqual({ accept: true, policy: policy(3) });
  });

  test('before any signed policy the unsigned one is enforced; after one, only signed ones of at least its version', async () => {
    const store = new MemoryStore();
    const g = await gate(store);
    expect(g.judge(policy(1), undefined)).toMatchObject({ accept: true });
    const v2 = policy(2, 'drop');
    expect(g.judge(v2, sign(operator.privateKey, v2))).toMatchObject({ accept: true });
    await expect.poll(() => store.saved?.policy.version).toBe(2);

    // What a compromised server can try: each leaves signed version 2 in force.
    const open = policy(3);
    for (const [p, sig, why] of [
      [open, undefined, /not signed/],
      [null, undefined, /no policy/],
      [open, sign(intruder.privateKey, open), /no pinned lock key/],
      [open, sign(operator.privateKey, policy(3, 'drop')), /no pinned lock key/],
      [policy(1), sign(operator.privateKey, policy(1)), /older than the signed version 2/],
    ] as const) {
      expect(g.judge(p, sig)).toMatchObject({
        accept: false,
        fallback: v2,
        reason: expect.stringMatching(why),
      });
    }
    // A newer signed policy replaces it.
    const v3 = policy(3, 'accept');
    expect(g.judge(v3, sign(operator.privateKey, v3))).toMatchObject({ accept: true, policy: v3 });
  });

  test('a restart remembers the signed policy: the server cannot swap it for an unsigned one then', async () => {
    const store = new MemoryStore();
    const v4 = policy(4, 'drop');
    (await gate(store)).judge(v4, sign(operator.privateKey, v4));
    await expect.poll(() => store.saved?.policy.version).toBe(4);
    const after = await gate(store);
    expect(after.signed?.policy).toEqual(v4);
    expect(after.judge(policy(5), undefined)).toMatchObject({ accept: false, fallback: v4 });
  });
});
