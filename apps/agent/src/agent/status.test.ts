import type { PeerInfo } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import type { PeerView } from '../links/peer-links.js';
import { healthOf } from './status.js';

function view(name: string, state: string | null, online = true): PeerView {
  return {
    info: { nodeId: `n-${name}`, name, online } as PeerInfo,
    link: state === null ? null : ({ currentState: state } as unknown as PeerView['link']),
    refused: null,
  };
}

const base = {
  deviceName: 'rtm0',
  device: { state: 'ok', reopens: 0 } as const,
  serverConnected: true,
  serverAwayMs: 0,
  serverError: null,
  fromCache: false,
  peers: [view('b', 'connected')],
};

describe('healthOf', () => {
  test('ok when the device, the server and every online peer are fine', () => {
    expect(healthOf(base)).toEqual({ state: 'ok', problems: [] });
  });

  test('each problem in words', () => {
    const h = healthOf({
      ...base,
      device: { state: 'recovering', error: 'read error: EBADFD', since: 0, reopens: 0 },
      serverConnected: false,
      serverAwayMs: 5 * 60_000,
      serverError: 'connect ECONNREFUSED',
      fromCache: true,
      peers: [view('b', 'connected'), view('c', 'reconnecting'), view('d', null), view('e', null, false)],
    });
    expect(h.state).toBe('degraded');
    expect(h.problems).toEqual([
      'device rtm0 failed (read error: EBADFD): re-opening it',
      'no signaling server for 5 min (connect ECONNREFUSED)',
      'running from the cached network map (server not reached yet)',
      '2 of 3 peers unreachable: c, d',
    ]);
  });

  test('a server blink under a minute is not a problem', () => {
    expect(healthOf({ ...base, serverConnected: false, serverAwayMs: 20_000 }).state).toBe('ok');
  });
});
