import { describe, expect, test } from 'vitest';
import { type ClaimAction, DEFAULT_HOST_CLAIMS, HostClaims, type HostClaimsOptions } from './host-claims.js';

const IP = '10.50.0.5';
const MAC = '02:00:00:00:aa:01';

function site(self: string, o: Partial<HostClaimsOptions> = {}): HostClaims {
  return new HostClaims({ ...DEFAULT_HOST_CLAIMS, self, ...o });
}

const kinds = (actions: ClaimAction[]) =>
  actions.map((a) => (a.type === 'event' ? `event:${a.kind}` : a.type));

/**
 * Two sites exchanging claims as the server would carry them: each advertisement of one reaches the
 * other (best claim per address).
 */
function exchange(from: HostClaims, fromId: string, to: HostClaims, now: number): ClaimAction[] {
  const mine = from.claims().find((c) => c.ip === IP);
  return to.remoteClaim(IP, mine ? { node: fromId, seq: mine.seq } : undefined, now);
}

describe('HostClaims: the sequence-number rules', () => {
  test('a host first seen is claimed with seq 1; one that moves in takes the other site’s seq + 1', () => {
    const a = site('a');
    expect(kinds(a.seen(IP, MAC, 'fresh', 0))).toEqual(['advertise']);
    expect(a.claims()).toEqual([{ ip: IP, seq: 1 }]);

    const b = site('b');
    exchange(a, 'a', b, 1);
    const moved = b.seen(IP, MAC, 'fresh', 2);
    expect(kinds(moved)).toEqual(['advertise', 'event:moved-in']);
    expect(b.claims()).toEqual([{ ip: IP, seq: 2 }]);

    // A hears of it: withdraws at once (traffic follows B) and probes its own LAN.
    const yielded = exchange(b, 'b', a, 3);
    expect(kinds(yielded)).toEqual(['advertise', 'event:moved-out', 'probe']);
    expect(a.claims()).toEqual([]);
    // The probe fails: forgotten, nothing advertised again.
    expect(kinds(a.gone(IP, 4))).toEqual(['forget']);
    expect(a.hostViews(4)).toEqual([]);
  });

  test('a move back takes a higher seq again, and the history shows both moves', () => {
    const a = site('a');
    const b = site('b');
    a.seen(IP, MAC, 'fresh', 0);
    exchange(a, 'a', b, 0);
    b.seen(IP, MAC, 'fresh', 1);
    exchange(b, 'b', a, 1);
    a.gone(IP, 2);
    a.seen(IP, MAC, 'fresh', 10);
    expect(a.claims()).toEqual([{ ip: IP, seq: 3 }]);
    expect(kinds(exchange(a, 'a', b, 11))).toEqual(['advertise', 'event:moved-out', 'probe']);
    expect(a.moveHistory().map((m) => [m.from, m.to, m.seq])).toEqual([
      ['a', 'b', 2],
      ['b', 'a', 3],
    ]);
  });

  test('a host whose old site withdrew before it arrived still takes a higher seq, and the move is recorded', () => {
    const a = site('a');
    a.remoteClaim(IP, { node: 'b', seq: 4 }, 0);
    a.remoteClaim(IP, undefined, 1); // B saw it leave and withdrew
    expect(kinds(a.seen(IP, MAC, 'fresh', 2))).toEqual(['advertise', 'event:moved-in']);
    expect(a.claims()).toEqual([{ ip: IP, seq: 5 }]);
    expect(a.moveHistory().at(-1)).toMatchObject({ from: 'b', to: 'a', seq: 5 });
    // A host that leaves and comes back to the same site: a new, higher seq, and no move.
    a.gone(IP, 3);
    expect(kinds(a.seen(IP, MAC, 'fresh', 4))).toEqual(['advertise']);
    expect(a.claims()).toEqual([{ ip: IP, seq: 6 }]);
  });

  test('concurrent claims with the same seq: the smaller node id keeps the host, the other probes', () => {
    const a = site('a');
    const b = site('b');
    const c = site('c');
    c.seen(IP, MAC, 'fresh', 0); // seq 1 at C
    exchange(c, 'c', a, 0);
    exchange(c, 'c', b, 0);
    a.seen(IP, MAC, 'fresh', 1); // both take seq 2 before hearing of each other
    b.seen(IP, MAC, 'fresh', 1);
    expect(a.claims()[0]?.seq).toBe(2);
    expect(b.claims()[0]?.seq).toBe(2);
    expect(kinds(exchange(b, 'b', a, 2))).toEqual([]); // a keeps it
    expect(kinds(exchange(a, 'a', b, 2))).toEqual(['advertise', 'event:moved-out', 'probe']);
    // B's probe is answered: the host is at B too (a duplicate); B claims with the next seq.
    expect(kinds(b.seen(IP, MAC, 'confirmed', 3))).toEqual(['advertise', 'event:moved-in']);
    expect(b.claims()[0]?.seq).toBe(3);
    expect(kinds(exchange(b, 'b', a, 3))).toEqual(['advertise', 'event:moved-out', 'probe']);
  });

  test('a site that restarts with a stale entry probes before it claims, and never uses an old seq', () => {
    const b = site('b');
    b.remoteClaim(IP, { node: 'a', seq: 7 }, 0);
    // Read from the table after the restart: the host may have left while the agent was down.
    expect(kinds(b.seen(IP, MAC, 'dump', 1))).toEqual(['probe']);
    expect(b.claims()).toEqual([]);
    expect(kinds(b.gone(IP, 2))).toEqual(['forget']);
    expect(b.claims()).toEqual([]);

    const b2 = site('b');
    b2.remoteClaim(IP, { node: 'a', seq: 7 }, 0);
    b2.seen(IP, MAC, 'dump', 1);
    // It answers: it is here; claimed above the other site's number.
    expect(kinds(b2.seen(IP, MAC, 'confirmed', 2))).toEqual(['advertise', 'event:moved-in']);
    expect(b2.claims()).toEqual([{ ip: IP, seq: 8 }]);

    // Nobody else claims it: an entry from the table is claimed at once.
    const b3 = site('b');
    expect(kinds(b3.seen(IP, MAC, 'dump', 0))).toEqual(['advertise']);
  });

  test('a host that disappears is withdrawn; an unconfirmed one is probed, then withdrawn if silent', () => {
    const a = site('a', { ageMs: 60_000, probeTimeoutMs: 5000 });
    a.seen(IP, MAC, 'fresh', 0);
    a.seen('10.50.0.6', MAC.replace('01', '02'), 'fresh', 0);
    expect(kinds(a.gone('10.50.0.6', 1))).toEqual(['advertise', 'forget', 'event:gone']);

    expect(a.tick(59_999)).toEqual([]);
    expect(kinds(a.tick(60_000))).toEqual(['probe']);
    expect(a.isClaimed(IP)).toBe(true); // still routed here while the probe runs
    a.seen(IP, MAC, 'confirmed', 61_000); // answered
    expect(a.tick(70_000)).toEqual([]);
    expect(a.isClaimed(IP)).toBe(true);

    expect(kinds(a.tick(121_000))).toEqual(['probe']);
    expect(kinds(a.tick(126_000))).toEqual(['advertise', 'forget', 'event:gone']);
    expect(a.claims()).toEqual([]);
  });

  test('flapping between two sites is damped: reported once, and not claimed back until the hold ends', () => {
    const o = { flapMoves: 3, flapWindowMs: 60_000, holdMs: 30_000 };
    const a = site('a', o);
    const b = site('b', o);
    const events: string[] = [];
    const note = (acts: ClaimAction[]) => {
      for (const x of acts) if (x.type === 'event' && x.kind === 'flapping') events.push(x.message);
    };
    a.seen(IP, MAC, 'fresh', 0);
    let t = 0;
    for (let round = 0; round < 4; round++) {
      t += 1000;
      note(exchange(a, 'a', b, t));
      note(b.seen(IP, MAC, 'confirmed', t)); // a duplicate: answers at both sites
      note(exchange(b, 'b', a, t));
      note(a.seen(IP, MAC, 'confirmed', t));
      note(exchange(a, 'a', b, t));
    }
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatch(/duplicate address or a loop/);
    // Damped at one site at least: the claims stop bouncing.
    const claimsNow = [a.claims().length, b.claims().length];
    expect(claimsNow.filter((n) => n === 1)).toHaveLength(1);
    const holder = a.isClaimed(IP) ? a : b;
    const other = holder === a ? b : a;
    expect(other.seen(IP, MAC, 'confirmed', t + 1)).toEqual([]);
    expect(other.hostViews(t + 1)[0]?.dampedUntil).toBeGreaterThan(t);
    // After the hold it competes again.
    other.tick(t + 40_000);
    expect(kinds(other.seen(IP, MAC, 'confirmed', t + 40_001))).toContain('advertise');
  });

  test('a site claims at most maxHosts hosts and says so', () => {
    const a = site('a', { maxHosts: 2 });
    a.seen('10.50.0.1', MAC, 'fresh', 0);
    a.seen('10.50.0.2', MAC, 'fresh', 0);
    const third = a.seen('10.50.0.3', MAC, 'fresh', 0);
    expect(kinds(third)).toEqual(['event:limit']);
    expect(a.claims()).toHaveLength(2);
    expect(a.seen('10.50.0.3', MAC, 'confirmed', 1)).toEqual([]); // said once
    a.gone('10.50.0.1', 1);
    expect(kinds(a.seen('10.50.0.3', MAC, 'confirmed', 2))).toEqual(['advertise']);
  });
});
