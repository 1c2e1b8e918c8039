import { afterEach, describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from './address-filter.js';
import { PEER_TRANSPORTS } from './link-connection.js';
import { PeerLink, type PeerLinkOptions } from './peer-link.js';
import {
  linkPair as basePair,
  eventually,
  type LinkPair,
  loopbackOnly,
  SignalPipe,
  waitFor,
  waitForState,
} from './testing/link-pair.js';
import { NDC_SCTP_SEND_BUFFER_BYTES } from './transport/ndc-addon.js';

let pair: LinkPair | null = null;
const extra: PeerLink[] = [];
afterEach(async () => {
  await pair?.close();
  pair = null;
  await Promise.all(extra.splice(0).map((l) => l.close('test done')));
});

async function connected(p: LinkPair): Promise<void> {
  await Promise.all([waitForState(p.a, 'connected'), waitForState(p.b, 'connected')]);
}

/** Both sides send on the packet track (each heard the other's `caps`). */
async function onPacketTrack(p: LinkPair): Promise<void> {
  await eventually(
    async () => p.a.stats().packetPath === 'rtp' && p.b.stats().packetPath === 'rtp',
    5000,
    'both sides on the packet track',
  );
}

/** `frame` goes from a to b and back from b to a, intact. */
async function crossesBothWays(p: LinkPair, frame: Buffer): Promise<void> {
  for (const [from, to] of [
    [p.a, p.b],
    [p.b, p.a],
  ] as const) {
    const got = nextFrame(to);
    expect(from.sendPacket(frame)).toBe(true);
    expect((await got).equals(frame)).toBe(true);
  }
}

function nextFrame(link: PeerLink, timeoutMs = 5000): Promise<Buffer> {
  return waitFor(link.onPacket.bind(link), (f: Buffer) => f, timeoutMs, `frame at ${link.localId}`);
}

describe.each(PEER_TRANSPORTS)('PeerLink over loopback (%s)', (transport) => {
  const restartsIce = transport === 'werift';
  const linkPair = (
    shared: Partial<PeerLinkOptions> = {},
    perSide: { a?: Partial<PeerLinkOptions>; b?: Partial<PeerLinkOptions> } = {},
  ): LinkPair => basePair({ transport, ...shared }, perSide);

  it('connects and carries binary packets both ways on an unordered, no-retransmit channel', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    const fromA = nextFrame(b);
    expect(a.sendPacket(Buffer.from('hello b'))).toBe(true);
    expect((await fromA).toString()).toBe('hello b');
    const fromB = nextFrame(a);
    expect(b.sendPacket(Buffer.from('hello a'))).toBe(true);
    expect((await fromB).toString()).toBe('hello a');
    expect(a.channelConfig()).toEqual({
      packet: { ordered: false, maxRetransmits: 0, negotiated: true, id: 0 },
      control: { ordered: true, maxRetransmits: null, negotiated: true, id: 1 },
    });
    expect(a.stats()).toMatchObject({
      state: 'connected',
      txPackets: 1,
      rxPackets: 1,
      txBytes: 7,
      rxBytes: 7,
    });
  });

  it('delivers 1300- and 1514-byte frames intact (one chunk and multi-chunk)', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    for (const size of [1300, 1514, 1280, 1]) {
      const frame = Buffer.alloc(size);
      for (let i = 0; i < size; i++) frame[i] = (i * 31 + size) & 0xff;
      const got = nextFrame(b);
      expect(a.sendPacket(frame)).toBe(true);
      expect((await got).equals(frame)).toBe(true);
    }
  });

  it('adopts the peer’s offer when its own never reached it (the server said the peer was offline)', async () => {
    // b (impolite) offers while a is offline: the server drops it and says so. a then starts and
    // offers within the glare window. Without the server's word b would keep its own offer and both
    // would wait out the connect timeout (30 s here).
    pair = basePair({ connectTimeoutMs: 30_000 });
    const p = pair;
    p.bToA.hold();
    p.b.start();
    await eventually(async () => p.bToA.sent.some((x) => x.kind === 'description'), 5000, 'b to offer');
    p.bToA.discard();
    p.b.signalUndelivered();
    p.a.start();
    await Promise.all([waitForState(p.a, 'connected', 10_000), waitForState(p.b, 'connected', 10_000)]);
  });

  it('connects when both sides start at the same time (offer glare), and survives simultaneous ICE restarts', async () => {
    pair = linkPair();
    const { a, b, aToB, bToA } = pair;
    const offers = (p: SignalPipe) =>
      p.sent.filter((s) => s.kind === 'description' && s.description.type === 'offer').length;
    // Hold both directions until both offers exist, so they really cross.
    aToB.hold();
    bToA.hold();
    a.start();
    b.start();
    await eventually(async () => offers(aToB) === 1 && offers(bToA) === 1, 5000, 'both offers');
    aToB.release();
    bToA.release();
    await connected(pair);
    const got = nextFrame(a);
    b.sendPacket(Buffer.from('after glare'));
    expect((await got).toString()).toBe('after glare');
    expect(a.stats().generations).toBe(1);
    expect(b.stats().generations).toBe(1);

    // Same generation, both restart ICE at once: W3C perfect negotiation (polite side rolls back).
    aToB.hold();
    bToA.hold();
    a.restart('ice');
    b.restart('ice');
    await eventually(async () => offers(aToB) === 2 && offers(bToA) === 2, 5000, 'both restart offers');
    aToB.release();
    bToA.release();
    await eventually(async () => (await a.ping()).path === 'direct', 10_000, 'ping after crossing restarts');
    expect((await b.ping()).path).toBe('direct');
    // libdatachannel: two crossing new generations, one wins on both sides.
    if (restartsIce) expect(a.stats().generations).toBe(1);
    else
      await eventually(
        async () => a.stats().generations === 2 && b.stats().generations === 2,
        10_000,
        'one new generation',
      );
  });

  it("connects quickly when the impolite side's offer was lost and the polite side offers later", async () => {
    // node-a is polite (a < b). b offers first, but its signals are lost; a offers 2.5 s later. b must not
    // insist on its unanswered offer (that would cost the whole connect timeout).
    pair = linkPair({ connectTimeoutMs: 20_000 });
    const { a, b, bToA } = pair;
    bToA.hold();
    b.start();
    await eventually(async () => bToA.sent.length > 0, 5000, 'b offered');
    await new Promise((r) => setTimeout(r, 2500));
    bToA.discard();
    const started = Date.now();
    a.start();
    await connected(pair);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('ping reports RTT and a direct host-to-host path with the remote address', async () => {
    pair = linkPair();
    const { a, b } = pair;
    b.start();
    await connected(pair);
    const r = await a.ping();
    expect(r.path).toBe('direct');
    expect(r.rttMs).toBeGreaterThan(0);
    expect(r.rttMs).toBeLessThan(5000);
    const s = a.stats();
    expect(s).toMatchObject({ path: 'direct', localCandidateType: 'host', remoteCandidateType: 'host' });
    expect(s.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.rttMs).not.toBeNull();
  });

  it('moves frames onto the packet track (RTP) once both sides say they receive there; larger frames keep the data channel', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    await onPacketTrack(pair);
    const sizes = [1, 64, 1280, 1298, 1400, 1401, 1514, 9000];
    for (const size of sizes) {
      const frame = Buffer.alloc(size);
      for (let i = 0; i < size; i++) frame[i] = (i * 7 + size) & 0xff;
      const got = nextFrame(b);
      expect(a.sendPacket(frame)).toBe(true);
      expect((await got).equals(frame)).toBe(true);
      const back = nextFrame(a);
      expect(b.sendPacket(frame)).toBe(true);
      expect((await back).equals(frame)).toBe(true);
    }
    // Frames up to 1400 bytes rode the track: the peer counted them by packet index, none lost.
    expect(b.stats()).toMatchObject({ packetPath: 'rtp', txPackets: sizes.length, rxPackets: sizes.length });
    // Loss is measured since the oldest keepalive sample of the track; a sample taken after the last
    // frame leaves nothing to measure (null). Frames keep crossing until a tick has sampled between them.
    await eventually(
      async () => {
        b.sendPacket(Buffer.alloc(64, 1));
        return a.stats().pathLossPct === 0;
      },
      5000,
      'a keepalive tick to sample the track',
    );
    expect(typeof a.stats().queuedBytes).toBe('number');
  });

  it('keeps frames on the data channel when one side runs without the packet track (an older agent)', async () => {
    pair = linkPair({}, { b: { packetTrack: false } });
    const { a, b } = pair;
    a.start();
    await connected(pair);
    // A round trip on the ordered control channel: any caps message was sent before this pong.
    await a.ping();
    await b.ping();
    expect([a.stats().packetPath, b.stats().packetPath]).toEqual(['datachannel', 'datachannel']);
    await crossesBothWays(pair, Buffer.alloc(1200, 5));
    expect(a.stats().pathLossPct).toBeNull();
  });

  it('drops and counts frames when the packet channel buffer is over the cap', async () => {
    pair = linkPair({ maxBufferedBytes: 16 * 1024, packetTrack: false });
    const { a, b } = pair;
    a.start();
    await connected(pair);
    let received = 0;
    b.onPacket(() => received++);
    const frame = Buffer.alloc(1200, 7);
    let accepted = 0;
    const total = 2000;
    for (let i = 0; i < total; i++) if (a.sendPacket(frame)) accepted++;
    const s = a.stats();
    expect(s.dropsBackpressure).toBeGreaterThan(0);
    expect(s.drops).toBe(total - accepted);
    expect(s.txPackets).toBe(accepted);
    // Bounded: at most the cap plus one frame was ever queued in one synchronous burst. bufferedAmount
    // counts what has not reached the network yet (the werift patch decrements it per transmitted
    // chunk), so the frame sent on the wire at once during the burst is not part of it. libdatachannel
    // counts only its own queue: usrsctp's send buffer sits in front of it, and its native threads keep
    // draining both while the burst runs, so the bound there is a multiple of cap + send buffer.
    const below = transport === 'libdatachannel' ? 3 * (NDC_SCTP_SEND_BUFFER_BYTES + 16 * 1024) : 0;
    expect(accepted * frame.length).toBeLessThanOrEqual(below + 16 * 1024 + 2 * frame.length);
    // The link still works afterwards.
    await waitFor(
      (cb) => {
        const t = setInterval(cb, 20);
        return () => clearInterval(t);
      },
      () => (received >= 1 ? true : undefined),
      5000,
      'accepted frames to arrive',
    );
    const r = await a.ping();
    expect(r.rttMs).toBeGreaterThan(0);
  });

  it('drops (and counts) frames while not connected or oversize', () => {
    const link = new PeerLink({
      localId: 'x',
      remoteId: 'y',
      iceServers: [],
      sendSignal: () => {},
      transport,
    });
    extra.push(link);
    expect(link.sendPacket(Buffer.alloc(10))).toBe(false);
    expect(link.sendPacket(Buffer.alloc(70_000))).toBe(false);
    expect(link.stats()).toMatchObject({ state: 'new', drops: 2, dropsNotConnected: 1, path: null });
  });

  it('close() sends bye and tears down the other side', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    const reason = waitFor(b.onClose.bind(b), (r: string) => r, 5000, 'b closed');
    await a.close('node removed');
    expect(await reason).toBe('remote bye: node removed');
    expect(b.currentState).toBe('closed');
    expect(a.stats().state).toBe('closed');
    expect(a.sendPacket(Buffer.alloc(1))).toBe(false);
    await expect(a.ping()).rejects.toThrow(/closed/);
  });

  it('sends and receives control messages', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    const got = waitFor(b.onControl.bind(b), (m: unknown) => m, 5000, 'control message');
    expect(a.sendControl({ hello: ['mac', 'table'] })).toBe(true);
    expect(await got).toEqual({ hello: ['mac', 'table'] });
  });

  it('ignores invalid signals without crashing', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.handleSignal({ kind: 'description', description: { type: 'pranswer', sdp: 'x' } });
    a.handleSignal('garbage');
    a.handleSignal({ kind: 'candidate', candidate: { candidate: 'x'.repeat(5000) } });
    a.handleSignal({ kind: 'candidate', candidate: null, gen: 'unknown.a0' });
    expect(a.currentState).toBe('new');
    a.start();
    await connected(pair);
    expect(b.currentState).toBe('connected');
  });

  // Two full renegotiations: under a loaded CI machine each can take several seconds.
  // One retry: under a full parallel suite on two cores, libdatachannel's renegotiation has missed the
  // 20 s window in one CI run of about ten (alone it passed 8 of 8). A link that never recovers fails both.
  it('recovers after an ICE restart and after a renegotiation, keeping traffic flowing', {
    timeout: 45_000,
    retry: 1,
  }, async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    a.restart('ice');
    // The restart renegotiates ICE on the same connection (libdatachannel, which cannot restart ICE:
    // a new generation); the link answers pings again.
    await eventually(
      async () => (await a.ping()).path === 'direct' && a.stats().generations === (restartsIce ? 1 : 2),
      20_000,
      'ping after ICE restart',
    );
    const restartOffers = pair.aToB.sent.filter(
      (s) => s.kind === 'description' && s.description.type === 'offer',
    );
    expect(restartOffers.length).toBe(2);
    expect(a.stats()).toMatchObject({
      iceRestarts: restartsIce ? 1 : 0,
      generations: restartsIce ? 1 : 2,
      state: 'connected',
    });

    const before = a.stats().generations;
    b.restart('renegotiate');
    await waitFor(
      (cb) => {
        const t = setInterval(cb, 50);
        return () => clearInterval(t);
      },
      () => (a.stats().generations > before && b.stats().generations > before ? true : undefined),
      20_000,
      'new generation on both sides',
    );
    const got = nextFrame(b);
    a.sendPacket(Buffer.from('new gen'));
    expect((await got).toString()).toBe('new gen');
    expect(a.currentState).toBe('connected');
  });

  it('reconnects when the remote peer restarts (new link, no bye) through the signaling pipe', async () => {
    pair = linkPair();
    const { a, b } = pair;
    a.start();
    await connected(pair);
    // b "crashes": its bye never reaches a.
    pair.bToA.hold();
    await b.close('crash');
    const b2ToA = new SignalPipe();
    const b2 = new PeerLink({
      localId: 'node-b',
      remoteId: 'node-a',
      iceServers: [],
      candidateAddresses: loopbackOnly(),
      sendSignal: b2ToA.send,
      transport,
    });
    extra.push(b2);
    b2ToA.connect((s) => a.handleSignal(s));
    pair.aToB.connect((s) => b2.handleSignal(s));
    b2.start();
    await waitForState(b2, 'connected');
    const got = nextFrame(a);
    b2.sendPacket(Buffer.from('back'));
    expect((await got).toString()).toBe('back');
    expect(a.currentState).toBe('connected');
  });

  it('notices the peer vanished and keeps trying to reconnect', async () => {
    pair = linkPair({ keepaliveIntervalMs: 200, keepaliveMissLimit: 3, connectTimeoutMs: 2000 });
    const { a, b } = pair;
    a.start();
    await connected(pair);
    pair.bToA.hold();
    pair.aToB.hold();
    // b vanishes without a bye (its sockets close, a's keepalives go unanswered).
    await b.close('crash');
    await waitForState(a, 'reconnecting', 5000);
    // It keeps trying: a new generation is offered (held in the pipe, nobody answers).
    await eventually(
      async () =>
        pair!.aToB.sent.filter((s) => s.kind === 'description' && s.description.type === 'offer').length >= 2,
      5000,
      'a new offer',
    );
  });
});

describe('mixed stacks', () => {
  it.each([
    ['werift', 'libdatachannel'],
    ['libdatachannel', 'werift'],
  ] as const)('a %s link and a %s link connect and carry frames on the packet track', async (ta, tb) => {
    pair = basePair({}, { a: { transport: ta }, b: { transport: tb } });
    const { a, b } = pair;
    a.start();
    await connected(pair);
    await onPacketTrack(pair);
    await crossesBothWays(pair, Buffer.alloc(1298, 0x42));
    expect((await b.ping()).path).toBe('direct');
    expect([a.stats().transport, b.stats().transport]).toEqual([ta, tb]);
  });
});

describe('transport auto (the default)', () => {
  it('runs on libdatachannel where the native module loads, and says why', async () => {
    pair = basePair({});
    const { a, b } = pair;
    expect(a.transport).toBe('auto');
    a.start();
    await connected(pair);
    for (const s of [a.stats(), b.stats()])
      expect(s).toMatchObject({
        transport: 'libdatachannel',
        transportReason: 'auto: native stack available',
      });
    await onPacketTrack(pair);
    const got = nextFrame(b);
    expect(a.sendPacket(Buffer.from('auto'))).toBe(true);
    expect((await got).toString()).toBe('auto');
  });

  it('a configured stack is used as configured', async () => {
    pair = basePair({ transport: 'werift' });
    pair.a.start();
    await connected(pair);
    expect(pair.a.stats()).toMatchObject({
      transport: 'werift',
      transportReason: 'configured (--transport werift)',
    });
  });
});

describe('libdatachannel and the address filter', () => {
  it('drops a generation whose selected pair uses an address the filter excludes later', async () => {
    // libjuice cannot reject pairs; a pair that becomes excluded (a subnet now routed over the overlay)
    // must not keep carrying the link.
    const filterA = new CandidateAddressFilter(loopbackOnly());
    pair = basePair(
      { transport: 'libdatachannel', keepaliveIntervalMs: 200 },
      { a: { candidateAddresses: filterA } },
    );
    const { a } = pair;
    a.start();
    await connected(pair);
    expect(a.path()?.remoteAddress).toMatch(/^127\.0\.0\.1:/);
    const base = loopbackOnly();
    filterA.update({ ...base, excludeCidrs: [...(base.excludeCidrs ?? []), '127.0.0.1/32'] });
    await waitForState(a, 'reconnecting', 3000);
    expect(a.path()).toBeNull();
  });
});
