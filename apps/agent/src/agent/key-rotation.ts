import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { exportPublicKey, REKEY_DOMAIN, rekeyPayload, signDomain } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { ControlClient } from '../control/control-client.js';
import { LocalApiError, type RekeyReply } from '../localapi/schema.js';

/** Where rotated keys live until the server takes them (the state directory). */
export interface PendingKeyStore {
  createPendingKey(): Promise<KeyObject>;
  promotePendingKey(): Promise<void>;
  discardPendingKey(): Promise<void>;
}

/** What a rotation needs of the control session (control/control-client.ts). */
export type RekeySession = Pick<
  ControlClient,
  'connected' | 'privateKey' | 'send' | 'setPrivateKey' | 'on' | 'off'
>;

/**
 * `rtcmesh rekey`: a new node key is written as "pending" first, then offered to the server over the
 * authenticated session (signed by the new key: proof of possession). Only when the server answers is
 * it renamed over the old key. If the agent stops in between, the next start tries the old key, and
 * when the server refuses it (the rotation went through) the pending one (ControlClient `pendingKey`).
 */
export class KeyRotation {
  private running = false;

  constructor(
    private readonly nodeId: string,
    private readonly control: RekeySession,
    private readonly store: PendingKeyStore,
    private readonly log: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  async rotate(): Promise<RekeyReply> {
    if (!this.control.connected)
      throw new LocalApiError('unavailable', 'not connected to the signaling server; try again');
    if (this.running) throw new LocalApiError('bad-request', 'a key rotation is already running');
    this.running = true;
    try {
      const previousPublicKey = exportPublicKey(createPublicKey(this.control.privateKey));
      const next = await this.store.createPendingKey();
      const publicKey = exportPublicKey(createPublicKey(next));
      const id = `rekey-${randomBytes(6).toString('hex')}`;
      const answer = this.awaitAnswer(id, publicKey);
      const sent = this.control.send({
        type: 'rekey',
        id,
        publicKey,
        signature: signDomain(next, REKEY_DOMAIN, rekeyPayload(this.nodeId, previousPublicKey, publicKey)),
      });
      if (!sent) {
        answer.cancel();
        await this.store.discardPendingKey();
        throw new LocalApiError('unavailable', 'lost the signaling server; try again');
      }
      const result = await answer.promise;
      if (result.kind === 'refused') {
        await this.store.discardPendingKey();
        throw new LocalApiError('bad-request', `the server refused the new key: ${result.message}`);
      }
      if (result.kind === 'timeout') {
        // The server may have taken it: keep the pending key, it is tried if the old one is refused.
        throw new LocalApiError(
          'timeout',
          'no answer from the server; the new key is kept and used if the server took it',
        );
      }
      await this.store.promotePendingKey();
      this.control.setPrivateKey(next);
      this.log.info({ publicKey, previousPublicKey }, 'node key rotated');
      return { publicKey, previousPublicKey };
    } finally {
      this.running = false;
    }
  }

  private awaitAnswer(
    id: string,
    publicKey: string,
  ): {
    promise: Promise<{ kind: 'ok' } | { kind: 'refused'; message: string } | { kind: 'timeout' }>;
    cancel: () => void;
  } {
    let cancel: () => void = () => {};
    const promise = new Promise<{ kind: 'ok' } | { kind: 'refused'; message: string } | { kind: 'timeout' }>(
      (resolve) => {
        const done = (r: { kind: 'ok' } | { kind: 'refused'; message: string } | { kind: 'timeout' }) => {
          clearTimeout(timer);
          this.control.off('rekeyed', onRekeyed);
          this.control.off('server-error', onError);
          resolve(r);
        };
        const onRekeyed = (m: { publicKey: string }) => m.publicKey === publicKey && done({ kind: 'ok' });
        const onError = (e: { ref?: string | undefined; message: string }) =>
          e.ref === id && done({ kind: 'refused', message: e.message });
        const timer = setTimeout(() => done({ kind: 'timeout' }), this.timeoutMs);
        this.control.on('rekeyed', onRekeyed);
        this.control.on('server-error', onError);
        cancel = () => done({ kind: 'timeout' });
      },
    );
    return { promise, cancel };
  }
}
