// Frames/s through each forwarding engine alone (no devices, no WebRTC), on one core.
// Run: npx tsx bench/dataplane/engines.ts [secondsPerCase]. Writes bench/results/dataplane.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  arpPacket,
  ethernetFrame,
  ipv4Packet,
  ipv4ToString,
  ipv6Packet,
  L2Switch,
  L3Router,
  macToString,
  tcpSegment,
} from '../../packages/dataplane/src/index.js';

const seconds = Number(process.argv[2] ?? 2);
const PEERS = 10;
const HOSTS = 1000;
const peers = Array.from({ length: PEERS }, (_, i) => `peer-${i}`);

interface Result {
  name: string;
  frames: number;
  seconds: number;
  framesPerSecond: number;
  nsPerFrame: number;
  mbitPerSecond: number;
}

/** Runs fn over the inputs round-robin for the time budget (after a warm-up) and returns the rate. */
function measure(name: string, inputs: Buffer[], fn: (b: Buffer, now: number) => void): Result {
  const n = inputs.length;
  for (let i = 0; i < 50_000; i++) fn(inputs[i % n]!, 0);
  let frames = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 10_000; i++) {
      const b = inputs[(frames + i) % n]!;
      fn(b, frames + i);
      bytes += b.length;
    }
    frames += 10_000;
    elapsed = process.hrtime.bigint() - start;
  }
  const s = Number(elapsed) / 1e9;
  const r: Result = {
    name,
    frames,
    seconds: Math.round(s * 100) / 100,
    framesPerSecond: Math.round(frames / s),
    nsPerFrame: Math.round(Number(elapsed) / frames),
    mbitPerSecond: Math.round((bytes * 8) / s / 1e6),
  };
  console.log(
    `${name.padEnd(44)} ${r.framesPerSecond.toLocaleString('en-US').padStart(12)} frames/s  ${String(r.nsPerFrame).padStart(6)} ns/frame  ${String(r.mbitPerSecond).padStart(6)} Mbit/s`,
  );
  return r;
}

const localMac = (i: number) => macToString(0x02_00_00_00_00_00 + i);
const remoteMac = (i: number) => macToString(0x02_00_00_01_00_00 + i);
const tcpData = (size: number) =>
  tcpSegment({ srcPort: 40000, dstPort: 443, flags: 0x10, payload: Buffer.alloc(size, 0x5a) });

function l2Switch(): L2Switch {
  // Storm control off so the flood and ARP cases measure forwarding, not the limiter.
  const s = new L2Switch({ storm: false, macTable: { maxEntries: 65_536 } });
  for (const p of peers) s.addPeer(p);
  for (let p = 0; p < PEERS; p++) {
    const bindings = [];
    for (let i = p; i < HOSTS; i += PEERS)
      bindings.push({ mac: remoteMac(i), ips: [ipv4ToString(0x0a01_0000 + i)], seq: 0 });
    s.setRemoteBindings(peers[p]!, bindings);
  }
  for (let i = 0; i < HOSTS; i++) {
    s.process(
      'local',
      ethernetFrame({
        dst: 'ff:ff:ff:ff:ff:ff',
        src: localMac(i),
        etherType: 0x88b5,
        payload: Buffer.alloc(46),
      }),
      0,
    );
  }
  return s;
}

const results: Result[] = [];

{
  const s = l2Switch();
  // 1280-byte IPv4 TCP frames, 1000 local hosts -> 1000 remote hosts behind 10 peers.
  const frames = Array.from({ length: HOSTS }, (_, i) =>
    ethernetFrame({
      dst: remoteMac((i * 7) % HOSTS),
      src: localMac(i),
      etherType: 0x0800,
      payload: ipv4Packet({
        src: ipv4ToString(0x0a00_0000 + i),
        dst: ipv4ToString(0x0a01_0000 + i),
        protocol: 6,
        payload: tcpData(1240),
      }),
    }),
  );
  results.push(measure('L2 known unicast local->peer (1294 B)', frames, (f, t) => s.process('local', f, t)));
  const back = Array.from({ length: HOSTS }, (_, i) =>
    ethernetFrame({
      dst: localMac(i),
      src: remoteMac(i),
      etherType: 0x0800,
      payload: ipv4Packet({
        src: ipv4ToString(0x0a01_0000 + i),
        dst: ipv4ToString(0x0a00_0000 + i),
        protocol: 6,
        payload: tcpData(1240),
      }),
    }),
  );
  results.push(measure('L2 known unicast peer->local (1294 B)', back, (f, t) => s.process(peers[0]!, f, t)));
  const small = frames.map((f) => Buffer.from(f.subarray(0, 64)));
  for (const f of small) f.writeUInt16BE(64 - 14, 16); // IPv4 total length of the 64-byte frame
  results.push(measure('L2 known unicast local->peer (64 B)', small, (f, t) => s.process('local', f, t)));
}
{
  const s = l2Switch();
  const frames = Array.from({ length: HOSTS }, (_, i) =>
    ethernetFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: localMac(i),
      etherType: 0x88b5,
      payload: Buffer.alloc(200),
    }),
  );
  results.push(
    measure(`L2 flood broadcast local->${PEERS} peers`, frames, (f, t) => s.process('local', f, t)),
  );
}
{
  const s = l2Switch();
  const frames = Array.from({ length: HOSTS }, (_, i) =>
    ethernetFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: localMac(i),
      etherType: 0x0806,
      payload: arpPacket({
        op: 1,
        senderMac: localMac(i),
        senderIp: ipv4ToString(0x0a00_0000 + i),
        targetMac: '00:00:00:00:00:00',
        targetIp: ipv4ToString(0x0a01_0000 + ((i * 13) % HOSTS)),
      }),
    }),
  );
  results.push(
    measure('L2 ARP suppression (reply built)', frames, (f, t) => {
      const d = s.process('local', f, t);
      if (d.inject === null) throw new Error('expected a suppressed ARP');
    }),
  );
}
{
  // 10k routes: 100 /24 subnets and 9 900 /32 host or node routes over 10 peers, plus a /16 and a default.
  const r = new L3Router({ checkSource: false });
  for (const p of peers) r.addPeer(p);
  r.routes.upsert({ prefix: '0.0.0.0/0', owner: peers[0]!, seq: 0, kind: 'subnet' });
  r.routes.upsert({ prefix: '10.0.0.0/16', owner: peers[1]!, seq: 0, kind: 'subnet' });
  for (let i = 0; i < 100; i++)
    r.routes.upsert({ prefix: `10.${100 + i}.0.0/24`, owner: peers[i % PEERS]!, seq: 0, kind: 'subnet' });
  for (let i = 0; i < 9_900; i++) {
    r.routes.upsert({
      prefix: `${ipv4ToString(0x0a64_0000 + ((i % 100) << 16) + (i >> 2))}/32`,
      owner: peers[(i + 3) % PEERS]!,
      seq: 1,
      kind: 'host',
    });
  }
  const dsts = Array.from({ length: 4096 }, (_, i) => {
    const k = (i * 2654435761) >>> 0;
    // 1/2 host routes, 1/4 subnet (miss the /32s), 1/4 default route.
    if (i % 4 < 2) return ipv4ToString(0x0a64_0000 + ((k % 100) << 16) + ((k >> 8) % 2475));
    if (i % 4 === 2) return `10.${100 + (k % 100)}.${200 + (k % 50)}.${k % 250}`;
    return `198.51.100.${k % 250}`;
  });
  const pkts = dsts.map((dst) => ipv4Packet({ src: '10.0.0.1', dst, protocol: 6, payload: tcpData(1240) }));
  console.log(`(L3 table: ${r.routes.size} routes)`);
  results.push(
    measure('L3 IPv4 LPM, 10k routes (1280 B)', pkts, (p, t) => {
      if (r.process('local', p, t).action !== 'peer') throw new Error('expected a route');
    }),
  );
  const r6 = new L3Router({ checkSource: false });
  for (const p of peers) r6.addPeer(p);
  r6.routes.upsert({ prefix: 'fd7a::/48', owner: peers[0]!, seq: 0, kind: 'subnet' });
  for (let i = 0; i < 100; i++)
    r6.routes.upsert({
      prefix: `fd7a:0:${i.toString(16)}::/64`,
      owner: peers[i % PEERS]!,
      seq: 0,
      kind: 'subnet',
    });
  for (let i = 0; i < 9_900; i++) {
    r6.routes.upsert({
      prefix: `fd7a:0:${(i % 100).toString(16)}::${i.toString(16)}/128`,
      owner: peers[(i + 3) % PEERS]!,
      seq: 1,
      kind: 'host',
    });
  }
  const pkts6 = Array.from({ length: 4096 }, (_, i) =>
    ipv6Packet({
      src: 'fd7a::1',
      dst: `fd7a:0:${(i % 100).toString(16)}::${((i * 7) % 12000).toString(16)}`,
      nextHeader: 6,
      payload: tcpData(1220),
    }),
  );
  results.push(
    measure('L3 IPv6 LPM, 10k routes (1280 B)', pkts6, (p, t) => {
      if (r6.process('local', p, t).action !== 'peer') throw new Error('expected a route');
    }),
  );
}

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'dataplane.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, secondsPerCase: seconds, peers: PEERS, hosts: HOSTS, results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
