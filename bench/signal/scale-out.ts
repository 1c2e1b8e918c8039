// Signaling scale-out: N simulated agents (default 10 000) spread over TWO rtcmesh-signal instances
// (child processes) on one PostgreSQL database and one Redis bus, all on loopback. Agents alternate
// between the instances, so every network has peers on both. Figures: join and connect rates,
// sessions per instance (each instance's own view, GET /api/v1/cluster), time for a new node's
// presence (`peer-joined`) to reach every online peer of its network on both instances, messages/s
// relayed between agents on different instances (and, for comparison, on the same instance).
// Needs PostgreSQL and Redis (.ci/services.sh; RTCMESH_TEST_PG / RTCMESH_TEST_REDIS).
// Run: npx tsx bench/signal/scale-out.ts [--agents 10000] [--network-size 100] [--budget 90]
//      (writes bench/results/signal-scale-out.json and .md)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ipv4ToNumber, numberToIpv4 } from '../../apps/signal/src/ipam/ipv4.js';
import { Store } from '../../apps/signal/src/store/index.js';
import { type ChildInstance, startChildInstance } from '../../apps/signal/src/testing/instances.js';
import { dropSchema, freshSchema, TEST_PG, TEST_REDIS } from '../../apps/signal/src/testing/services.js';
import { generateNodeKey } from '../../packages/protocol/src/index.js';
import { median, round } from '../compare/stats.js';
import { pool } from './pool.js';
import {
  api,
  BENCH_ADMIN_TOKEN,
  connect,
  joinNode,
  pumpSignals,
  type SimNode,
  type SimSession,
} from './sim-agent.js';

const here = dirname(fileURLToPath(import.meta.url));

// 10 000 sessions need 10 000+ descriptors in this process: raise the soft limit (as scale.ts does).
const limits = /Max open files\s+(\d+)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
const softLimit = Number(limits?.[1] ?? 0);
const hardLimit = limits?.[2] === 'unlimited' ? 1_048_576 : Number(limits?.[2] ?? 0);
if (softLimit < Math.min(hardLimit, 65_536) && !process.env.RTM_SCALE_REEXEC) {
  const n = Math.min(hardLimit, 65_536);
  const r = spawnSync(
    'prlimit',
    [`--nofile=${n}:${hardLimit}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, RTM_SCALE_REEXEC: '1' } },
  );
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '10000' },
    'network-size': { type: 'string', default: '100' },
    budget: { type: 'string', default: '90' },
    // Nodes registered over REST (the join-rate figure); the rest are written straight into the
    // database, as if they had joined earlier: 10 000 REST joins would take minutes on this box.
    joins: { type: 'string', default: '1000' },
  },
});
const N = Number(values.agents);
const REST_JOINS = Math.min(N, Number(values.joins));
const SIZE = Number(values['network-size']);
const BUDGET_MS = Number(values.budget) * 1000;
const CONCURRENCY = 32;
const log = (s: string) => process.stderr.write(`${s}\n`);

async function get<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

function mem(i: ChildInstance): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && 'mem' in m) {
        i.child.off('message', on);
        resolve((m as { mem: { rss: number; heapUsed: number } }).mem);
      }
    };
    i.child.on('message', on);
    i.child.send('mem');
  });
}

const schema = freshSchema('bench');
const options = {
  database: TEST_PG,
  postgres: { schema, poolSize: 10 },
  bus: TEST_REDIS,
  busPrefix: `bench-${randomBytes(4).toString('hex')}`,
  adminToken: BENCH_ADMIN_TOKEN,
  rateLimitPerSecond: 1_000_000,
  rateLimitBurst: 1_000_000,
};
const instances = await Promise.all([startChildInstance(options), startChildInstance(options)]);
const [A, B] = instances as [ChildInstance, ChildInstance];
const ep = [A, B];

try {
  const nets = Math.ceil(N / SIZE);
  const keys: string[] = [];
  for (let i = 0; i < nets; i++) {
    const cidr = `10.${64 + Math.floor(i / 16)}.${(i % 16) * 16}.0/20`;
    await api(A, '/api/v1/networks', { name: `so-${i}`, mode: 'l3', cidr });
    keys.push((await api<{ key: string }>(B, '/api/v1/keys', { network: `so-${i}`, reusable: true })).key);
  }
  log(`${N} agents in ${nets} networks of ${SIZE}, alternating between two instances ...`);
  const slots = Array.from({ length: N }, (_, i) => ({ net: Math.floor(i / SIZE), i }));
  // Round-robin over the networks for the REST joins, so they do not all queue on one network's lock.
  const restSlots = slots.filter((s) => s.i % SIZE < Math.ceil(REST_JOINS / nets)).slice(0, REST_JOINS);
  let t = performance.now();
  const joinedRest = await pool(restSlots, { concurrency: CONCURRENCY, budgetMs: BUDGET_MS }, async (s) => ({
    ...s,
    node: await joinNode(ep[s.i % 2]!, keys[s.net]!, `n${s.i}`),
  }));
  const joinS = (performance.now() - t) / 1000;
  const restDone = new Set(joinedRest.done.map((j) => j.i));
  const seeded = await seed(
    schema,
    slots.filter((s) => !restDone.has(s.i)),
    keys.map((_, i) => `so-${i}`),
  );
  const joined = { done: [...joinedRest.done, ...seeded], overran: joinedRest.overran };
  log(
    `  joined ${joinedRest.done.length} over REST (${round(joinedRest.done.length / joinS)}/s)${joined.overran ? ' budget hit' : ''}, seeded ${seeded.length}`,
  );
  const sessions: { s: SimSession; on: number }[][] = keys.map(() => []);
  t = performance.now();
  const connected = await pool(joined.done, { concurrency: CONCURRENCY, budgetMs: BUDGET_MS }, async (j) => {
    const s = await connect(ep[j.i % 2]!, j.node);
    sessions[j.net]!.push({ s, on: j.i % 2 });
    return s;
  });
  const connectS = (performance.now() - t) / 1000;
  log(
    `  connected ${connected.done.length} (${round(connected.done.length / connectS)}/s)${connected.overran ? ' budget hit' : ''}`,
  );
  await new Promise((r) => setTimeout(r, 3000)); // presence fan-out settles; one heartbeat sweep

  type ClusterView = { instance: string; localSessions: number; sessionsByInstance: Record<string, number> };
  const views = await Promise.all(ep.map((e) => get<ClusterView>(e.url, '/api/v1/cluster')));
  const memory = await Promise.all(ep.map(mem));
  log(`  views: ${JSON.stringify(views.map((v) => v.sessionsByInstance))}`);

  // Presence: a probe joins network 0 and connects to A; every peer there (half on B) must hear it.
  const peers = sessions[0]!;
  const presenceMs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const node: SimNode = await joinNode(A, keys[0]!, `probe-${k}`);
    let left = peers.length;
    const t0 = performance.now();
    const reached = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reached ${peers.length - left}/${peers.length}`)),
        30_000,
      );
      for (const p of peers)
        p.s.onMessage((m) => {
          if (m.type === 'peer-joined' && m.peer?.nodeId === node.nodeId && --left === 0) {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          }
        });
    });
    const s = await connect(A, node);
    presenceMs.push(await reached);
    s.ws.close();
    await new Promise((r) => setTimeout(r, 300));
  }
  log(`  presence to ${peers.length} peers on both instances: median ${round(median(presenceMs), 2)} ms`);

  // Relay: 4 pairs across instances (A → B), then 4 pairs on one instance (A → A).
  // Pairs must share a network: take them from network k (peers alternate instances inside it).
  const pairsIn = (same: boolean) =>
    [1, 2, 3, 4].map((k) => {
      const net = sessions[k % sessions.length]!;
      const a = net.find((x) => x.on === 0)!;
      const b = net.find((x) => x !== a && (same ? x.on === 0 : x.on === 1))!;
      return { a: a.s, b: b.s };
    });
  const crossRate = await pumpSignals(pairsIn(false), 3);
  const sameRate = await pumpSignals(pairsIn(true), 3);
  const relay = {
    crossInstanceMsgPerSecond: Math.round(crossRate.delivered / crossRate.seconds),
    sameInstanceMsgPerSecond: Math.round(sameRate.delivered / sameRate.seconds),
  };
  log(`  relay: ${JSON.stringify(relay)}`);

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    note: 'two signaling instances (child processes) on one PostgreSQL and one Redis; simulated agents in the bench process; loopback; the machine is shared',
    agents: N,
    networks: nets,
    nodesPerNetwork: SIZE,
    joinedOverRest: joinedRest.done.length,
    seededInDatabase: seeded.length,
    joinsPerSecond: round(joinedRest.done.length / joinS),
    held: connected.done.length,
    sessionsPerSecond: round(connected.done.length / connectS),
    budgetHit: joined.overran || connected.overran,
    sessionsPerInstance: Object.fromEntries(views.map((v) => [v.instance, v.localSessions])),
    viewsAgree: views.every((v) => sorted(v.sessionsByInstance) === sorted(views[0]!.sessionsByInstance)),
    memoryPerInstance: Object.fromEntries(views.map((v, i) => [v.instance, memory[i]])),
    presence: {
      peers: peers.length,
      peersPerInstance: [peers.filter((p) => p.on === 0).length, peers.filter((p) => p.on === 1).length],
      samplesMs: presenceMs.map((x) => round(x, 2)),
      medianMs: round(median(presenceMs), 2),
    },
    relay,
  };
  const out = join(here, '../results/signal-scale-out.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const md = `# Signaling scale-out (${result.date})

Two rtcmesh-signal instances on one PostgreSQL and one Redis (loopback, ${result.cpus} shared cores).
${result.agents} simulated agents in networks of ${result.nodesPerNetwork}, alternating between the instances.

| figure | value |
| --- | --- |
| sessions held | ${result.held} (${Object.values(result.sessionsPerInstance).join(' + ')} per instance; views agree: ${result.viewsAgree}) |
| joins/s over REST, both instances (${result.joinedOverRest} joins; PostgreSQL, row lock per network) | ${result.joinsPerSecond} |
| sessions/s | ${result.sessionsPerSecond} |
| presence fan-out to ${result.presence.peers} peers on both instances | median ${result.presence.medianMs} ms (${Math.min(...presenceMs).toFixed(1)}–${Math.max(...presenceMs).toFixed(1)}) |
| relayed msg/s across instances (4 pairs) | ${relay.crossInstanceMsgPerSecond} |
| relayed msg/s on one instance (4 pairs) | ${relay.sameInstanceMsgPerSecond} |
`;
  writeFileSync(out.replace(/\.json$/, '.md'), md);
  console.log(md);
  for (const x of sessions.flat()) x.s.ws.terminate();
} finally {
  await Promise.all(instances.map((i) => i.stop()));
  await dropSchema(schema);
}

/**
 * Writes nodes and their leases straight into the database (multi-row inserts), as if they had joined
 * earlier; returns them as joined nodes. Addresses start at .200 of each /20 network's first /24 and
 * go up, far from what the REST joins took (they pick the lowest free ones).
 */
async function seed(
  schemaName: string,
  todo: { net: number; i: number }[],
  networkNames: string[],
): Promise<{ net: number; i: number; node: SimNode }[]> {
  const store = await Store.connect({
    dataDir: '/nonexistent',
    database: TEST_PG,
    postgres: { schema: schemaName },
  });
  try {
    const netIds = await Promise.all(networkNames.map(async (n) => (await store.networks.find(n))!));
    const out: { net: number; i: number; node: SimNode }[] = [];
    for (let c = 0; c < todo.length; c += 500) {
      const chunk = todo.slice(c, c + 500).map((s) => {
        const key = generateNodeKey();
        const network = netIds[s.net]!;
        const base = ipv4ToNumber(network.cidr.split('/')[0]!)!;
        const address = numberToIpv4(base + 200 + (s.i % SIZE));
        const nodeId = `n-seed${s.i}`;
        const mac = `02:5e:${((s.i >> 16) & 255).toString(16).padStart(2, '0')}:${((s.i >> 8) & 255).toString(16).padStart(2, '0')}:${(s.i & 255).toString(16).padStart(2, '0')}:01`;
        out.push({ ...s, node: { nodeId, key } });
        return { nodeId, key, network: network.id, address, mac, name: `n${s.i}` };
      });
      await store.db.run(
        `INSERT INTO nodes (id, network_id, name, public_key, mac, agent_version, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((n) => [n.nodeId, n.network, n.name, n.key.publicKey, n.mac, 'bench', Date.now()]),
      );
      await store.db.run(
        `INSERT INTO leases (network_id, address, node_id) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
        chunk.flatMap((n) => [n.network, n.address, n.nodeId]),
      );
    }
    return out;
  } finally {
    await store.close();
  }
}

function sorted(r: Record<string, number>): string {
  return JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
