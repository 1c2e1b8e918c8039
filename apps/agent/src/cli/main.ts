import { TRANSPORT_PREFERENCES, type TransportPreference } from '@rtcmesh/peer';
import { DEFAULT_DNS_SUFFIX, dnsSuffixProblem } from '@rtcmesh/protocol';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../agent/agent-logger.js';
import { DEFAULT_DIRECT_PORT } from '../links/direct-signal.js';
import { LocalApiClient, LocalApiClientError } from '../localapi/client.js';
import type { NetcheckReport } from '../localapi/schema.js';
import { type ListenAddress, parseListenAddress } from '../metrics/metrics-server.js';
import { formatMobilitySpec, type MobilitySpec, parseMobilitySpec } from '../mobility/mobility-spec.js';
import { DEFAULT_MAP_MAX_AGE_MS, parseDuration } from '../state/network-map.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state/state-dir.js';
import { AGENT_VERSION } from '../version.js';
import { formatNetcheck, formatSettings, formatStatus } from './format.js';

/** Restated here so the CLI does not load the WebRTC stacks before it needs them. */

const program = new Command()
  .name('rtcmesh')
  .description('rtcmesh agent: joins this host to an rtcmesh overlay network')
  .version(AGENT_VERSION)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Exit codes:
  0   done (rtcmesh up: stopped by SIGTERM/SIGINT or rtcmesh down)
  1   an error: bad flags, the device or the network changed under the agent, no reply to rtcmesh ping
  3   no agent is running with this state directory (status, ping, set, down, rekey)
  78  rtcmesh up: an admin removed this node (systemd: RestartPreventExitStatus=78)`,
  );

const stateOption = () =>
  new Option('--state <dir>', 'state directory of the agent').default(DEFAULT_STATE_DIR).env('RTCMESH_STATE');

function splitUrls(value: string): string[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
}

/** RTCMESH_SERVER (comma separated), the default of --server: replaced by the flags, not added to. */
const SERVER_FROM_ENV = process.env.RTCMESH_SERVER ? splitUrls(process.env.RTCMESH_SERVER) : undefined;

/** `--server a,b --server c` → [a, b, c]. */
function collectUrls(value: string, previous: string[] | undefined): string[] {
  return [...(previous === SERVER_FROM_ENV ? [] : (previous ?? [])), ...splitUrls(value)];
}

function client(opts: { state: string }): LocalApiClient {
  return new LocalApiClient(new StateDir(opts.state).socketPath);
}

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
    new Option('--ca-file <file>', 'trust only this CA (PEM) for an https:// server, e.g. a private CA').env(
      'RTCMESH_CA_FILE',
    ),
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

program
  .command('status')
  .description('show this node, the server connection and every peer link')
  .addOption(stateOption())
  .option('--json', 'print JSON')
  .action(async (opts: { state: string; json?: boolean }) => {
    const status = await client(opts).status();
    process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
  });

program
  .command('ping')
  .description('ping a peer over its link (control channel) and print path and RTT')
  .argument('<peer>', 'peer name, node id or overlay address')
  .option('-c, --count <n>', 'number of pings', parsePositiveInt, 4)
  .option('-i, --interval <ms>', 'milliseconds between pings', parsePositiveInt, 1000)
  .addOption(stateOption())
  .action(async (peer: string, opts: { count: number; interval: number; state: string }) => {
    const api = client(opts);
    let ok = 0;
    for (let i = 0; i < opts.count; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, opts.interval));
      try {
        const r = await api.ping(peer);
        ok++;
        process.stdout.write(
          `pong from ${r.peer} via ${r.path ?? 'unknown path'}${r.remoteAddress ? ` ${r.remoteAddress}` : ''} in ${r.rttMs.toFixed(2)}ms\n`,
        );
      } catch (err) {
        if (err instanceof LocalApiClientError && err.code !== 'timeout' && err.code !== 'peer-not-connected')
          throw err;
        process.stdout.write(`no reply from ${peer}: ${(err as Error).message}\n`);
      }
    }
    if (ok === 0) process.exitCode = 1;
  });

program
  .command('set')
  .description(
    "change settings of the running agent, live (links stay up): routes it advertises, whether it takes its peers' routes, its log level",
  )
  .option(
    '--advertise-routes <cidrs>',
    'L3: the subnets this node routes for the overlay, comma separated ("" for none)',
    parseCidrListOrNone,
  )
  .option('--accept-routes', 'L3: install the subnet routes peers advertise')
  .option('--no-accept-routes', 'L3: stop installing them (the kernel routes go)')
  .option(
    '--mobility <bridge=prefix[,gateway=ip][,mac=mac]>',
    'L3: the workload prefixes this site is the anycast gateway of, replacing the current list (repeat for several; "" for none). Prefixes that stay keep their hosts',
    collectMobilityOrNone,
  )
  .addOption(new Option('--log-level <level>', 'log level from now on').choices(LOG_LEVELS))
  .addOption(stateOption())
  .option('--json', 'print the settings in effect as JSON')
  .action(
    async (opts: {
      advertiseRoutes?: string[];
      acceptRoutes?: boolean;
      logLevel?: LogLevel;
      mobility?: MobilitySpec[];
      state: string;
      json?: boolean;
    }) => {
      const req = {
        ...(opts.advertiseRoutes ? { advertiseRoutes: opts.advertiseRoutes } : {}),
        ...(opts.mobility ? { mobility: opts.mobility.map(formatMobilitySpec) } : {}),
        ...(opts.acceptRoutes !== undefined ? { acceptRoutes: opts.acceptRoutes } : {}),
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      };
      if (Object.keys(req).length === 0)
        throw new InvalidArgumentError('nothing to set (see rtcmesh set --help)');
      const s = await client(opts).set(req);
      process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSettings(s)}\n`);
    },
  );

program
  .command('netcheck')
  .description(
    'check UDP reachability, NAT mapping behaviour and TURN reachability (through the running agent, or without one from the servers of its cached network map)',
  )
  .addOption(stateOption())
  .option('--json', 'print JSON')
  .action(async (opts: { state: string; json?: boolean }) => {
    let report: NetcheckReport;
    let source: string | undefined;
    try {
      report = await client(opts).netcheck();
    } catch (err) {
      if (!(err instanceof LocalApiClientError) || err.code !== 'not-running') throw err;
      const { netcheckFromCachedMap } = await import('../netcheck/offline-netcheck.js');
      ({ report, source } = await netcheckFromCachedMap(new StateDir(opts.state)));
    }
    if (opts.json)
      process.stdout.write(`${JSON.stringify(source ? { ...report, source } : report, null, 2)}\n`);
    else process.stdout.write(`${source ? `(${source})\n` : ''}${formatNetcheck(report)}\n`);
  });

program
  .command('rekey')
  .description('rotate the node key: the server and every peer switch to the new key; links stay up')
  .addOption(stateOption())
  .action(async (opts: { state: string }) => {
    const r = await client(opts).rekey();
    process.stdout.write(`node key rotated\nold ${r.previousPublicKey}\nnew ${r.publicKey}\n`);
  });

program
  .command('down')
  .description('stop the agent: close links, remove the device, leave the network session')
  .addOption(stateOption())
  .action(async (opts: { state: string }) => {
    await client(opts).down();
    process.stdout.write('agent stopping\n');
  });

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

function parseDurationOption(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function collectMobility(v: string, previous: MobilitySpec[] | undefined): MobilitySpec[] {
  try {
    const spec = parseMobilitySpec(v);
    const list = previous ?? [];
    if (list.some((m) => m.bridge === spec.bridge || m.prefix === spec.prefix))
      throw new Error(`--mobility ${v}: one prefix per bridge, one bridge per prefix`);
    return [...list, spec];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `rtcmesh set --mobility ""` clears the list. */
function collectMobilityOrNone(v: string, previous: MobilitySpec[] | undefined): MobilitySpec[] {
  return v.trim() === '' ? (previous ?? []) : collectMobility(v, previous);
}

function parseDnsSuffix(v: string): string {
  const suffix = v.trim().toLowerCase().replace(/\.$/, '');
  const problem = dnsSuffixProblem(suffix);
  if (problem) throw new InvalidArgumentError(problem);
  return suffix;
}

function parseListenOption(v: string): ListenAddress {
  try {
    return parseListenAddress(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port 0..65535');
  return n;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function parseMtu(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 576 || n > 9000) throw new InvalidArgumentError('MTU must be 576..9000');
  return n;
}

function parseCidrListOrNone(v: string): string[] {
  return v.trim() === '' ? [] : parseCidrList(v);
}

function parseCidrList(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const cidr of list) {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr)) throw new InvalidArgumentError(`not a CIDR: ${cidr}`);
  }
  return list;
}

program
  .parseAsync(process.argv)
  // Leave once the work is done, with its exit code: a socket some library left open (a werift
  // connection, a probe still waiting for a STUN answer) must not keep a stopped agent alive.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`rtcmesh: ${message}\n`);
    process.exit(err instanceof LocalApiClientError && err.code === 'not-running' ? 3 : 1);
  });
