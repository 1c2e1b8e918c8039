import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { LinkGenerations } from './link-generations.js';
import type { LinkSignal } from './link-signal.js';
import { LinkTimers } from './link-timers.js';
import { GLARE_WINDOW_MS } from './negotiation.js';
import { type FakeConnection, fakeConnection } from './testing/fake-connection.js';

const log = pino({ level: 'silent' });
const offer: LinkSignal = { kind: 'description', gen: 'x', description: { type: 'offer', sdp: 'v=0' } };
const candidate = { kind: 'candidate', gen: 'x', candidate: { candidate: 'c' } } as unknown as LinkSignal;

function setup() {
  const timers = new LinkTimers(() => false);
  const gens = new LinkGenerations(timers, 2_000, log);
  const pend = (conn: FakeConnection, own = true, startedAt = 0) =>
    gens.setPending({ conn, own, probe: false, timer: timers.after(() => {}, 10_000), startedAt });
  return { timers, gens, pend };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LinkGenerations', () => {
  test('the pending generation that opens becomes active; the one it replaces retires, then ends', () => {
    const { timers, gens, pend } = setup();
    const a = fakeConnection('a');
    const b = fakeConnection('b');
    expect(gens.adopt(a)).toBeNull();
    pend(a);
    expect(gens.adopt(a)?.conn).toBe(a);
    expect(gens.active).toBe(a);
    expect(gens.pending).toBeNull();
    pend(b);
    gens.adopt(b);
    expect(gens.active).toBe(b);
    // Retiring: still receives the peer's signals.
    expect(gens.route(candidate, 'a', false, 0)).toBe(a);
    vi.advanceTimersByTime(1_999);
    expect(a.closed).toBe(0);
    vi.advanceTimersByTime(1);
    expect(a.closed).toBe(1);
    expect(gens.route(candidate, 'a', false, 0)).toBe('ignore');
    expect(gens.route(offer, 'a', false, 0)).toBe('ignore');
    expect(timers.size).toBe(0);
  });

  test('a dropped pending generation ends (with its connect timeout) and its id is remembered', () => {
    const { timers, gens, pend } = setup();
    const a = fakeConnection('a');
    pend(a);
    gens.dropPending();
    expect(a.closed).toBe(1);
    expect(gens.pending).toBeNull();
    expect(timers.size).toBe(0);
    expect(gens.route(offer, 'a', false, 0)).toBe('ignore');
  });

  test('an active generation that died ends', () => {
    const { gens, pend } = setup();
    const a = fakeConnection('a');
    pend(a);
    gens.adopt(a);
    gens.endActive();
    expect(gens.active).toBeNull();
    expect(a.closed).toBe(1);
    expect(gens.route(offer, 'a', false, 0)).toBe('ignore');
  });

  test('signals go to their live generation; only an offer starts a new one', () => {
    const { gens, pend } = setup();
    const a = fakeConnection('a');
    pend(a);
    expect(gens.route(candidate, 'a', false, 0)).toBe(a);
    expect(gens.route(candidate, 'other', false, 0)).toBe('ignore');
  });

  test('glare: the impolite side keeps its fresh offer, the polite side adopts the remote one', () => {
    const impolite = setup();
    const mine = fakeConnection('mine');
    impolite.pend(mine, true, 1_000);
    expect(impolite.gens.route(offer, 'theirs', false, 1_500)).toBe('ignore');
    expect(mine.closed).toBe(0);

    const polite = setup();
    const own = fakeConnection('own');
    polite.pend(own, true, 1_000);
    expect(polite.gens.route(offer, 'theirs', true, 1_500)).toBe('new');
    expect(own.closed).toBe(1);
    expect(polite.gens.pending).toBeNull();

    const late = setup();
    const stale = fakeConnection('stale');
    late.pend(stale, true, 1_000);
    expect(late.gens.route(offer, 'theirs', false, 1_000 + GLARE_WINDOW_MS)).toBe('new');
    expect(stale.closed).toBe(1);
  });

  test('takeAll hands over every generation and forgets them', () => {
    const { gens, pend } = setup();
    const [a, b, c] = [fakeConnection('a'), fakeConnection('b'), fakeConnection('c')];
    pend(a);
    gens.adopt(a);
    pend(b);
    gens.adopt(b);
    pend(c);
    expect(gens.takeAll()).toEqual([b, c, a]);
    expect(gens.active).toBeNull();
    expect(gens.pending).toBeNull();
    expect(gens.route(candidate, 'a', false, 0)).toBe('ignore');
  });
});
