// Per-packet cost of the access policy on the receive path (one core, no devices, no WebRTC).
// Run: npx tsx bench/policy/evaluator.ts [secondsPerCase]. Writes bench/results/policy.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethernetFrame, ipv4Packet, tcpSegment, udpDatagram } from '../../packages/dataplane/src/index.js';
import { compilePolicy, type PolicyNode, validatePolicy } from '../../packages/policy/src/index.js';

const seconds = Number(process.argv[2] ?? 1);
const NODES = 200;
const nodes: PolicyNode[] = Array.from({ length: NODES }, (_, i) => ({
  id: `node-${i}`,
  name: `n${i}`,
  tags: [i % 2 ? 'tag:web' : 'tag:admin', `tag:t${i % 10}`],
  addresses: [`10.99.${i >> 8}.${i & 0xff}/16`],
  routes: [],
}));
const SELF = 'node-1';
const selfIp = '10.99.0.1';

function policy(rules: number): ReturnType<typeof validatePolicy> {
  return validatePolicy({
    groups: { 'group:ops': ['tag:admin', 'n7'] },
    rules: [
      ...Array.from({ length: rules - 1 }, (_, i) => ({
        action: 'accept',
        src: [`tag:t${i % 10}`, `10.${i}.0.0/16`],
        dst: [`tag:web:${1000 + i}`],
        proto: 'tcp',
      })),
      { action: 'accept', src: ['group:ops'], dst: ['tag:web:22,80-90'], proto: 'tcp' },
    ],
    l2: [{ src: ['tag:admin'], dst: ['tag:web'], ethertypes: ['ipv4'] }],
  });
}

interface Result {
  name: string;
  packets: number;
  nsPerPacket: number;
  packetsPerSecond: number;
}

function measure(name: string, n: number, fn: (i: number) => void): Result {
  for (let i = 0; i < 100_000; i++) fn(i % n);
  let packets = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 10_000; i++) fn(i % n);
    packets += 10_000;
    elapsed = process.hrtime.bigint() - start;
  }
  const s = Number(elapsed) / 1e9;
  const r = { name, packets, nsPerPacket: (s * 1e9) / packets, packetsPerSecond: packets / s };
  console.log(
    `${name.padEnd(48)} ${r.nsPerPacket.toFixed(0).padStart(6)} ns/packet  ${(r.packetsPerSecond / 1e6).toFixed(2)} Mpps`,
  );
  return r;
}

const results: Result[] = [];
const senders = nodes.filter((n) => n.id !== SELF);
const ip = (n: PolicyNode) => n.addresses[0]!.split('/')[0]!;
for (const rules of [1, 10, 100]) {
  const p = policy(rules);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  const ev = compilePolicy(p.policy, nodes, SELF);
  const allowed = senders
    .filter((n) => n.tags.includes('tag:admin'))
    .map((n) => ({
      id: n.id,
      pkt: ipv4Packet({
        src: ip(n),
        dst: selfIp,
        protocol: 6,
        payload: tcpSegment({ srcPort: 40000, dstPort: 22, flags: 0x10 }),
      }),
    }));
  const denied = senders.map((n) => ({
    id: n.id,
    pkt: ipv4Packet({
      src: ip(n),
      dst: selfIp,
      protocol: 17,
      payload: udpDatagram(5000, 9999, new Uint8Array(64)),
    }),
  }));
  results.push(
    measure(`L3 accept by last rule, ${rules} rules`, allowed.length, (i) =>
      ev.allowL3(allowed[i]!.id, allowed[i]!.pkt, 0),
    ),
  );
  results.push(
    measure(`L3 deny (+ flow lookup), ${rules} rules`, denied.length, (i) =>
      ev.allowL3(denied[i]!.id, denied[i]!.pkt, 0),
    ),
  );
}
const p = policy(10);
if (!p.ok) throw new Error('bad policy');
const ev = compilePolicy(p.policy, nodes, SELF);
const out = senders.map((n) =>
  ipv4Packet({
    src: selfIp,
    dst: ip(n),
    protocol: 6,
    payload: tcpSegment({ srcPort: 40000, dstPort: 443, flags: 0x10 }),
  }),
);
results.push(measure('L3 trackOutbound (established TCP)', out.length, (i) => ev.trackOutbound(out[i]!, 0)));
const frame = ethernetFrame({
  dst: '02:00:00:00:00:01',
  src: '02:00:00:00:00:02',
  etherType: 0x0800,
  payload: new Uint8Array(100),
});
const l2senders = senders.map((n) => n.id);
results.push(measure('L2 pair + EtherType', l2senders.length, (i) => ev.allowL2(l2senders[i]!, frame)));
const allowAll = compilePolicy(null, nodes, SELF);
results.push(measure('no policy (allow all)', 1, () => allowAll.allowL3('node-2', out[0]!, 0)));
const t0 = process.hrtime.bigint();
const big = policy(100);
if (big.ok) compilePolicy(big.policy, nodes, SELF);
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`compile 100 rules x ${NODES} nodes: ${compileMs.toFixed(1)} ms`);

const file = join(dirname(fileURLToPath(import.meta.url)), '../results/policy.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(
  file,
  `${JSON.stringify({ node: process.version, seconds, nodes: NODES, compileMs, results }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
