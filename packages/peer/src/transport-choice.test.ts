import { describe, expect, test } from 'vitest';
import { chooseTransport } from './transport-choice.js';

const TURN = ['turn:203.0.113.1:3478?transport=udp', 'turn:203.0.113.1:3478?transport=tcp'];
const loads = () => ({ ok: true as const });
const missing = () => ({ ok: false as const, reason: 'node-datachannel did not load' });

describe('chooseTransport', () => {
  test('werift when asked, whatever the plan', () => {
    expect(chooseTransport('werift', { policy: 'all', turnIndex: 0 }, TURN, loads).transport).toBe('werift');
  });

  test('a relay through TURN over TCP runs on werift even when libdatachannel is asked: libjuice relays over UDP only', () => {
    const r = chooseTransport('libdatachannel', { policy: 'relay', turnIndex: 1 }, TURN, loads);
    expect(r).toEqual({ transport: 'werift', reason: expect.stringMatching(/UDP only/) });
    expect(chooseTransport('libdatachannel', { policy: 'relay', turnIndex: 0 }, TURN, loads).transport).toBe(
      'libdatachannel',
    );
  });

  test('auto takes the native stack where it loads, and says why when it does not', () => {
    expect(chooseTransport('auto', { policy: 'all', turnIndex: 0 }, TURN, loads)).toEqual({
      transport: 'libdatachannel',
      reason: 'auto: native stack available',
    });
    expect(chooseTransport('auto', { policy: 'all', turnIndex: 0 }, TURN, missing)).toEqual({
      transport: 'werift',
      reason: 'auto: node-datachannel did not load',
    });
  });
});
