import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki } from '@rtcmesh/testkit';
import {
  type Coturn,
  type LabHost,
  type ManagedProcess,
  startCoturn,
  World,
  type WorldSpec,
} from '../lab/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SIGNAL_BIN = join(ROOT, 'apps/signal/bin/rtcmesh-signal.js');
export const AGENT_BIN = join(ROOT, 'apps/agent/bin/rtcmesh.js');

export interface MeshSpec {
  world: WorldSpec;
  network: { mode: 'l2' | 'l3'; cidr: string };
  /** Environment for every agent (lab timers). */
  agentEnv?: Record<string, string>;
  /**
   * Serve HTTPS/WSS with a certificate from a private test CA; agents and admin commands trust only
   * that CA (`--ca-file`), as in a production deployment.
   */
  tls?: boolean;
  /**
   * The commands to run (default: the source tree's bins): an installed `rtcmesh-signal` and
   * `rtcmesh`, as the packed-install test runs them.
   */
  bins?: { signal: string; agent: string };
  /** "Open in browser": serve the proxy origin on this port of the server (`--browser-proxy-listen`). */
  browserProxyPort?: number;
}

export interface AgentOptions {
  name?: string;
  /** Another server URL than the lab's own (a proxy in front of it). */
  serverUrl?: string;
  advertiseRoutes?: string[];
  /** Another join key than the lab network's (a node of a second network). */
  joinKey?: string;
  bridge?: string;
  noAddress?: boolean;
  env?: Record<string, string>;
  /** `--transport` (default: RTCMESH_E2E_TRANSPORT, else werift). */
  transport?: 'auto' | 'werift' | 'libdatachannel';
  /** More `rtcmesh up` arguments (e.g. `--no-offload`). */
  args?: string[];
}

/** `rtcmesh status --json`, as far as the tests read it. */
export interface StatusJson {
  node: { id: string; name: string; addresses: string[]; mac: string | null };
  network: { id: string; name: string; mode: 'l2' | 'l3'; cidr: string; cidr6?: string };
  server: { connected: boolean };
  networkMap?: { source: 'server' | 'cache'; confirmedAt: string | null; directPort: number | null };
  health?: { state: 'ok' | 'degraded'; problems: string[] };
  settings?: { advertiseRoutes: string[]; acceptRoutes: boolean; logLevel: string };
  routes?: {
    acceptRoutes: boolean;
    installed: string[];
    refused: { peerId: string; peerName: string; prefix: string; kind: string; reason: string }[];
    primaries?: { prefix: string; primary: string; standby: string[] }[];
  };
  dns?: {
    listen: string;
    zone: string;
    resolver: string;
    reason?: string;
    queries: number;
    answered: number;
  };
  mobility?: {
    prefix: string;
    bridge: string;
    gateway: string;
    mac: string;
    local: { ip: string; mac: string; state: string; seq: number; since: number; dampedUntil?: number }[];
    remote: { ip: string; node: string; seq: number }[];
    moves: { ip: string; at: number; from: string | null; to: string | null; seq: number }[];
  }[];
  peers: {
    id: string;
    name: string;
    addresses: string[];
    online: boolean;
    state: string;
    path: 'direct' | 'relay' | null;
    localCandidateType: string | null;
    remoteCandidateType: string | null;
    rttMs: number | null;
    /** WebRTC stack of the active connection, and how frames cross it (packet track or channel). */
    transport?: 'werift' | 'libdatachannel' | null;
    transportReason?: string | null;
    packetPath?: 'rtp' | 'datachannel' | null;
    pathLossPct?: number | null;
  }[];
  counters: Record<string, number>;
  device?: {
    name: string;
    mtu: number;
    offloads?: { checksum: boolean; tso4: boolean; tso6: boolean; uso: boolean };
    coalescing?: boolean;
    counters?: Record<string, number>;
  } | null;
}

const TURN_SECRET = 'lab-turn-secret';

/** Polls `check` every `intervalMs` until it returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class LabAgent {
  constructor(
    readonly host: LabHost,
    readonly name: string,
    readonly stateDir: string,
    public process: ManagedProcess,
    private readonly bin = AGENT_BIN,
  ) {}

  async cli(
    args: string[],
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return this.host.exec('node', [this.bin, ...args, '--state', this.stateDir], { timeoutMs });
  }

  async status(): Promise<StatusJson> {
    const r = await this.cli(['status', '--json']);
    if (r.code !== 0) throw new Error(`rtcmesh status failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** The node's overlay IPv4 address without prefix. */
  async address(): Promise<string> {
    const s = await this.status();
    const a = s.node.addresses.find((x) => !x.includes(':'));
    if (!a) throw new Error(`${this.name} has no IPv4 overlay address`);
    return a.slice(0, a.indexOf('/'));
  }

  /** The node's IPv6 overlay address (dual-stack L3 networks). */
  async address6(): Promise<string> {
    const s = await this.status();
    const a = s.node.addresses.find((x) => x.includes(':'));
    if (!a) throw new Error(`${this.name} has no IPv6 overlay address`);
    return a.slice(0, a.indexOf('/'));
  }

  /** Waits until the packet channel to `peer` is open; returns that peer's status. */
  async waitConnected(peer: string, timeoutMs = 30_000): Promise<StatusJson['peers'][number]> {
    let last: StatusJson['peers'][number] | undefined;
    try {
      return await waitFor(
        `${this.name} -> ${peer} connected`,
        async () => {
          last = (await this.status()).peers.find((p) => p.name === peer);
          return last?.state === 'connected' && last.path !== null ? last : undefined;
        },
        timeoutMs,
      );
    } catch (err) {
      // What the link was doing and what the agent said about it: a CI failure must be readable
      // without a rerun.
      const said = this.process.lines
        .map((l) => l.line)
        // pino writes levels as numbers: 40 warn, 50 error, 60 fatal.
        .filter((l) => /"level":(40|50|60)\b|"msg":"link/.test(l))
        .slice(-25)
        .join('\n');
      throw new Error(
        `${String(err)}\nlast status of ${peer}: ${JSON.stringify(last)}\n${this.name}'s last link lines:\n${said}`,
      );
    }
  }

  /** Kernel ping from this host; resolves with received count and RTTs. */
  async ping(
    ip: string,
    count = 3,
    intervalS = 0.2,
  ): Promise<{ received: number; rtts: number[]; output: string }> {
    const r = await this.host.exec(
      'ping',
      ['-n', '-c', String(count), '-i', String(intervalS), '-W', '2', ip],
      {
        timeoutMs: (count * intervalS + 10) * 1000,
      },
    );
    const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    return { received: rtts.length, rtts, output: r.stdout + r.stderr };
  }
}

/**
 * A running rtcmesh deployment inside a lab world: coturn and the signaling server in the server
 * namespace, one network with a reusable join key, and agents on whichever hosts a test starts.
 */
export class MeshLab {
  readonly agents = new Map<string, LabAgent>();
  /** How each agent was started, for restartAgent. */
  private readonly launches = new Map<string, { args: string[]; env: NodeJS.ProcessEnv }>();
  private serverProcess: ManagedProcess | undefined;
  serverUrl = '';
  joinKey = '';
  /** With `tls`: the server's certificate and the CA agents trust. */
  private tlsFiles: { certFile: string; keyFile: string; caFile: string } | undefined;

  private constructor(
    readonly world: World,
    readonly coturn: Coturn,
    readonly dataDir: string,
    private readonly spec: MeshSpec,
  ) {}

  static async start(spec: MeshSpec): Promise<MeshLab> {
    const world = await World.build({ ...spec.world, server: spec.world.server ?? true });
    try {
      // A second listening address gives agents a second STUN endpoint (same port, other address), so
      // netcheck can tell cone from symmetric NAT. (coturn then also binds its RFC 5780 port, 3479.)
      const coturn = await startCoturn(world.server, {
        secret: TURN_SECRET,
        extraArgs: [`--listening-ip=${world.server.altIp}`],
      });
      const dataDir = await mkdtemp(join(tmpdir(), 'rtm-signal-'));
      const lab = new MeshLab(world, coturn, dataDir, spec);
      if (spec.tls) {
        const pki = createTestPki(await mkdtemp(join(dataDir, 'pki-')));
        const cert = pki.issue('signal', { san: `IP:${world.server.ip}` });
        lab.tlsFiles = { ...cert, caFile: pki.caFile };
      }
      await lab.startServer();
      const net = await lab.admin([
        'network',
        'create',
        'lab',
        '--mode',
        spec.network.mode,
        '--cidr',
        spec.network.cidr,
      ]);
      if (net.code !== 0) throw new Error(`network create failed: ${net.stderr}`);
      const key = await lab.admin(['key', 'create', 'lab', '--reusable']);
      if (key.code !== 0) throw new Error(`key create failed: ${key.stderr}`);
      lab.joinKey = key.stdout.trim().split('\n').pop()!.trim();
      return lab;
    } catch (err) {
      await world.teardown();
      throw err;
    }
  }

  /** Runs an admin command of rtcmesh-signal against the running server (unix socket in --data). */
  admin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return this.world.server.exec(
      'node',
      [this.spec.bins?.signal ?? SIGNAL_BIN, ...args, '--data', this.dataDir],
      {
        timeoutMs: 15_000,
      },
    );
  }

  async startServer(): Promise<void> {
    const s = this.world.server;
    const urls = this.coturn.urls;
    const p = s.spawn(
      'node',
      [
        this.spec.bins?.signal ?? SIGNAL_BIN,
        'serve',
        '--listen',
        `${s.ip}:${s.signalingPort}`,
        '--data',
        this.dataDir,
        '--stun',
        urls.stun,
        '--stun',
        `stun:${s.altIp}:3478`,
        '--turn',
        urls.turnUdp,
        '--turn',
        urls.turnTcp,
        '--turn',
        urls.turns,
        '--turn-secret',
        this.coturn.secret,
        ...(this.tlsFiles ? ['--tls-cert', this.tlsFiles.certFile, '--tls-key', this.tlsFiles.keyFile] : []),
        ...(this.spec.browserProxyPort
          ? ['--browser-proxy-listen', `${s.ip}:${this.spec.browserProxyPort}`]
          : []),
      ],
      { label: 'signal' },
    );
    await p.waitForLine(/"msg":"listening"/, 20_000);
    this.serverProcess = p;
    this.serverUrl = `${this.tlsFiles ? 'https' : 'http'}://${s.ip}:${s.signalingPort}`;
  }

  async stopServer(): Promise<void> {
    await this.serverProcess?.stop(5000);
    this.serverProcess = undefined;
  }

  async startAgent(hostName: string, o: AgentOptions = {}): Promise<LabAgent> {
    const host = this.world.host(hostName);
    const name = o.name ?? hostName;
    const stateDir = await mkdtemp(join(tmpdir(), `rtm-agent-${name}-`));
    const args = [
      'up',
      '--server',
      o.serverUrl ?? this.serverUrl,
      '--key',
      o.joinKey ?? this.joinKey,
      '--name',
      name,
      '--state',
      stateDir,
    ];
    if (o.advertiseRoutes?.length) args.push('--advertise-routes', o.advertiseRoutes.join(','));
    if (o.bridge) args.push('--bridge', o.bridge);
    if (o.noAddress) args.push('--no-address');
    if (o.args) args.push(...o.args);
    if (this.tlsFiles) args.push('--ca-file', this.tlsFiles.caFile);
    // The whole suite runs on werift, then again on the default (auto: libdatachannel where it can):
    // RTCMESH_E2E_TRANSPORT=auto (package.json test:lab:auto).
    args.push('--transport', o.transport ?? process.env.RTCMESH_E2E_TRANSPORT ?? 'werift');
    // Any unhandled rejection in an agent kills it, and the test that needed it fails (issue 17).
    const env = {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --unhandled-rejections=strict`.trim(),
      ...this.spec.agentEnv,
      ...o.env,
    };
    // The bin itself, as an installed agent runs (its shebang passes V8 flags to node).
    const bin = this.spec.bins?.agent ?? AGENT_BIN;
    const proc = host.spawn(bin, args, { label: `agent:${name}`, env });
    const agent = new LabAgent(host, name, stateDir, proc, bin);
    this.launches.set(name, { args, env });
    await proc.waitForLine(/"msg":"agent running"/, 30_000);
    this.agents.set(name, agent);
    return agent;
  }

  /**
   * Stops an agent (SIGTERM to its whole process tree, as systemd would) and starts it again with the
   * same arguments and state directory: the same node, as after a reboot.
   */
  async restartAgent(name: string): Promise<LabAgent> {
    const agent = this.agent(name);
    const launch = this.launches.get(name);
    if (!launch) throw new Error(`agent ${name} was not started by this lab`);
    await agent.process.stop(5000);
    agent.process = agent.host.spawn(this.spec.bins?.agent ?? AGENT_BIN, launch.args, {
      label: `agent:${name}`,
      env: launch.env,
    });
    await agent.process.waitForLine(/"msg":"agent running"/, 30_000);
    return agent;
  }

  agent(name: string): LabAgent {
    const a = this.agents.get(name);
    if (!a) throw new Error(`no agent ${name}`);
    return a;
  }

  /** Waits until every started agent has an open packet channel to every other one. */
  async waitFullMesh(timeoutMs = 45_000): Promise<void> {
    const names = [...this.agents.keys()];
    try {
      await Promise.all(
        names.flatMap((a) =>
          names.filter((b) => b !== a).map((b) => this.agent(a).waitConnected(b, timeoutMs)),
        ),
      );
    } catch (err) {
      // The other end's own words too: a peer that never came online says why only in its log.
      throw new Error(`${(err as Error).message}\nevery agent's last lines:\n${this.logs()}`);
    }
  }

  /** Pings every agent's overlay address from every other agent (3 pings each); the pairs that got fewer than 2 replies. */
  async pingEveryPair(): Promise<string[]> {
    const failed: string[] = [];
    for (const from of this.agents.values()) {
      for (const to of this.agents.values()) {
        if (from === to) continue;
        const r = await from.ping(await to.address(), 3);
        if (r.received < 2) failed.push(`${from.name} -> ${to.name}: ${r.received}/3\n${r.output}`);
      }
    }
    return failed;
  }

  async teardown(): Promise<void> {
    for (const a of this.agents.values()) await a.process.stop(5000).catch(() => undefined);
    await this.stopServer().catch(() => undefined);
    await this.world.teardown();
    await rm(this.dataDir, { recursive: true, force: true });
    for (const a of this.agents.values()) await rm(a.stateDir, { recursive: true, force: true });
  }

  /** Agent logs for a failure message. */
  logs(): string {
    return [...this.agents.values()].map((a) => `--- ${a.name}\n${a.process.tail(40)}`).join('\n');
  }
}
