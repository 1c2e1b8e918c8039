import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ConnectPlan } from './connect-plan.js';
import { LinkGenerations } from './link-generations.js';
import { LinkRecovery } from './link-recovery.js';
import { LinkTimers } from './link-timers.js';
import type { LinkState } from './peer-link-options.js';
import { DIRECT_PATH, type FakeConnection, fakeConnection, RELAY_PATH } from './testing/fake-connection.js';

const log = pino({ level: 'silent' });
const PLANS: ConnectPlan[] = [
  { policy: 'all', turnIndex: 0 },
  { policy: 'relay', turnIndex: 0 },
  { policy: 'relay', turnIndex: 1 },
];
const TIMINGS = {
  keepaliveIntervalMs: 500,
  keepaliveMissLimit: 4,
  restartTimeoutMs: 500,
  upgradeIntervalMs: 20_000,
  retryMinMs: 1_000,
  retryMaxMs: 30_000,
};

/** A link around LinkRecovery: its state, its generations, and the generations recovery asked for. */
function world(over: { probes?: boolean; upgradeIntervalMs?: number } = {}) {
  let state: LinkState = 'connected';
  const states: LinkState[] = [];
  const started: Array<{ plan: ConnectPlan; probe: boolean }> = [];
  const timers = new LinkTimers(() => state === 'closed');
  const gens = new LinkGenerations(timers, 2_000, log);
  let n = 0;
  /** Makes `conn` the pending generation, as PeerLink.startGeneration does. */
  const pend = (conn: FakeConnection, how: { own: boolean; probe: boolean }) => {
    const timer = timers.after(() => {}, 10_000);
    gens.setPending({ conn, own: how.own, probe: how.probe, timer, startedAt: 0 });
  };
  const recovery = new LinkRecovery({
    plans: PLANS,
    timings: { ...TIMINGS, upgradeIntervalMs: over.upgradeIntervalMs ?? TIMINGS.upgradeIntervalMs },
    probes: over.probes ?? true,
    generations: gens,
    timers,
    log,
    host: {
      state: () => state,
      setState: (next) => {
        state = next;
        states.push(next);
      },
      startGeneration: (plan, how) => {
        started.push({ plan, probe: how.probe });
        pend(fakeConnection(`g${++n}`, { plan }), how);
      },
    },
  });
  /** Opens `conn` as the active generation. */
  const activate = (conn: FakeConnection) => {
    pend(conn, { own: true, probe: false });
    gens.adopt(conn);
    recovery.opened();
  };
  return {
    recovery,
    gens,
    started,
    states,
    pend,
    activate,
    get state() {
      return state;
    },
    set state(s: LinkState) {
      state = s;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('keepalive loss', () => {
  test('within the miss limit, or while not connected, nothing happens', () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    w.recovery.keepaliveTick(conn, 2_000);
    w.state = 'connecting';
    w.recovery.keepaliveTick(conn, 5_000);
    vi.advanceTimersByTime(5_000);
    expect(w.states).toEqual([]);
    expect(conn.iceRestarts).toBe(0);
    expect(w.started).toEqual([]);
  });

  test('restarts ICE, then after restartTimeoutMs offers a new generation with the next plan; the old one stays active', () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    w.recovery.keepaliveTick(conn, 2_001);
    expect(w.states).toEqual(['reconnecting']);
    expect(conn.iceRestarts).toBe(1);
    expect(w.recovery.iceRestarts).toBe(1);
    vi.advanceTimersByTime(499);
    expect(w.started).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(w.started).toEqual([{ plan: PLANS[1], probe: false }]);
    expect(w.gens.active).toBe(conn);
    expect(conn.closed).toBe(0);
  });

  test('without ICE restart (libdatachannel) the new generation starts at once', () => {
    const w = world();
    const conn = fakeConnection('a', { canRestartIce: false, plan: PLANS[1] });
    w.activate(conn);
    w.recovery.keepaliveTick(conn, 2_001);
    expect(conn.iceRestarts).toBe(0);
    vi.advanceTimersByTime(0);
    expect(w.started).toEqual([{ plan: PLANS[2], probe: false }]);
  });

  test('while answering the peer’s new generation, no rival one is started: the answer goes on', () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    const theirs = fakeConnection('theirs');
    w.pend(theirs, { own: false, probe: false });
    w.recovery.keepaliveTick(conn, 2_001);
    vi.advanceTimersByTime(500);
    expect(w.started).toEqual([]);
    expect(w.gens.pending?.conn).toBe(theirs);
    expect(theirs.closed).toBe(0);
  });

  test('an own pending generation (or a probe) is dropped for the new one', () => {
    for (const how of [
      { own: true, probe: false },
      { own: true, probe: true },
      { own: false, probe: true },
    ]) {
      const w = world();
      const conn = fakeConnection('a');
      w.activate(conn);
      const mine = fakeConnection('mine');
      w.pend(mine, how);
      w.recovery.keepaliveTick(conn, 2_001);
      vi.advanceTimersByTime(500);
      expect(mine.closed).toBe(1);
      expect(w.started).toEqual([{ plan: PLANS[1], probe: false }]);
    }
  });

  test('nothing new once the active generation changed or the link reconnected', () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    w.recovery.keepaliveTick(conn, 2_001);
    w.state = 'connected';
    vi.advanceTimersByTime(500);
    expect(w.started).toEqual([]);
  });

  test('a pong while reconnecting recovers the link and drops an own replacement, not the peer’s', () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    expect(w.recovery.pong()).toBe(false);
    w.recovery.keepaliveTick(conn, 2_001);
    const mine = fakeConnection('mine');
    w.pend(mine, { own: true, probe: false });
    expect(w.recovery.pong()).toBe(true);
    expect(mine.closed).toBe(1);
    // The restart deadline was cancelled: no new generation later.
    vi.advanceTimersByTime(1_000);
    expect(w.started).toEqual([]);

    const theirs = fakeConnection('theirs');
    w.pend(theirs, { own: false, probe: false });
    w.recovery.keepaliveTick(conn, 2_001);
    expect(w.recovery.pong()).toBe(true);
    expect(theirs.closed).toBe(0);
  });
});

describe('connect retries', () => {
  test('a failed probe, or a failure while the active generation works, costs nothing', () => {
    const w = world();
    w.state = 'connecting';
    w.recovery.pendingFailed(true);
    w.state = 'connected';
    w.activate(fakeConnection('a'));
    w.recovery.pendingFailed(false);
    vi.advanceTimersByTime(60_000);
    expect(w.started).toEqual([]);
  });

  test('one quick pass over every plan, then backoff', () => {
    const w = world();
    w.state = 'connecting';
    for (const plan of [PLANS[1], PLANS[2]]) {
      w.recovery.pendingFailed(false);
      vi.advanceTimersByTime(250);
      expect(w.started.at(-1)).toEqual({ plan, probe: false });
      w.gens.dropPending();
    }
    const before = w.started.length;
    w.recovery.pendingFailed(false);
    vi.advanceTimersByTime(250);
    expect(w.started.length).toBe(before);
    vi.advanceTimersByTime(30_000);
    expect(w.started.at(-1)).toEqual({ plan: PLANS[0], probe: false });
  });

  test('a retry waits for a generation already negotiating', () => {
    const w = world();
    w.state = 'reconnecting';
    w.pend(fakeConnection('theirs'), { own: false, probe: false });
    w.recovery.scheduleRetry(0);
    vi.advanceTimersByTime(0);
    expect(w.started).toEqual([]);
  });
});

describe('direct-path probes', () => {
  test('while relayed the probing side offers a direct-only probe every upgrade interval', () => {
    const w = world();
    w.recovery.startProbes();
    w.activate(fakeConnection('a', { path: RELAY_PATH }));
    vi.advanceTimersByTime(20_000);
    expect(w.started).toEqual([{ plan: { policy: 'direct', turnIndex: 0 }, probe: true }]);
    // One probe at a time.
    vi.advanceTimersByTime(20_000);
    expect(w.started.length).toBe(1);
    w.recovery.stop();
  });

  test('no probe on a direct path, on the side that does not probe, or with the interval at 0', () => {
    for (const [over, path] of [
      [{}, DIRECT_PATH],
      [{ probes: false }, RELAY_PATH],
      [{ upgradeIntervalMs: 0 }, RELAY_PATH],
    ] as const) {
      const w = world(over);
      w.recovery.startProbes();
      w.activate(fakeConnection('a', { path }));
      w.recovery.landedOnRelay();
      vi.advanceTimersByTime(60_000);
      expect(w.started).toEqual([]);
      w.recovery.stop();
    }
  });

  test('landing on the relay probes after 3 s, not a whole interval', () => {
    const w = world();
    w.recovery.startProbes();
    w.activate(fakeConnection('a', { path: RELAY_PATH }));
    w.recovery.landedOnRelay();
    vi.advanceTimersByTime(2_999);
    expect(w.started).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(w.started).toEqual([{ plan: { policy: 'direct', turnIndex: 0 }, probe: true }]);
    w.recovery.stop();
  });

  test('stop ends the probes', () => {
    const w = world();
    w.recovery.startProbes();
    w.activate(fakeConnection('a', { path: RELAY_PATH }));
    w.recovery.stop();
    vi.advanceTimersByTime(60_000);
    expect(w.started).toEqual([]);
  });
});

describe('forced restart', () => {
  test("'ice' restarts ICE in place where the stack can", () => {
    const w = world();
    const conn = fakeConnection('a');
    w.activate(conn);
    w.recovery.restart('ice');
    expect(conn.iceRestarts).toBe(1);
    expect(w.recovery.iceRestarts).toBe(1);
    expect(w.started).toEqual([]);
  });

  test("'renegotiate', or 'ice' without ICE restart, offers a generation with the active plan (a probe's: the first)", () => {
    const w = world();
    w.activate(fakeConnection('a', { plan: PLANS[2], canRestartIce: false }));
    const mine = fakeConnection('mine');
    w.pend(mine, { own: true, probe: false });
    w.recovery.restart('ice');
    expect(mine.closed).toBe(1);
    expect(w.started).toEqual([{ plan: PLANS[2], probe: false }]);

    const v = world();
    v.activate(fakeConnection('b', { plan: { policy: 'direct', turnIndex: 0 } }));
    v.recovery.restart('renegotiate');
    expect(v.started).toEqual([{ plan: PLANS[0], probe: false }]);
  });
});
