import type { SignalData } from '@rtcmesh/protocol';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { DirectOutbox } from './direct-outbox.js';
import { type Body, MAX_DATAGRAM_BYTES } from './direct-wire.js';

interface Sent {
  to: string;
  seq: number;
  body: Extract<Body, { t: 'signal' }>;
}

function outbox() {
  let seq = 0;
  const sent: Sent[] = [];
  const drops: string[] = [];
  const counters = { retransmits: 0, gaveUp: 0 };
  const box = new DirectOutbox({
    now: () => Date.now(),
    nextSeq: () => seq++,
    encode: (to, s, body) => Buffer.from(JSON.stringify({ to, seq: s, body })),
    transmit: (_to, datagram) => sent.push(JSON.parse(datagram.toString())),
    drop: (reason) => drops.push(reason),
    counters,
  });
  return { box, sent, drops, counters };
}

const sig = (gen: string): SignalData => ({ kind: 'bye', gen });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('direct outbox', () => {
  test('signals to a peer are numbered in order; `first` is the lowest still unacked', () => {
    const { box, sent } = outbox();
    box.send('p', sig('g0'));
    box.send('p', sig('g1'));
    box.send('q', sig('g2'));
    expect(sent.map((s) => [s.to, s.seq, s.body.n, s.body.first])).toEqual([
      ['p', 0, 0, 0],
      ['p', 1, 1, 0],
      ['q', 2, 0, 0],
    ]);
    expect(box.ack('p', 0)).toBe(true);
    // The retransmit of the second keeps its seq; the first is acked, so `first` moved.
    vi.advanceTimersByTime(250);
    expect(sent.slice(3).map((s) => [s.to, s.seq, s.body.n, s.body.first])).toEqual([
      ['p', 1, 1, 1],
      ['q', 2, 0, 0],
    ]);
  });

  test('an unacked signal is retransmitted at 250, 750, 1750 and 3750 ms, then given up at 7750', () => {
    const { box, sent, counters } = outbox();
    box.send('p', sig('g0'));
    const at: number[] = [];
    let gaveUpAt: number | undefined;
    for (let t = 1; t <= 10_000; t++) {
      const before = sent.length;
      vi.advanceTimersByTime(1);
      if (sent.length > before) at.push(t);
      if (counters.gaveUp > 0) gaveUpAt ??= t;
    }
    expect(at).toEqual([250, 750, 1750, 3750]);
    expect(gaveUpAt).toBe(7750);
    expect(counters).toEqual({ retransmits: 4, gaveUp: 1 });
    // Given up: it may not have arrived, until the peer acks anything.
    expect(box.mayHaveLost('p')).toBe(true);
    expect(box.ack('p', 99)).toBe(false);
    expect(box.mayHaveLost('p')).toBe(false);
  });

  test('an acked signal is no longer retransmitted', () => {
    const { box, sent, counters } = outbox();
    box.send('p', sig('g0'));
    expect(box.mayHaveLost('p')).toBe(true);
    expect(box.ack('p', 0)).toBe(true);
    expect(box.ack('p', 0)).toBe(false);
    expect(box.mayHaveLost('p')).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    expect(counters.retransmits).toBe(0);
  });

  test('a signal too large for a datagram is refused and takes no number', () => {
    const { box, sent, drops } = outbox();
    const huge: SignalData = { kind: 'bye', gen: 'x'.repeat(MAX_DATAGRAM_BYTES) };
    expect(box.send('p', huge)).toBe(false);
    expect(drops).toEqual(['oversize-out']);
    expect(box.send('p', sig('g0'))).toBe(true);
    expect(sent.map((s) => s.body.n)).toEqual([0]);
  });

  test('beyond 64 unacked signals to a peer the oldest is dropped', () => {
    const { box, sent, drops } = outbox();
    for (let i = 0; i < 65; i++) box.send('p', sig(`g${i}`));
    expect(drops).toEqual(['pending-full']);
    expect(sent.at(-1)?.body).toMatchObject({ n: 64, first: 1 });
    expect(box.ack('p', 0)).toBe(false);
    expect(box.ack('p', 1)).toBe(true);
  });

  test('a restarted peer gets nothing more of what was pending; forgetting a peer numbers anew', () => {
    const { box, sent } = outbox();
    box.send('p', sig('g0'));
    box.dropPending('p');
    expect(box.mayHaveLost('p')).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    box.send('p', sig('g1'));
    expect(sent.at(-1)?.body.n).toBe(1);
    box.forget('p');
    box.send('p', sig('g2'));
    expect(sent.at(-1)?.body).toMatchObject({ n: 0, first: 0 });
  });

  test('close stops every retransmission', () => {
    const { box, sent } = outbox();
    box.send('p', sig('g0'));
    box.send('q', sig('g1'));
    box.close();
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(2);
    expect(box.mayHaveLost('p')).toBe(false);
  });
});
