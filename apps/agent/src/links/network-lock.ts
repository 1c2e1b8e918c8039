import {
  type LockDisablement,
  type PeerInfo,
  verifyLockDisablement,
  verifyNodeKeySignature,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';

export interface NetworkLockStore {
  readLockPins(networkId: string): Promise<string[]>;
  writeLockPins(networkId: string, keys: string[]): Promise<void>;
}

/**
 * The agent's side of a locked network. The first lock keys it sees (or the ones given with
 * `--lock-key`) are pinned in the state directory; from then on every peer's node key must carry an
 * operator signature by a pinned key, and nothing the signaling server says later (other keys, no lock
 * at all) changes that. A compromised server can then neither add a node of its own nor swap a peer's
 * key: it has no operator key to sign with. Only an operator's signed disablement of exactly the pinned
 * keys (`rtcmesh-signal lock disable`) unpins them.
 */
export class NetworkLock {
  private pins: string[] = [];
  private warnedMismatch = false;

  constructor(
    private readonly networkId: string,
    private readonly store: NetworkLockStore,
    private readonly log: Logger,
  ) {}

  get keys(): readonly string[] {
    return this.pins;
  }

  /** Loads the pins, adding operator-provided keys (`--lock-key`), which always win. */
  async load(provisioned: readonly string[]): Promise<void> {
    const stored = await this.store.readLockPins(this.networkId);
    this.pins = provisioned.length > 0 ? [...provisioned] : stored;
    if (provisioned.length > 0 && !sameKeys(stored, this.pins))
      await this.store.writeLockPins(this.networkId, this.pins);
  }

  /**
   * What the server says the lock keys are, and a disablement of the lock if it was lifted. Returns true
   * when the pins changed (pinned for the first time, or lifted): every peer must be judged again.
   */
  async observe(serverKeys: readonly string[] | undefined, disabled?: LockDisablement): Promise<boolean> {
    const offered = serverKeys ?? [];
    if (this.pins.length > 0 && verifyLockDisablement(this.pins, this.networkId, disabled)) {
      const lifted = this.pins;
      this.pins = [];
      this.warnedMismatch = false;
      await this.store.writeLockPins(this.networkId, []);
      this.log.warn(
        { keys: lifted, by: disabled?.key },
        'network lock lifted: an operator key signed its disablement; the lock keys are unpinned',
      );
      if (offered.length === 0) return true;
    }
    if (this.pins.length === 0) {
      if (offered.length === 0) return false;
      this.pins = [...offered];
      await this.store.writeLockPins(this.networkId, this.pins);
      this.log.info({ keys: this.pins }, 'network is locked: pinned its operator keys');
      return true;
    }
    if (!sameKeys(offered, this.pins) && !this.warnedMismatch) {
      this.warnedMismatch = true;
      this.log.warn(
        { pinned: this.pins, server: offered },
        'the server announces other lock keys than the pinned ones; keeping the pinned keys (rtcmesh up --lock-key to change them)',
      );
    }
    return false;
  }

  /** Why `peer` is refused, or null when the network is not locked or its key is signed. */
  admit(peer: PeerInfo): string | null {
    if (this.pins.length === 0) return null;
    return verifyNodeKeySignature(this.pins, this.networkId, peer.nodeId, peer.publicKey, peer.keySignature)
      ? null
      : 'its node key is not signed by an operator lock key (locked network)';
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
