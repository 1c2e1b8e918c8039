import type { SignalData } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import {
  EARLY_SIGNAL_PEERS,
  EARLY_SIGNAL_TTL_MS,
  EARLY_SIGNALS_PER_PEER,
  EarlySignals,
} from './early-signals.js';

const offer = (sdp: string): SignalData =>
  ({ kind: 'description', description: { type: 'offer', sdp } }) as SignalData;

describe('EarlySignals', () => {
  test('a known peer gets its signals in arrival order, once; the others stay', () => {
    const e = new EarlySignals();
    e.hold('a', offer('1'));
    e.hold('b', offer('x'));
    e.hold('a', offer('2'));
    expect(e.take((id) => id === 'a')).toEqual([
      { from: 'a', data: offer('1') },
      { from: 'a', data: offer('2') },
    ]);
    expect(e.take((id) => id === 'a')).toEqual([]);
    expect(e.take(() => true)).toEqual([{ from: 'b', data: offer('x') }]);
  });

  test('signals older than the TTL are gone', () => {
    let now = 1000;
    const e = new EarlySignals(() => now);
    e.hold('a', offer('1'));
    now += EARLY_SIGNAL_TTL_MS + 1;
    expect(e.take(() => true)).toEqual([]);
    expect(e.size).toBe(0);
  });

  test('bounded per peer and in peers: what does not fit is refused', () => {
    const e = new EarlySignals();
    for (let i = 0; i < EARLY_SIGNALS_PER_PEER; i++) expect(e.hold('a', offer(`${i}`))).toBe(true);
    expect(e.hold('a', offer('one more'))).toBe(false);
    for (let i = 1; i < EARLY_SIGNAL_PEERS; i++) expect(e.hold(`p${i}`, offer('o'))).toBe(true);
    expect(e.hold('one-more-peer', offer('o'))).toBe(false);
    expect(e.take((id) => id === 'a')).toHaveLength(EARLY_SIGNALS_PER_PEER);
    expect(e.hold('one-more-peer', offer('o'))).toBe(true);
  });
});
