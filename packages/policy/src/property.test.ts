import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compilePolicy, type PolicyNode } from './compile.js';
import { validatePolicy } from './schema.js';
import { TCP_ACK, TCP_SYN, tcp4, udp4 } from './test-packets.js';
import { isAccept, Verdict } from './verdict.js';

const NODES: PolicyNode[] = [
  { id: 'node-a', name: 'a', tags: ['tag:admin'], addresses: ['10.99.0.1/24'], routes: [] },
  { id: 'node-b', name: 'b', tags: ['tag:db'], addresses: ['10.99.0.2/24'], routes: [] },
];
const SEED = { seed: 7, numRuns: 300 };
const port = fc.integer({ min: 0, max: 65535 });

describe('policy evaluator properties', () => {
  test('random bytes from any peer never throw and get a known verdict', () => {
    const p = validatePolicy({ rules: [{ action: 'accept', src: ['tag:admin'], dst: ['*:22'] }] });
    if (!p.ok) throw new Error('bad policy');
    const ev = compilePolicy(p.policy, NODES, 'node-b');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('node-a', 'node-x'), (bytes, from) => {
        const v = ev.allowL3(from, bytes, 0);
        expect(
          v === 0 || v === Verdict.DenyDefault || v === Verdict.DenyMalformed || v === Verdict.AcceptReturn,
        ).toBe(true);
        const l2 = ev.allowL2(from, bytes);
        expect(l2).toBe(Verdict.AcceptDefault);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  test('a TCP packet is accepted exactly when its port is in one of the rule ranges', () => {
    const range = fc.tuple(port, port).map(([x, y]) => [Math.min(x, y), Math.max(x, y)] as const);
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 5 }), port, (ranges, dport) => {
        const spec = ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
        const p = validatePolicy({
          rules: [{ action: 'accept', src: ['tag:admin'], dst: [`tag:db:${spec}`], proto: 'tcp' }],
        });
        if (!p.ok) throw new Error(JSON.stringify(p.issues));
        const ev = compilePolicy(p.policy, NODES, 'node-b');
        const expected = ranges.some(([lo, hi]) => dport >= lo && dport <= hi);
        expect(isAccept(ev.allowL3('node-a', tcp4('10.99.0.1', '10.99.0.2', 1000, dport), 0))).toBe(expected);
        // Never for the wrong protocol, nor from a node the rule does not name.
        expect(isAccept(ev.allowL3('node-a', udp4('10.99.0.1', '10.99.0.2', 1000, dport), 0))).toBe(false);
        expect(isAccept(ev.allowL3('node-x', tcp4('10.99.0.1', '10.99.0.2', 1000, dport), 0))).toBe(false);
      }),
      SEED,
    );
  });

  test('the answer to a tracked flow gets in; the same packet without the flow does not', () => {
    const p = validatePolicy({ default: 'deny' });
    if (!p.ok) throw new Error('bad policy');
    fc.assert(
      fc.property(port, port, fc.boolean(), (lport, rport, udp) => {
        const tracked = compilePolicy(p.policy, NODES, 'node-b');
        const fresh = compilePolicy(p.policy, NODES, 'node-b');
        const out = udp
          ? udp4('10.99.0.2', '10.99.0.1', lport, rport)
          : tcp4('10.99.0.2', '10.99.0.1', lport, rport, TCP_SYN);
        const back = udp
          ? udp4('10.99.0.1', '10.99.0.2', rport, lport)
          : tcp4('10.99.0.1', '10.99.0.2', rport, lport, TCP_SYN | TCP_ACK);
        tracked.trackOutbound(out, 0);
        expect(tracked.allowL3('node-a', back, 1)).toBe(Verdict.AcceptReturn);
        expect(fresh.allowL3('node-a', back, 1)).toBe(Verdict.DenyDefault);
      }),
      SEED,
    );
  });

  test('arbitrary JSON never throws in validation, and what validates compiles', () => {
    const entry = fc.oneof(
      fc.constantFrom(
        '*',
        'tag:admin',
        'tag:db',
        'a',
        'b',
        'group:g',
        '10.99.0.0/24',
        'fd99::/64',
        '*:22',
        'b:*',
        'tag:db:1-5',
      ),
      fc.string({ maxLength: 12 }),
    );
    const rule = fc.record({
      action: fc.constantFrom('accept', 'deny'),
      src: fc.array(entry, { maxLength: 3 }),
      dst: fc.array(entry, { maxLength: 3 }),
      proto: fc.constantFrom('tcp', 'udp', 'icmp', 'any', 6, 999),
    });
    const doc = fc.record(
      {
        default: fc.constantFrom('allow', 'deny', 'x'),
        groups: fc.constant({ 'group:g': ['a', 'tag:db'] }),
        rules: fc.array(rule, { maxLength: 3 }),
        l2: fc.array(
          fc.record({ src: fc.array(entry, { maxLength: 2 }), dst: fc.array(entry, { maxLength: 2 }) }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(doc, fc.anything()), (d) => {
        const r = validatePolicy(d);
        if (!r.ok) {
          expect(r.issues.length).toBeGreaterThan(0);
          return;
        }
        const ev = compilePolicy(r.policy, NODES, 'node-b');
        ev.allowL3('node-a', tcp4('10.99.0.1', '10.99.0.2', 1, 22), 0);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});
