import { hostname, platform } from 'node:os';
import { ensureCanCreateDevices, limitMallocArenas } from '@rtcmesh/netdev';
import { ndcAvailability, type TransportPreference, werift } from '@rtcmesh/peer';
import { rawPublicKeyProblem, signJoinRequest } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { JoinError, joinNetwork } from '../control/join.js';
import { loadCaFile } from '../control/tls-trust.js';
import { AgentMetrics } from '../metrics/agent-metrics.js';
import { type ListenAddress, serveMetrics } from '../metrics/metrics-server.js';
import { type MobilitySpec, parseMobilitySpec } from '../mobility/mobility-spec.js';
import { DEFAULT_MAP_MAX_AGE_MS, NetworkMapStore } from '../state/network-map.js';
import { StateDir } from '../state/state-dir.js';
import { AGENT_VERSION } from '../version.js';
import { Agent } from './agent.js';
import { AgentLogger, isLogLevel, LOG_LEVELS } from './agent-logger.js';

export interface RunAgentOptions {
  /** One or more signaling server URLs (instances of one mesh); the first is where the node registers. */
  serverUrls: readonly string[];
  joinKey: string | undefined;
  name: string | undefined;
  device: string;
  stateDir: string;
  bridge: string | undefined;
  advertiseRoutes: string[];
  acceptRoutes?: boolean;
  advertiseExitNode?: boolean;
  exitNode?: string | undefined;
  /** `--mobility`: anycast gateway prefixes on LAN bridges (mobility/mobility-spec.ts). */
  mobility?: MobilitySpec[];
  mobilityMaxHosts?: number;
  assignAddress: boolean;
  mtu: number | undefined;
  logLevel: string;
  /** Options given on the command line or in the environment: they win over what `rtcmesh set` saved. */
  explicit?: ReadonlySet<'advertiseRoutes' | 'acceptRoutes' | 'logLevel' | 'mobility'>;
  /** `--transport` / RTCMESH_TRANSPORT: the peer links' WebRTC stack (default auto). */
  transport?: TransportPreference;
  /** `--no-offload`: plain per-packet device I/O (no read offloads, no merged writes). Default true. */
  offload?: boolean;
  /** `--ca-file`: the only CA(s) trusted for an https:// server. */
  caFile?: string;
  /** `--lock-key`: operator public keys of a locked network, pinned whatever the server says. */
  lockKeys?: string[];
  /** `--offline-max-age`: how old a cached network map may be to start from (0: never). */
  offlineMaxAgeMs?: number;
  /** `--direct-port`: UDP port of direct signaling; null turns it off. */
  directPort?: number | null;
  /** `--dns-suffix` (null: `--no-dns`). */
  dnsSuffix?: string | null;
  /** `--metrics-listen`: serve Prometheus metrics there (off by default). */
  metricsListen?: ListenAddress;
}

/** Exit code when an admin removed this node: systemd's RestartPreventExitStatus=78 stops the loop. */
export const EXIT_REMOVED = 78;

/** `rtcmesh up`: register once if needed, then run until SIGTERM/SIGINT or `rtcmesh down`. */
export async function runAgent(o: RunAgentOptions): Promise<void> {
  // werift is loaded first, before the agent talks to anyone: every agent may need it (a relay over
  // TURN TCP/TLS, a browser link), and loading it later blocks the event loop, so every link's
  // packets, for 250-500 ms (measured in the lab: both ends of a libdatachannel link stalled 485-532
  // ms when a peer's first relay-over-TCP attempt loaded it). It costs about 18 MB of memory.
  werift();
  const state = new StateDir(o.stateDir);
  const saved = await state.readSettings();
  const explicit = o.explicit ?? new Set();
  const logLevel = !explicit.has('logLevel') && saved.logLevel ? saved.logLevel : o.logLevel;
  const advertiseRoutes =
    !explicit.has('advertiseRoutes') && saved.advertiseRoutes ? saved.advertiseRoutes : o.advertiseRoutes;
  const acceptRoutes =
    !explicit.has('acceptRoutes') && saved.acceptRoutes !== undefined ? saved.acceptRoutes : o.acceptRoutes;
  if (!isLogLevel(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const mobility =
    !explicit.has('mobility') && saved.mobility ? saved.mobility.map(savedMobility) : o.mobility;
  const agentLogger = new AgentLogger(logLevel);
  const log = agentLogger.logger;
  const restored = Object.keys(saved).filter((k) => !explicit.has(k as 'logLevel'));
  if (restored.length > 0)
    log.info(
      { settings: restored, file: `${o.stateDir}/settings.json` },
      'settings saved by rtcmesh set applied',
    );
  // Fail before touching the server when the device cannot be created at all, or the stack asked for
  // cannot load (auto falls back to werift instead, and says so per link).
  ensureCanCreateDevices();
  // Before libdatachannel's and libuv's threads exist (socket-buffers.ts says why).
  limitMallocArenas();
  if (o.transport === 'libdatachannel') {
    const ndc = ndcAvailability();
    if (!ndc.ok)
      throw new Error(`--transport libdatachannel: ${ndc.reason} (use --transport auto or werift)`);
  }
  const serverUrls = [...new Set(o.serverUrls.map(normalizeServerUrl))];
  if (serverUrls.length === 0) throw new Error('--server is required');
  const serverUrl = serverUrls[0]!;
  const ca = o.caFile ? loadCaFile(o.caFile) : undefined;
  if (ca && serverUrls.some((u) => !u.startsWith('https:')))
    log.warn('--ca-file has no effect with an http:// server: the connection is not encrypted');
  const key = await state.loadOrCreateKey();
  let identity = await state.readIdentity();
  // Registered with any instance of this mesh is registered with all of them (one database).
  if (identity && !serverUrls.includes(identity.serverUrl)) {
    log.warn(
      { registered: identity.serverUrl, requested: serverUrl },
      'state directory belongs to another server; joining anew',
    );
    identity = undefined;
    await new NetworkMapStore(state.networkMapPath).clear();
  }
  if (!identity) {
    if (!o.joinKey)
      throw new Error(`this node is not registered with ${serverUrl}: pass --key <join key> once`);
    const name = sanitizeName(o.name ?? hostname());
    let attempt = 0;
    const joined = await withRetry(
      () =>
        joinNetwork(
          // Each retry asks the next instance: one that is down must not block the join.
          serverUrls[attempt++ % serverUrls.length]!,
          signJoinRequest(key.privateKey, {
            key: o.joinKey!,
            name,
            hostname: hostname().slice(0, 255),
            os: platform(),
            agentVersion: AGENT_VERSION,
          }),
          { ...(ca ? { ca } : {}) },
        ),
      log,
    );
    identity = {
      version: 1,
      serverUrl,
      nodeId: joined.nodeId,
      networkId: joined.network.id,
      name: joined.name,
    };
    await state.writeIdentity(identity);
    log.info(
      { nodeId: joined.nodeId, name: joined.name, network: joined.network.name, addresses: joined.addresses },
      'joined the network',
    );
    // The server keeps names (and their DNS labels) unique in a network: say when ours was taken.
    if (joined.name !== name)
      log.warn(
        { asked: name, given: joined.name },
        `the name ${name} is taken in this network; joined as ${joined.name}`,
      );
  }

  const pendingKey = await state.loadPendingKey();
  if (pendingKey) log.warn('a node key rotation did not finish; the new key is used if the server took it');
  for (const k of o.lockKeys ?? []) {
    const problem = rawPublicKeyProblem(k);
    if (problem) throw new Error(`--lock-key ${k}: ${problem} (use a key from rtcmesh-signal lock keygen)`);
  }
  let metrics: AgentMetrics | undefined;
  const agent: Agent = new Agent({
    ...(o.metricsListen ? { onLinkChange: (peer, up) => metrics?.linkChanged(peer, up) } : {}),
    serverUrls: [identity.serverUrl, ...serverUrls.filter((u) => u !== identity.serverUrl)],
    nodeId: identity.nodeId,
    privateKey: key.privateKey,
    socketPath: state.socketPath,
    device: o.device,
    ...(o.bridge ? { bridge: o.bridge } : {}),
    advertiseRoutes,
    acceptRoutes: acceptRoutes ?? false,
    settingsStore: state,
    advertiseExitNode: o.advertiseExitNode ?? false,
    ...(o.exitNode ? { exitNode: o.exitNode } : {}),
    ...(mobility ? { mobility } : {}),
    ...(o.mobilityMaxHosts ? { mobilityMaxHosts: o.mobilityMaxHosts } : {}),
    assignAddress: o.assignAddress,
    ...(o.mtu ? { mtu: o.mtu } : {}),
    logger: log,
    setLogLevel: (level) => agentLogger.setLevel(level),
    ...(ca ? { ca } : {}),
    keyStore: state,
    ...(pendingKey ? { pendingKey } : {}),
    ...(o.lockKeys?.length ? { lockKeys: o.lockKeys } : {}),
    ...tuningFromEnv(),
    ...(o.transport ? { transport: o.transport } : {}),
    ...(o.offload === false ? { offload: false } : {}),
    ...(identity.networkId ? { networkId: identity.networkId } : {}),
    networkMap: {
      store: new NetworkMapStore(state.networkMapPath),
      maxAgeMs: o.offlineMaxAgeMs ?? DEFAULT_MAP_MAX_AGE_MS,
      ...offlineAfterFromEnv(),
    },
    directPort: o.directPort === undefined ? undefined : o.directPort,
    ...(o.dnsSuffix !== undefined ? { dnsSuffix: o.dnsSuffix } : {}),
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    void agent.stop({ reason: 'stopped' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let metricsServer: { close(): Promise<void> } | undefined;
  try {
    if (o.metricsListen) {
      metrics = new AgentMetrics(() => agent.status());
      metricsServer = await serveMetrics(o.metricsListen, metrics, log);
    }
    await agent.start();
    log.info({ nodeId: identity.nodeId, socket: state.socketPath }, 'agent running');
  } catch (err) {
    await agent.stop({ reason: 'fatal', error: err as Error });
    await metricsServer?.close();
    throw err;
  }
  const exit = await agent.exited;
  await metricsServer?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (exit.reason === 'removed') {
    // The key is dead on the server: forget the identity so the next `up` needs a new join key.
    await state.clearIdentity();
    log.error({ message: exit.message }, 'this node was removed from the network');
    process.exitCode = EXIT_REMOVED;
  } else if (exit.reason === 'fatal') {
    throw exit.error;
  }
}

function normalizeServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--server must be a URL like http://host:8080, got ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('--server must be http:// or https://');
  return url.origin;
}

function sanitizeName(raw: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return cleaned || 'node';
}

async function withRetry<T>(fn: () => Promise<T>, log: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof JoinError) || !err.retryable || attempt >= 5) throw err;
      const delay = err.retryAfterMs ?? Math.min(10_000, 500 * 2 ** attempt);
      log.warn({ err: err.message, delayMs: delay }, 'join failed, retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** How long a start waits for the server before it uses the cached map (RTCMESH_OFFLINE_AFTER_MS; default 3 s). */
function offlineAfterFromEnv(): { offlineAfterMs?: number } {
  const v = Number(process.env.RTCMESH_OFFLINE_AFTER_MS);
  return Number.isFinite(v) && v >= 0 && process.env.RTCMESH_OFFLINE_AFTER_MS ? { offlineAfterMs: v } : {};
}

/** The lab shortens link timers so failover tests run in seconds; production keeps the defaults. */
function tuningFromEnv(): {
  linkTuning?: { connectTimeoutMs?: number; upgradeIntervalMs?: number; keepaliveIntervalMs?: number };
} {
  const knobs = {
    connectTimeoutMs: 'RTCMESH_CONNECT_TIMEOUT_MS',
    upgradeIntervalMs: 'RTCMESH_UPGRADE_INTERVAL_MS',
    keepaliveIntervalMs: 'RTCMESH_KEEPALIVE_INTERVAL_MS',
  } as const;
  const linkTuning: { connectTimeoutMs?: number; upgradeIntervalMs?: number; keepaliveIntervalMs?: number } =
    {};
  for (const [key, env] of Object.entries(knobs) as [keyof typeof knobs, string][]) {
    const v = Number(process.env[env]);
    if (Number.isFinite(v) && v > 0) linkTuning[key] = v;
  }
  return Object.keys(linkTuning).length > 0 ? { linkTuning } : {};
}

/** A `--mobility` value `rtcmesh set` saved: checked like the flag. */
function savedMobility(v: string): MobilitySpec {
  try {
    return parseMobilitySpec(v);
  } catch (err) {
    throw new Error(`settings.json: ${(err as Error).message} (remove the file or fix the value)`);
  }
}
