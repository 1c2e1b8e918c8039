import { arpPacket, ethernetFrame } from '@rtcmesh/dataplane';
import { describe, expect, test } from 'vitest';
import { compilePolicy, type PolicyNode } from './compile.js';
import { FlowTable } from './flow-table.js';
import { type Policy, validatePolicy } from './schema.js';
import { echo4, TCP_ACK, TCP_SYN, tcp4, tcp6, udp4, unreachable4 } from './test-packets.js';
import { isAccept, Verdict } from './verdict.js';

const NODES: PolicyNode[] = [
  { id: 'node-a', name: 'a', tags: ['tag:admin'], addresses: ['10.99.0.1/24', 'fd99::1/64'], routes: [] },
  {
    id: 'node-b',
    name: 'b',
    tags: ['tag:db'],
    addresses: ['10.99.0.2/24', 'fd99::2/64'],
    routes: ['10.2.0.0/24'],
  },
  { id: 'node-c', name: 'c', tags: ['tag:web'], addresses: ['10.99.0.3/24'], routes: [] },
];
const A = '10.99.0.1';
const B = '10.99.0.2';
const C = '10.99.0.3';

function policy(doc: unknown): Policy {
  const r = validatePolicy(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}
const NOW = 1_000_000;

describe('L3 rules, evaluated at the receiving node', () => {
  const admin22 = policy({
    rules: [{ action: 'accept', src: ['tag:admin'], dst: ['tag:db:22'], proto: 'tcp' }],
  });
  const atB = compilePolicy(admin22, NODES, 'node-b');

  test('tcp/22 from tag:admin to tag:db is accepted by rule 0', () => {
    expect(atB.allowL3('node-a', tcp4(A, B, 40000, 22), NOW)).toBe(0);
    expect(atB.allowL3('node-a', tcp6('fd99::1', 'fd99::2', 40000, 22), NOW)).toBe(0);
  });

  test('another port, ping, another source: denied by default', () => {
    expect(atB.allowL3('node-a', tcp4(A, B, 40000, 23), NOW)).toBe(Verdict.DenyDefault);
    expect(atB.allowL3('node-a', udp4(A, B, 40000, 22), NOW)).toBe(Verdict.DenyDefault);
    expect(atB.allowL3('node-a', echo4(A, B, 1), NOW)).toBe(Verdict.DenyDefault);
    expect(atB.allowL3('node-c', tcp4(C, B, 40000, 22), NOW)).toBe(Verdict.DenyDefault);
  });

  test('a node selector in dst covers the subnets the node routes', () => {
    expect(atB.allowL3('node-a', tcp4(A, '10.2.0.9', 40000, 22), NOW)).toBe(0);
  });

  test('the rule applies only at the destination it names', () => {
    const atC = compilePolicy(admin22, NODES, 'node-c');
    expect(atC.allowL3('node-a', tcp4(A, C, 40000, 22), NOW)).toBe(Verdict.DenyDefault);
  });

  test('CIDR sources and destinations are checked per packet', () => {
    const p = policy({ rules: [{ action: 'accept', src: ['10.99.0.3/32'], dst: ['10.2.0.0/25:80'] }] });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.allowL3('node-c', tcp4(C, '10.2.0.5', 1, 80), NOW)).toBe(0);
    expect(ev.allowL3('node-c', tcp4(C, '10.2.0.200', 1, 80), NOW)).toBe(Verdict.DenyDefault);
    expect(ev.allowL3('node-a', tcp4(A, '10.2.0.5', 1, 80), NOW)).toBe(Verdict.DenyDefault);
    // A sender the compiler never heard of still matches address rules.
    expect(ev.allowL3('node-x', tcp4(C, '10.2.0.5', 1, 80), NOW)).toBe(0);
  });

  test('groups hold names and tags; "*" src covers unknown senders', () => {
    const p = policy({
      groups: { 'group:ops': ['c', 'tag:nothing'] },
      rules: [
        { action: 'accept', src: ['group:ops'], dst: ['b:443'] },
        { action: 'accept', src: ['*'], dst: ['*:*'], proto: 'icmp' },
      ],
    });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.allowL3('node-c', tcp4(C, B, 1, 443), NOW)).toBe(0);
    expect(ev.allowL3('node-a', tcp4(A, B, 1, 443), NOW)).toBe(Verdict.DenyDefault);
    expect(ev.allowL3('node-zz', echo4('10.99.0.9', B, 5), NOW)).toBe(1);
  });

  test('ports with proto "any" restrict TCP and UDP only; ICMP needs "*"', () => {
    const p = policy({ rules: [{ action: 'accept', src: ['*'], dst: ['*:53'] }] });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.allowL3('node-a', udp4(A, B, 1, 53), NOW)).toBe(0);
    expect(ev.allowL3('node-a', tcp4(A, B, 1, 53), NOW)).toBe(0);
    expect(ev.allowL3('node-a', echo4(A, B, 1), NOW)).toBe(Verdict.DenyDefault);
  });

  test('explicit default allow, and no policy at all, accept everything', () => {
    const p = policy({ default: 'allow', rules: [{ action: 'accept', src: ['a'], dst: ['b:22'] }] });
    expect(compilePolicy(p, NODES, 'node-b').allowL3('node-c', udp4(C, B, 1, 9), NOW)).toBe(
      Verdict.AcceptDefault,
    );
    expect(compilePolicy(null, NODES, 'node-b').allowL3('node-c', udp4(C, B, 1, 9), NOW)).toBe(
      Verdict.AcceptDefault,
    );
  });

  test('explicit default deny with no rules denies everything', () => {
    const ev = compilePolicy(policy({ default: 'deny' }), NODES, 'node-b');
    expect(ev.allowL3('node-a', tcp4(A, B, 1, 22), NOW)).toBe(Verdict.DenyDefault);
  });

  test('garbage is denied as malformed', () => {
    expect(atB.allowL3('node-a', Buffer.from([0x45, 0, 0]), NOW)).toBe(Verdict.DenyMalformed);
    expect(atB.allowL3('node-a', Buffer.alloc(0), NOW)).toBe(Verdict.DenyMalformed);
  });
});

describe('rules naming browsers, for node traffic', () => {
  const packets = [
    ['node-a', tcp4(A, B, 40000, 22)],
    ['node-a', tcp4(A, B, 40000, 443)],
    ['node-c', tcp4(C, B, 40000, 22)],
    ['node-c', udp4(C, B, 1, 53)],
    ['node-a', echo4(A, B, 1)],
    ['node-x', tcp4('10.99.0.9', B, 1, 22)],
    ['node-a', tcp6('fd99::1', 'fd99::2', 1, 443)],
  ] as const;
  const verdicts = (p: Policy | null, at = 'node-b') => {
    const ev = compilePolicy(p, NODES, at);
    return packets.map(([from, pkt]) => ev.allowL3(from, pkt, NOW));
  };

  test('browser-only rules keep the node default allow', () => {
    const p = policy({
      rules: [
        { action: 'accept', src: ['browser:admin'], dst: ['b:22'], proto: 'tcp' },
        { action: 'accept', src: ['browser:*', 'browser:ops'], dst: ['*:*'] },
      ],
    });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.l3DefaultAllow).toBe(true);
    expect(ev.l3Senders).toBe(0);
    expect(verdicts(p)).toEqual(packets.map(() => Verdict.AcceptDefault));
    // An explicit default still applies to nodes, and browser rules grant them nothing.
    expect(verdicts(policy({ ...p, default: 'deny' }))).toEqual(packets.map(() => Verdict.DenyDefault));
  });

  test('a rule with a node source among browsers counts (and only its node sources get in)', () => {
    const p = policy({ rules: [{ action: 'accept', src: ['browser:admin', 'tag:admin'], dst: ['b:22'] }] });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.l3DefaultAllow).toBe(false);
    expect(ev.allowL3('node-a', tcp4(A, B, 1, 22), NOW)).toBe(0);
    expect(ev.allowL3('node-c', tcp4(C, B, 1, 22), NOW)).toBe(Verdict.DenyDefault);
  });

  test('"*" src with browser rules: node verdicts unchanged (rule indices kept)', () => {
    const nodeRules = [
      { action: 'accept', src: ['*'], dst: ['b:443'] },
      { action: 'accept', src: ['tag:web'], dst: ['*:22'], proto: 'tcp' },
      { action: 'accept', src: ['10.99.0.0/24'], dst: ['*:*'], proto: 'icmp' },
    ];
    const browserRule = { action: 'accept', src: ['browser:admin'], dst: ['*:*'], proto: 'tcp' };
    const without = policy({ rules: nodeRules });
    const withBrowsers = policy({ rules: [browserRule, ...nodeRules, browserRule] });
    for (const at of ['node-a', 'node-b', 'node-c']) {
      const expected = verdicts(without, at).map((v) => (v >= 0 ? v + 1 : v));
      expect(verdicts(withBrowsers, at), at).toEqual(expected);
    }
    expect(verdicts(without)).toEqual([
      Verdict.DenyDefault,
      0,
      1,
      Verdict.DenyDefault,
      2,
      Verdict.DenyDefault,
      0,
    ]);
  });
});

describe('return traffic of flows the receiving node started', () => {
  const denyAll = policy({ default: 'deny' });

  test('TCP: the answer to a local SYN gets in, nothing else on other ports', () => {
    const ev = compilePolicy(denyAll, NODES, 'node-b');
    ev.trackOutbound(tcp4(B, C, 40000, 80, TCP_SYN), NOW);
    expect(ev.allowL3('node-c', tcp4(C, B, 80, 40000, TCP_SYN | TCP_ACK), NOW)).toBe(Verdict.AcceptReturn);
    expect(ev.allowL3('node-c', tcp4(C, B, 80, 40001, TCP_ACK), NOW)).toBe(Verdict.DenyDefault);
    expect(ev.allowL3('node-c', tcp4(C, B, 81, 40000, TCP_ACK), NOW)).toBe(Verdict.DenyDefault);
  });

  test('TCP: a local SYN-ACK (a peer opened the connection) is not tracked', () => {
    const ev = compilePolicy(denyAll, NODES, 'node-b');
    ev.trackOutbound(tcp4(B, C, 22, 50000, TCP_SYN | TCP_ACK), NOW);
    expect(ev.allowL3('node-c', tcp4(C, B, 50000, 22, TCP_ACK), NOW)).toBe(Verdict.DenyDefault);
  });

  test('ICMP echo: the reply with the same identifier gets in, until the flow expires', () => {
    const ev = compilePolicy(denyAll, NODES, 'node-b');
    ev.trackOutbound(echo4(B, C, 7), NOW);
    expect(ev.allowL3('node-c', echo4(C, B, 7, true), NOW)).toBe(Verdict.AcceptReturn);
    expect(ev.allowL3('node-c', echo4(C, B, 8, true), NOW)).toBe(Verdict.DenyDefault);
    expect(ev.allowL3('node-c', echo4(C, B, 7, false), NOW)).toBe(Verdict.DenyDefault);
    expect(ev.allowL3('node-c', echo4(C, B, 7, true), NOW + 31_000)).toBe(Verdict.DenyDefault);
  });

  test('UDP and the ICMP errors about it', () => {
    const ev = compilePolicy(denyAll, NODES, 'node-b');
    const out = udp4(B, C, 5000, 53);
    ev.trackOutbound(out, NOW);
    expect(ev.allowL3('node-c', udp4(C, B, 53, 5000), NOW)).toBe(Verdict.AcceptReturn);
    expect(ev.allowL3('node-c', unreachable4(C, B, out), NOW)).toBe(Verdict.AcceptReturn);
    expect(ev.allowL3('node-c', unreachable4(C, B, udp4(B, C, 5001, 53)), NOW)).toBe(Verdict.DenyDefault);
  });

  test('flows survive a recompile that reuses the table', () => {
    const flows = new FlowTable();
    compilePolicy(denyAll, NODES, 'node-b', { flows }).trackOutbound(tcp4(B, C, 40000, 80), NOW);
    const next = compilePolicy(denyAll, NODES, 'node-b', { flows });
    expect(next.allowL3('node-c', tcp4(C, B, 80, 40000, TCP_ACK), NOW)).toBe(Verdict.AcceptReturn);
  });

  test('a full table replaces the flow closest to expiry, and never grows', () => {
    const flows = new FlowTable({ capacity: 16 });
    for (let i = 0; i < 100; i++) flows.trackOutbound(udp4(B, C, 10_000 + i, 53), NOW + i);
    expect(flows.capacity).toBe(16);
    expect(flows.counters.evicted).toBeGreaterThan(0);
    expect(flows.size(NOW + 100)).toBeLessThanOrEqual(16);
    flows.flush(true);
    expect(flows.size(NOW + 100)).toBe(0);
  });
});

describe('L2 rules: node pairs and EtherTypes', () => {
  const frame = (etherType: number, vlanId?: number) =>
    ethernetFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      etherType,
      payload: new Uint8Array(46),
      ...(vlanId === undefined ? {} : { vlanId }),
    });
  const arp = ethernetFrame({
    dst: 'ff:ff:ff:ff:ff:ff',
    src: '02:00:00:00:00:01',
    etherType: 0x0806,
    payload: arpPacket({
      op: 1,
      senderMac: '02:00:00:00:00:01',
      senderIp: A,
      targetMac: '00:00:00:00:00:00',
      targetIp: B,
    }),
  });

  test('a pair rule works in both directions; other pairs are denied', () => {
    const p = policy({ l2: [{ src: ['a'], dst: ['tag:db'] }] });
    expect(compilePolicy(p, NODES, 'node-b').allowL2('node-a', arp)).toBe(0);
    expect(compilePolicy(p, NODES, 'node-a').allowL2('node-b', arp)).toBe(0);
    expect(compilePolicy(p, NODES, 'node-b').allowL2('node-c', arp)).toBe(Verdict.DenyDefault);
    expect(compilePolicy(p, NODES, 'node-c').allowL2('node-a', arp)).toBe(Verdict.DenyDefault);
  });

  test('EtherType lists: ipv4 brings ARP along; VLAN-tagged frames are judged by their payload', () => {
    const p = policy({ l2: [{ src: ['*'], dst: ['*'], ethertypes: ['ipv4'] }] });
    const ev = compilePolicy(p, NODES, 'node-b');
    expect(ev.allowL2('node-a', frame(0x0800))).toBe(0);
    expect(ev.allowL2('node-a', arp)).toBe(0);
    expect(ev.allowL2('node-a', frame(0x0800, 10))).toBe(0);
    expect(ev.allowL2('node-a', frame(0x86dd))).toBe(Verdict.DenyEthertype);
    expect(isAccept(ev.allowL2('node-a', frame(0x88cc)))).toBe(false);
  });

  test('no l2 section: every pair may talk; runt frames are malformed under a policy', () => {
    expect(compilePolicy(policy({}), NODES, 'node-b').allowL2('node-c', arp)).toBe(Verdict.AcceptDefault);
    const ev = compilePolicy(policy({ l2: [{ src: ['*'], dst: ['*'] }] }), NODES, 'node-b');
    expect(ev.allowL2('node-c', Buffer.alloc(10))).toBe(Verdict.DenyMalformed);
  });
});
