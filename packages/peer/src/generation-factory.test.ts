import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { GenerationFactory } from './generation-factory.js';
import { linkTimings, type PeerLinkOptions } from './peer-link-options.js';

const log = pino({ level: 'silent' });
const iceServers = [
  { urls: 'stun:stun.example.net:3478' },
  {
    urls: ['turn:turn.example.net:3478?transport=udp', 'turns:turn.example.net:5349'],
    username: 'u',
    credential: 'c',
  },
];

function factory(over: Partial<PeerLinkOptions> = {}): GenerationFactory {
  const options: PeerLinkOptions = {
    localId: 'node-a',
    remoteId: 'node-b',
    iceServers,
    sendSignal: () => {},
    ...over,
  };
  return new GenerationFactory(options, linkTimings(options), false, log);
}

describe('GenerationFactory', () => {
  test('plans: everything first, then relay-only through each TURN URL', () => {
    const f = factory();
    expect(f.relayOnly).toBe(false);
    expect(f.preference).toBe('auto');
    expect(f.plans).toEqual([
      { policy: 'all', turnIndex: 0 },
      { policy: 'relay', turnIndex: 0 },
      { policy: 'relay', turnIndex: 1 },
    ]);
  });

  test('a relay-only link tries only relay plans, and needs a TURN URL', () => {
    expect(factory({ iceTransportPolicy: 'relay' }).plans.map((p) => p.policy)).toEqual(['relay', 'relay']);
    expect(() => factory({ iceTransportPolicy: 'relay', iceServers: [iceServers[0]!] })).toThrow(
      'PeerLink: relay-only policy needs at least one turn: URL',
    );
  });

  test("a peer's generation id says its plan (TURN index within this side's list)", () => {
    const f = factory();
    expect(f.planOf('abc.r1')).toEqual({ policy: 'relay', turnIndex: 1 });
    expect(f.planOf('abc.r3')).toEqual({ policy: 'relay', turnIndex: 1 });
    expect(f.planOf('default')).toEqual({ policy: 'all', turnIndex: 0 });
  });

  test('with no generation active, the stack and reason are those of the first plan', () => {
    expect(factory({ transport: 'werift' }).transportOf(null)).toEqual({
      transport: 'werift',
      reason: 'configured (--transport werift)',
    });
  });

  test('a generation runs on the stack chosen for its plan, and remembers why', async () => {
    const f = factory({ transport: 'werift', iceServers: [] });
    const signals: unknown[] = [];
    const conn = f.create({ policy: 'all', turnIndex: 0 }, 'g1.a0', false, {
      sendSignal: (s) => signals.push(s),
      onOpen: () => {},
      onDead: () => {},
      onPacket: () => {},
      onControl: () => {},
      onPacketTrackReady: () => {},
    });
    try {
      expect(conn.gen).toBe('g1.a0');
      expect(conn.transport).toBe('werift');
      expect(f.transportOf(conn)).toEqual({ transport: 'werift', reason: 'configured (--transport werift)' });
    } finally {
      await conn.close();
    }
  });
});
