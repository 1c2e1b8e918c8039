import { generateKeyPairSync } from 'node:crypto';
import { CandidateAddressFilter, PeerLink } from '@rtcmesh/peer';
import { eventually, loopbackOnly } from '@rtcmesh/peer/testing';
import { exportPublicKey, type PeerInfo, type SignalData } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type LinkAuth, LinkAuthenticator } from './link-auth.js';
import { PeerLinks } from './peer-links.js';

/**
 * A signaling server that is a man in the middle: it answers each agent's negotiation itself with a
 * WebRTC endpoint of its own, pretending to be the other agent, and relays (and reads) the packets
 * between its two DTLS sessions. It even copies each agent's real `auth` field onto its own SDP.
 */
class MitmRelay {
  readonly seen: Buffer[] = [];
  private readonly towardA: PeerLink;
  private readonly towardB: PeerLink;
  private authFromA: SignalData | undefined;
  private authFromB: SignalData | undefined;

  constructor(
    private readonly meshA: () => PeerLinks,
    private readonly meshB: () => PeerLinks,
  ) {
    const base = { iceServers: [], candidateAddresses: loopbackOnly(), logger: silent() };
    this.towardA = new PeerLink({
      ...base,
      localId: 'node-b',
      remoteId: 'node-a',
      sendSignal: (s) => this.toA(s),
    });
    this.towardB = new PeerLink({
      ...base,
      localId: 'node-a',
      remoteId: 'node-b',
      sendSignal: (s) => this.toB(s),
    });
    this.towardA.onPacket((f) => {
      this.seen.push(Buffer.from(f));
      this.towardB.sendPacket(f);
    });
    this.towardB.onPacket((f) => {
      this.seen.push(Buffer.from(f));
      this.towardA.sendPacket(f);
    });
  }

  /**
   * The relay's own signals toward A, its descriptions carrying B's latest real signature. A clever
   * relay holds them until it has a signature to copy (not signing at all would be refused trivially).
   */
  private readonly heldForA: SignalData[] = [];
  private readonly heldForB: SignalData[] = [];
  private toA(s: SignalData): void {
    if (!this.authFromB) this.heldForA.push(s);
    else deliver(() => this.meshA().handleSignal('node-b', this.forge(s, this.authFromB)));
  }
  private toB(s: SignalData): void {
    if (!this.authFromA) this.heldForB.push(s);
    else deliver(() => this.meshB().handleSignal('node-a', this.forge(s, this.authFromA)));
  }

  /** What an agent sends "to its peer" arrives here. */
  fromAgent(from: string, data: SignalData): void {
    const copy = JSON.parse(JSON.stringify(data)) as SignalData;
    if (from === 'node-a') {
      if (copy.kind === 'description') this.authFromA = copy;
      deliver(() => this.towardA.handleSignal(copy));
      if (this.authFromA) for (const s of this.heldForB.splice(0)) this.toB(s);
    } else {
      if (copy.kind === 'description') this.authFromB = copy;
      deliver(() => this.towardB.handleSignal(copy));
      if (this.authFromB) for (const s of this.heldForA.splice(0)) this.toA(s);
    }
  }

  /** The relay's own description, carrying the real agent's latest signature. */
  private forge(s: SignalData, real: SignalData | undefined): SignalData {
    if (s.kind !== 'description' || !real || real.kind !== 'description' || !real.auth) return s;
    return { ...s, auth: real.auth };
  }

  async close(): Promise<void> {
    await Promise.all([this.towardA.close('test over'), this.towardB.close('test over')]);
  }
}

function deliver(fn: () => void): void {
  setImmediate(fn);
}

function silent() {
  return pino({ level: 'silent' });
}

const trusting: LinkAuth = { sign: (_to, d) => d, verify: () => ({ ok: true }) };

function setup(secure: boolean) {
  const keyA = generateKeyPairSync('ed25519');
  const keyB = generateKeyPairSync('ed25519');
  const info = (nodeId: string, publicKey: string): PeerInfo => ({
    nodeId,
    name: nodeId,
    publicKey,
    addresses: [],
    mac: '02:00:00:00:00:01',
    online: true,
    lastSeen: Date.now(),
    bindings: [],
    routes: [],
  });
  const received: Buffer[] = [];
  let meshA!: PeerLinks;
  let meshB!: PeerLinks;
  const mitm = new MitmRelay(
    () => meshA,
    () => meshB,
  );
  const make = (selfId: string, key: typeof keyA) =>
    new PeerLinks({
      selfId,
      logger: silent(),
      sendSignal: (_to, data) => {
        mitm.fromAgent(selfId, data);
        return true;
      },
      onPacket: (_peer, frame) => received.push(Buffer.from(frame)),
      candidateFilter: new CandidateAddressFilter(loopbackOnly()),
      linkAuth: secure ? new LinkAuthenticator(selfId, () => key.privateKey) : trusting,
    });
  meshA = make('node-a', keyA);
  meshB = make('node-b', keyB);
  meshA.upsert(info('node-b', exportPublicKey(keyB.publicKey)));
  meshB.upsert(info('node-a', exportPublicKey(keyA.publicKey)));
  const close = async () => {
    await Promise.all([meshA.close('test over'), meshB.close('test over'), mitm.close()]);
  };
  return { meshA, meshB, mitm, received, close };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a signaling server in the middle', () => {
  it('reads every packet when descriptions are not authenticated (why the check exists)', async () => {
    const t = setup(false);
    cleanups.push(t.close);
    await eventually(
      async () => t.meshA.get('node-b')?.link?.currentState === 'connected',
      20_000,
      'A "connected" to B (through the relay)',
    );
    await eventually(
      async () => {
        t.meshA.sendPacket('node-b', Buffer.from('secret payroll data'));
        return t.received.some((f) => f.toString() === 'secret payroll data');
      },
      10_000,
      'B receiving A’s packet',
    );
    expect(t.mitm.seen.some((f) => f.toString() === 'secret payroll data')).toBe(true);
  });

  it('is refused by both agents when fingerprints are signed with node keys', async () => {
    const t = setup(true);
    cleanups.push(t.close);
    await eventually(
      async () => t.meshA.get('node-b')?.refused != null && t.meshB.get('node-a')?.refused != null,
      20_000,
      'both agents refusing the forged descriptions',
    );
    // (In one process werift gives every connection the same certificate, so here the forgery is caught
    // by the signature's binding to generation and type; across hosts the fingerprints differ as well.)
    expect(t.meshA.get('node-b')?.refused?.reason).toMatch(/fingerprint/);
    expect(t.meshB.get('node-a')?.refused?.reason).toMatch(/fingerprint/);
    // Every description either agent received was forged, so no link could come up.
    expect(t.meshA.get('node-b')?.link?.currentState).not.toBe('connected');
    expect(t.meshA.sendPacket('node-b', Buffer.from('secret payroll data'))).toBe(false);
    expect(t.mitm.seen).toHaveLength(0);
  });
});
