import type { NetworkInfo, PeerInfo } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { NetworkLock, type NetworkLockStore } from '../links/network-lock.js';
import { SignedPolicyGate, type SignedPolicyStore } from '../policy/signed-policy.js';

export interface NetworkTrustOptions {
  /** The first configuration's network: its id, and the lock keys the server announces. */
  network: Pick<NetworkInfo, 'id' | 'lockKeys' | 'lockDisabled'>;
  /** Where the pins and the last signed policy are kept (the state directory). */
  keyStore: NetworkLockStore & SignedPolicyStore;
  /** `--lock-key`: operator keys this node trusts whatever the server says. */
  lockKeys?: readonly string[] | undefined;
  /** The access policy (policy/enforcer.ts): a locked network's policy must be signed. */
  policy: { setGate(gate: SignedPolicyGate): void };
  /** The peers, judged again when the pins change (links/peer-links.ts); absent before the links exist. */
  peers: () => { list(): readonly { info: PeerInfo }[]; upsert(peer: PeerInfo): void } | undefined;
  logger: Logger;
}

/**
 * Which peers and which policy this node trusts: the network lock's pinned operator keys
 * (links/network-lock.ts), which admit peers, and the signed policy gate they vouch for
 * (policy/signed-policy.ts).
 */
export class NetworkTrust {
  readonly #o: NetworkTrustOptions;
  readonly #lock: NetworkLock;

  constructor(options: NetworkTrustOptions) {
    this.#o = options;
    this.#lock = new NetworkLock(
      options.network.id,
      options.keyStore,
      options.logger.child({ component: 'lock' }),
    );
  }

  /** The pins loaded (`--lock-key` wins), the server's keys observed, then the policy gated. */
  async load(): Promise<void> {
    const o = this.#o;
    const lock = this.#lock;
    await lock.load(o.lockKeys ?? []);
    await lock.observe(o.network.lockKeys, o.network.lockDisabled);
    const gate = new SignedPolicyGate(
      o.network.id,
      () => lock.keys,
      o.keyStore,
      o.logger.child({ component: 'policy' }),
    );
    await gate.load();
    o.policy.setGate(gate);
  }

  /** Why links to `peer` are refused (its key lacks a pinned operator's signature), or null. */
  admit(peer: PeerInfo): string | null {
    return this.#lock.admit(peer);
  }

  /** The server's lock keys (pinned the first time) or a signed disablement (unpinned): then every peer is judged again. */
  async observe(network: Pick<NetworkInfo, 'lockKeys' | 'lockDisabled'>): Promise<void> {
    try {
      if (await this.#lock.observe(network.lockKeys, network.lockDisabled)) {
        const peers = this.#o.peers();
        for (const { info } of peers?.list() ?? []) peers?.upsert(info);
      }
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message }, 'cannot pin the network lock keys');
    }
  }
}
