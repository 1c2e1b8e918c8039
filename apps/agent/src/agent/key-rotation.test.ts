import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type ClientMessage,
  exportPublicKey,
  generateNodeKey,
  importPrivateKey,
  REKEY_DOMAIN,
  rekeyPayload,
  verifyDomain,
} from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { LocalApiError } from '../localapi/schema.js';
import { KeyRotation, type PendingKeyStore, type RekeySession } from './key-rotation.js';

type Answer = 'rekeyed' | 'refused' | 'silent';

/** A control session that answers a `rekey` the way a test says, and a pending-key store that records. */
function setup(o: { answer?: Answer; connected?: boolean; sends?: boolean; timeoutMs?: number } = {}) {
  const events = new EventEmitter();
  let privateKey: KeyObject = importPrivateKey(generateNodeKey().privateKey);
  const sent: Extract<ClientMessage, { type: 'rekey' }>[] = [];
  const session = {
    connected: o.connected ?? true,
    get privateKey() {
      return privateKey;
    },
    setPrivateKey: (k: KeyObject) => {
      privateKey = k;
    },
    send: (m: ClientMessage) => {
      if (o.sends === false || m.type !== 'rekey') return false;
      sent.push(m);
      queueMicrotask(() => {
        if (o.answer === 'refused') events.emit('server-error', { ref: m.id, message: 'key in use' });
        else if ((o.answer ?? 'rekeyed') === 'rekeyed')
          events.emit('rekeyed', { type: 'rekeyed', publicKey: m.publicKey });
      });
      return true;
    },
    on: (e: string, f: (...a: unknown[]) => void) => events.on(e, f),
    off: (e: string, f: (...a: unknown[]) => void) => events.off(e, f),
  } as unknown as RekeySession;
  const calls: string[] = [];
  let pending: KeyObject | undefined;
  const store: PendingKeyStore = {
    createPendingKey: async () => {
      calls.push('create');
      pending = importPrivateKey(generateNodeKey().privateKey);
      return pending;
    },
    promotePendingKey: async () => {
      calls.push('promote');
    },
    discardPendingKey: async () => {
      calls.push('discard');
    },
  };
  const rotation = new KeyRotation('n-1', session, store, pino({ level: 'silent' }), o.timeoutMs ?? 2000);
  const publicOf = (k: KeyObject) => exportPublicKey(createPublicKey(k));
  return {
    rotation,
    session,
    sent,
    calls,
    pending: () => pending,
    publicOf,
    listeners: () => events.eventNames(),
  };
}

describe('KeyRotation', () => {
  test('the server takes the new key: it is promoted and the session signs with it from now on', async () => {
    const s = setup();
    const before = s.publicOf(s.session.privateKey);
    const reply = await s.rotation.rotate();
    const next = s.pending()!;
    expect(reply).toEqual({ publicKey: s.publicOf(next), previousPublicKey: before });
    expect(s.calls).toEqual(['create', 'promote']);
    expect(s.publicOf(s.session.privateKey)).toBe(s.publicOf(next));
    // Proof of possession: the offer is signed by the new key over (node, old key, new key).
    const m = s.sent[0]!;
    expect(
      verifyDomain(m.publicKey, REKEY_DOMAIN, rekeyPayload('n-1', before, m.publicKey), m.signature),
    ).toBe(true);
    expect(s.listeners()).toEqual([]);
  });

  test('refused: the pending key is discarded, the old one stays, and the error says why', async () => {
    const s = setup({ answer: 'refused' });
    const before = s.publicOf(s.session.privateKey);
    await expect(s.rotation.rotate()).rejects.toThrow(/refused the new key: key in use/);
    expect(s.calls).toEqual(['create', 'discard']);
    expect(s.publicOf(s.session.privateKey)).toBe(before);
  });

  test('no answer: the pending key is kept (the server may have taken it), the old one still signs', async () => {
    const s = setup({ answer: 'silent', timeoutMs: 50 });
    const before = s.publicOf(s.session.privateKey);
    const err = await s.rotation.rotate().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalApiError);
    expect((err as LocalApiError).message).toMatch(/new key is kept/);
    expect(s.calls).toEqual(['create']);
    expect(s.publicOf(s.session.privateKey)).toBe(before);
    expect(s.listeners()).toEqual([]);
  });

  test('without a server nothing is created; a lost session discards the pending key; one at a time', async () => {
    const offline = setup({ connected: false });
    await expect(offline.rotation.rotate()).rejects.toThrow(/not connected/);
    expect(offline.calls).toEqual([]);
    const lost = setup({ sends: false });
    await expect(lost.rotation.rotate()).rejects.toThrow(/lost the signaling server/);
    expect(lost.calls).toEqual(['create', 'discard']);
    const busy = setup({ answer: 'silent', timeoutMs: 200 });
    const first = busy.rotation.rotate().catch(() => undefined);
    await expect(busy.rotation.rotate()).rejects.toThrow(/already running/);
    await first;
  });
});
