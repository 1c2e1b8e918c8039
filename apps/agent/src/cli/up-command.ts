import { TRANSPORT_PREFERENCES, type TransportPreference } from '@rtcmesh/peer';
import { DEFAULT_DNS_SUFFIX } from '@rtcmesh/protocol';
import { type Command, Option } from 'commander';
import { LOG_LEVELS } from '../agent/agent-logger.js';
import { DEFAULT_DIRECT_PORT } from '../links/direct-signal.js';
import type { ListenAddress } from '../metrics/metrics-server.js';
import type { MobilitySpec } from '../mobility/mobility-spec.js';
import { DEFAULT_MAP_MAX_AGE_MS } from '../state/network-map.js';
import {
  collectMobility,
  parseCidrList,
  parseDnsSuffix,
  parseDurationOption,
  parseListenOption,
  parseMtu,
  parsePort,
  parsePositiveInt,
  splitUrls,
} from './arg-parsers.js';
import { stateOption } from './local-agent.js';

/** RTCMESH_SERVER (comma separated), the default of --server: replaced by the flags, not added to. */
const SERVER_FROM_ENV = process.env.RTCMESH_SERVER ? splitUrls(process.env.RTCMESH_SERVER) : undefined;

/** `--server a,b --server c` → [a, b, c]. */
function collectUrls(value: string, previous: string[] | undefined): string[] {
  return [...(previous === SERVER_FROM_ENV ? [] : (previous ?? [])), ...splitUrls(value)];
}

/** `rtcmesh up`: joins the network and runs the agent in the foreground. */
export function addUpCommand(program: Command): void {
  program
    .command('up')
    .description('join the network and run in the foreground until SIGTERM')
    .requiredOption(
      '--server <urls>',
      'signaling server URL(s), http:// or https://; several instances: comma separated or repeated (failover in order) (env: RTCMESH_SERVER)',
      collectUrls,
      SERVER_FROM_ENV,
    )
    .addOption(new Option('--key <key>', 'join key (only needed the first time)').env('RTCMESH_KEY'))
    .addOption(
      new Option(
        '--ca-file <file>',
        'trust only this CA (PEM) for an https:// server, e.g. a private CA',
      ).env('RTCMESH_CA_FILE'),
    )
    .option('--name <name>', 'node name shown to peers (default: host name)')
    .option('--dev <name>', 'TAP/TUN device name', 'rtm0')
    .addOption(stateOption())
    .option('--bridge <bridge>', 'L2: enslave the TAP to this existing Linux bridge')
    .option(
      '--advertise-routes <cidrs>',
      'L3: act as subnet router for these CIDRs (comma separated)',
      parseCidrList,
    )
    .option(
      '--accept-routes',
      "L3: install the subnet routes other nodes advertise (default off: only the network's own addresses are routed here)",
    )
    .option(
      '--advertise-exit-node',
      'L3: offer this node as an exit node (once an admin approves it, other nodes may send their internet traffic through it; this node forwards and NATs it)',
    )
    .option(
      '--exit-node <node>',
      'L3: send internet traffic through this exit node (name or id); the paths to the servers and peers stay outside',
    )
    .option(
      '--mobility <bridge=prefix[,gateway=ip][,mac=mac]>',
      'L3: be the anycast gateway of this workload prefix on this LAN bridge (same gateway address and MAC at every site); each host seen on the bridge is advertised as a /32 that follows it between sites. Repeatable; the prefix must be approved for this node',
      collectMobility,
    )
    .option(
      '--mobility-max-hosts <n>',
      'most workload hosts this site advertises at once (default 200)',
      parsePositiveInt,
    )
    .option('--no-address', 'do not assign the overlay address to the device (pure bridging)')
    .option('--mtu <bytes>', 'device MTU', parseMtu)
    .addOption(
      new Option(
        '--no-offload',
        'read the device packet by packet (no checksum/segmentation offloads, no merged writes): for kernels whose offloads misbehave',
      ).env('RTCMESH_NO_OFFLOAD'),
    )
    .option(
      '--lock-key <keys>',
      'locked network: operator public key(s) to trust (comma separated), whatever the server says',
      (v: string) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(LOG_LEVELS)
        .default('info')
        .env('RTCMESH_LOG_LEVEL'),
    )
    .addOption(
      new Option(
        '--offline-max-age <duration>',
        'start from the cached network map when the server is unreachable, if the server vouched for it within this age (7d, 12h, 30m; 0 = never start without the server)',
      )
        .argParser(parseDurationOption)
        .default(DEFAULT_MAP_MAX_AGE_MS, '7d')
        .env('RTCMESH_OFFLINE_MAX_AGE'),
    )
    .addOption(
      new Option(
        '--direct-port <port>',
        'UDP port for link signaling straight between agents while the server is away (0 = off)',
      )
        .argParser(parsePort)
        .default(DEFAULT_DIRECT_PORT)
        .env('RTCMESH_DIRECT_PORT'),
    )
    .addOption(
      new Option(
        '--dns-suffix <suffix>',
        'answer DNS for <node>.<network>.<suffix> on the overlay address (port 53), and register it with systemd-resolved for that zone only',
      )
        .argParser(parseDnsSuffix)
        .default(DEFAULT_DNS_SUFFIX)
        .env('RTCMESH_DNS_SUFFIX'),
    )
    .option('--no-dns', 'do not answer DNS for the mesh')
    .addOption(
      new Option(
        '--metrics-listen <host:port>',
        'serve Prometheus metrics at http://host:port/metrics (per-peer traffic, RTT, path, drops; device, forwarding and policy counters), e.g. 127.0.0.1:9101; off by default',
      )
        .argParser(parseListenOption)
        .env('RTCMESH_METRICS_LISTEN'),
    )
    .addOption(
      new Option(
        '--transport <stack>',
        'WebRTC stack of the peer links: auto (libdatachannel where its native module loads and can carry the path, else werift), werift (pure JavaScript) or libdatachannel (native)',
      )
        .choices(TRANSPORT_PREFERENCES)
        .default('auto')
        .env('RTCMESH_TRANSPORT'),
    )
    .action(async (opts: UpCliOptions, cmd: Command) => {
      const { runAgent } = await import('../agent/run.js');
      // What `rtcmesh set` saved applies unless the same setting is given here.
      const given = (k: string) => ['cli', 'env'].includes(cmd.getOptionValueSource(k) ?? '');
      const explicit = new Set(
        (['advertiseRoutes', 'acceptRoutes', 'logLevel', 'mobility'] as const).filter((k) => given(k)),
      );
      await runAgent({
        serverUrls: opts.server,
        joinKey: opts.key,
        name: opts.name,
        device: opts.dev,
        stateDir: opts.state,
        bridge: opts.bridge,
        advertiseRoutes: opts.advertiseRoutes ?? [],
        acceptRoutes: opts.acceptRoutes ?? false,
        advertiseExitNode: opts.advertiseExitNode ?? false,
        exitNode: opts.exitNode,
        ...(opts.mobility ? { mobility: opts.mobility } : {}),
        ...(opts.mobilityMaxHosts ? { mobilityMaxHosts: opts.mobilityMaxHosts } : {}),
        assignAddress: opts.address,
        mtu: opts.mtu,
        logLevel: opts.logLevel,
        transport: opts.transport,
        offload: opts.offload,
        ...(opts.caFile ? { caFile: opts.caFile } : {}),
        ...(opts.lockKey ? { lockKeys: opts.lockKey } : {}),
        explicit,
        offlineMaxAgeMs: opts.offlineMaxAge,
        directPort: opts.directPort === 0 ? null : opts.directPort,
        ...(opts.metricsListen ? { metricsListen: opts.metricsListen } : {}),
        dnsSuffix: opts.dns === false ? null : opts.dnsSuffix,
      });
    });
}

interface UpCliOptions {
  server: string[];
  key?: string;
  caFile?: string;
  name?: string;
  dev: string;
  state: string;
  bridge?: string;
  advertiseRoutes?: string[];
  acceptRoutes?: boolean;
  advertiseExitNode?: boolean;
  exitNode?: string;
  mobility?: MobilitySpec[];
  mobilityMaxHosts?: number;
  address: boolean;
  mtu?: number;
  lockKey?: string[];
  logLevel: string;
  transport: TransportPreference;
  /** False with --no-offload. */
  offload: boolean;
  offlineMaxAge: number;
  directPort: number;
  metricsListen?: ListenAddress;
  dnsSuffix: string;
  /** False with --no-dns. */
  dns: boolean;
}
