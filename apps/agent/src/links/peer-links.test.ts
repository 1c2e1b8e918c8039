import { CandidateAddressFilter } from '@rtcmesh/peer';
import { eventually, loopbackOnly } from '@rtcmesh/peer/testing';
import type { PeerInfo, SignalData } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkAuth } from './link-auth.js';
import { PeerLinks } from './peer-links.js';

const trusting: LinkAuth = { sign: (_to, d) => d, verify: () => ({ ok: true }) };
const info = (nodeId: string): PeerInfo => ({
  nodeId,
  name: nodeId,
  publicKey: 'k',
  addresses: [],
  mac: '02:00:00:00:00:01',
  online: true,
  lastSeen: Date.now(),
  bindings: [],
  routes: [],
});

const open: PeerLinks[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close('test over')));
});

/** Two agents' link sets wired to each other (signals delivered asynchronously, as a server would). */
function pair(admitB: () => string | null) {
  let a!: PeerLinks;
  let b!: PeerLinks;
  const make = (selfId: string, other: () => PeerLinks, admitPeer?: (p: PeerInfo) => string | null) =>
    new PeerLinks({
      selfId,
      logger: pino({ level: 'silent' }),
      sendSignal: (_to, data: SignalData) => {
        setImmediate(() => other().handleSignal(selfId, data));
        return true;
      },
      onPacket: () => undefined,
      candidateFilter: new CandidateAddressFilter(loopbackOnly()),
      linkAuth: trusting,
      // A connect timeout longer than the test waits: only a link that does not deadlock comes up.
      linkTuning: { connectTimeoutMs: 60_000 },
      ...(admitPeer ? { admitPeer } : {}),
    });
  a = make(
    'node-a',
    () => b,
    (p) => (p.nodeId === 'node-b' ? admitB() : null),
  );
  b = make('node-b', () => a);
  open.push(a, b);
  return { a, b };
}

describe('PeerLinks', () => {
  it('a peer admitted just after it offered: its offer (held while refused) brings the link up at once', async () => {
    let refusal: string | null = 'its node key is not signed by an operator lock key (locked network)';
    const { a, b } = pair(() => refusal);
    a.upsert(info('node-b'));
    expect(a.get('node-b')?.refused?.reason).toMatch(/not signed/);
    // b (the impolite side: node-b > node-a) offers; a refuses it for now.
    b.upsert(info('node-a'));
    await eventually(async () => (a.get('node-b')?.refused?.count ?? 0) >= 2, 5000, 'a refusing b’s signals');
    // The operator signs b: a admits it. Without b's held offer, a would offer too and b would keep its
    // own offer (which a never took) in glare until the connect timeout.
    refusal = null;
    a.upsert(info('node-b'));
    await eventually(
      async () =>
        a.get('node-b')?.link?.currentState === 'connected' &&
        b.get('node-a')?.link?.currentState === 'connected',
      8000,
      'both links connected',
    );
  });
});
