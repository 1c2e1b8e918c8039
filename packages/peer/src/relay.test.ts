import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from './address-filter.js';
import type { IceServer } from './connect-plan.js';
import { PEER_TRANSPORTS } from './link-connection.js';
import type { PeerLinkOptions } from './peer-link.js';
import { type Coturn, hasTurnserver, startCoturn } from './testing/coturn.js';
import {
  linkPair as basePair,
  eventually,
  type LinkPair,
  loopbackOnly,
  waitFor,
  waitForState,
} from './testing/link-pair.js';

// Relay tests need coturn's turnserver. In CI a missing binary is a failure, elsewhere a skip.
const available = hasTurnserver();
if (!available && process.env.CI) {
  throw new Error('turnserver (coturn) is not installed: apt-get install coturn');
}

function turn(coturn: Coturn, nodeId: string, urls: string[]): IceServer[] {
  return [{ urls, ...coturn.credential(nodeId) }];
}

/** Loopback-only candidates with 127.0.0.1 (the host candidates) also excluded: only relay can work. */
function noDirectPath(): CandidateAddressFilter {
  const base = loopbackOnly();
  return new CandidateAddressFilter({
    ...base,
    excludeCidrs: [...(base.excludeCidrs ?? []), '127.0.0.1/32'],
  });
}

/** Both sides move to the packet track, and 1300-byte frames cross it both ways, counted as received. */
async function packetTrackCarries(p: LinkPair): Promise<void> {
  await eventually(
    async () => p.a.stats().packetPath === 'rtp' && p.b.stats().packetPath === 'rtp',
    5000,
    'both sides on the packet track',
  );
  for (const [from, to] of [
    [p.a, p.b],
    [p.b, p.a],
  ] as const) {
    const frame = Buffer.alloc(1300, from === p.a ? 0xa1 : 0xb2);
    const got = waitFor(to.onPacket.bind(to), (f: Buffer) => f, 5000, 'frame on the packet track');
    expect(from.sendPacket(frame)).toBe(true);
    expect((await got).equals(frame)).toBe(true);
  }
  // pathLossPct is null until something arrived on the track.
  await eventually(
    async () => p.a.stats().pathLossPct !== null && p.b.stats().pathLossPct !== null,
    3000,
    'frames counted on the packet track',
  );
}

describe.skipIf(!available).each(PEER_TRANSPORTS)(
  'PeerLink through a real coturn on loopback (%s)',
  (transport) => {
    const linkPair = (
      shared: Partial<PeerLinkOptions> = {},
      perSide: { a?: Partial<PeerLinkOptions>; b?: Partial<PeerLinkOptions> } = {},
    ): LinkPair => basePair({ transport, ...shared }, perSide);
    let coturn: Coturn;
    let pair: LinkPair | null = null;

    beforeAll(async () => {
      coturn = await startCoturn('127.0.0.2');
    });
    afterAll(async () => {
      await pair?.close();
      await coturn?.stop();
    });

    async function done(): Promise<void> {
      await pair?.close();
      pair = null;
    }

    it('relay-only policy connects through TURN and reports path relay', async () => {
      const url = `turn:127.0.0.1:${coturn.port}`;
      pair = linkPair(
        { iceTransportPolicy: 'relay' },
        {
          a: { iceServers: turn(coturn, 'node-a', [url]) },
          b: { iceServers: turn(coturn, 'node-b', [url]) },
        },
      );
      const { a, b } = pair;
      a.start();
      await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
      const r = await a.ping();
      expect(r.path).toBe('relay');
      expect(a.stats().transport).toBe(transport);
      const s = a.stats();
      expect(s.localCandidateType).toBe('relay');
      expect(s.remoteAddress).toMatch(/^127\.0\.0\.2:\d+$/);
      const frame = Buffer.alloc(1514, 0xab);
      const got = waitFor(b.onPacket.bind(b), (f: Buffer) => f, 5000, 'relayed frame');
      expect(a.sendPacket(frame)).toBe(true);
      expect((await got).equals(frame)).toBe(true);
      await packetTrackCarries(pair);
      await done();
    });

    it('falls back from a dead first TURN URL to relay-only through the next one (TURN over TCP)', async () => {
      // Nothing listens on the first URL; host candidates are unusable; the second URL is coturn over TCP.
      const dead = `turn:127.0.0.1:${coturn.port + 1}`;
      const tcp = `turn:127.0.0.1:${coturn.port}?transport=tcp`;
      const urls = [dead, tcp];
      pair = linkPair(
        { connectTimeoutMs: 2500 },
        {
          a: { iceServers: turn(coturn, 'node-a', urls), candidateAddresses: noDirectPath() },
          b: { iceServers: turn(coturn, 'node-b', urls), candidateAddresses: noDirectPath() },
        },
      );
      const { a, b } = pair;
      a.start();
      await Promise.all([waitForState(a, 'connected', 20_000), waitForState(b, 'connected', 20_000)]);
      expect((await a.ping()).path).toBe('relay');
      // libdatachannel (libjuice) relays over UDP only: the TURN/TCP generation runs on werift.
      expect(a.stats()).toMatchObject({
        localCandidateType: 'relay',
        connectPlan: 'relay#1',
        transport: 'werift',
      });
      expect(b.stats()).toMatchObject({ connectPlan: 'relay#1', transport: 'werift' });
      if (transport === 'libdatachannel')
        expect(a.stats().transportReason).toBe(
          'relay over TURN TCP/TLS: libdatachannel relays over UDP only',
        );
      await packetTrackCarries(pair);
      await done();
    }, 30_000);

    it('returns to a direct path when one becomes possible (periodic upgrade probe)', async () => {
      const url = `turn:127.0.0.1:${coturn.port}`;
      const filterA = noDirectPath();
      const filterB = noDirectPath();
      pair = linkPair(
        { upgradeIntervalMs: 1000 },
        {
          a: { iceServers: turn(coturn, 'node-a', [url]), candidateAddresses: filterA },
          b: { iceServers: turn(coturn, 'node-b', [url]), candidateAddresses: filterB },
        },
      );
      const { a, b } = pair;
      a.start();
      await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
      expect(a.stats()).toMatchObject({ path: 'relay', connectPlan: 'all' });
      // The direct path comes back.
      filterA.update(loopbackOnly());
      filterB.update(loopbackOnly());
      await eventually(
        async () => a.stats().path === 'direct' && b.stats().path === 'direct',
        15_000,
        'direct path',
      );
      expect(b.stats()).toMatchObject({ upgrades: 1, connectPlan: 'direct' });
      expect((await a.ping()).path).toBe('direct');
      await done();
    }, 30_000);
  },
);
