import { readFileSync } from 'node:fs';
import type {
  AuditEntry,
  CreateKeyResponse,
  JoinKeyInfo,
  NetworkSummary,
  NodeSummary,
  RotateTokenResponse,
} from '@rtcmesh/protocol';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ADMIN_TOKEN_FILE } from '../auth/admin-token.js';
import { type AdminTarget, adminRequest, ServerUnreachableError } from './admin-client.js';
import { rotateTokenOffline } from './offline.js';
import { parseDuration } from './parse.js';

export type TargetOpts = { data?: string; server?: string; adminToken?: string; caFile?: string };

export function addTarget(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory of the running server (talks over its unix socket)')
    .option('--server <url>', 'server URL (with --admin-token)')
    .addOption(new Option('--admin-token <token>', 'admin token').env('RTCMESH_ADMIN_TOKEN'))
    .addOption(
      new Option('--ca-file <file>', 'trust only this CA (PEM) for an https:// --server').env(
        'RTCMESH_CA_FILE',
      ),
    );
}

export function targetOf(o: TargetOpts): AdminTarget {
  if (o.server) {
    if (!o.adminToken) throw new Error('--server needs --admin-token (or RTCMESH_ADMIN_TOKEN)');
    return { server: o.server, adminToken: o.adminToken, ...(o.caFile ? { ca: readCaFile(o.caFile) } : {}) };
  }
  if (o.data) return { dataDir: o.data };
  throw new Error('say which server: --data DIR (local) or --server URL --admin-token T');
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`--ca-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows)
    out(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

export function registerAdminCommands(program: Command): void {
  const network = program.command('network').description('manage networks');
  addTarget(
    network
      .command('create <name>')
      .description('create a network')
      .addOption(
        new Option('--mode <mode>', 'l2 (Ethernet, TAP) or l3 (IP, TUN)')
          .choices(['l2', 'l3'])
          .makeOptionMandatory(),
      )
      .option('--cidr <cidr>', 'IPv4 address pool', '10.99.0.0/24')
      .option(
        '--ipv6 <prefix>',
        'L3: the IPv6 prefix beside the IPv4 pool: auto (default: a new unique local /64), off, or a prefix; each node gets the address with its IPv4 host number',
      )
      .option('--mtu <n>', 'device MTU', (v) => Number.parseInt(v, 10)),
  ).action(
    async (
      name: string,
      o: TargetOpts & { mode: 'l2' | 'l3'; cidr: string; ipv6?: string; mtu?: number },
    ) => {
      const n = await adminRequest<NetworkSummary>(targetOf(o), 'POST', '/api/v1/networks', {
        name,
        mode: o.mode,
        cidr: o.cidr,
        ...(o.ipv6 !== undefined ? { ipv6: o.ipv6 } : {}),
        mtu: o.mtu,
      });
      out(
        `network ${n.name} (${n.id}) mode ${n.mode} cidr ${n.cidr}${n.cidr6 ? ` ipv6 ${n.cidr6}` : ''} mtu ${n.mtu}`,
      );
    },
  );
  addTarget(network.command('list').description('list networks').option('--json', 'JSON output')).action(
    async (o: TargetOpts & { json?: boolean }) => {
      const { networks } = await adminRequest<{ networks: NetworkSummary[] }>(
        targetOf(o),
        'GET',
        '/api/v1/networks',
      );
      if (o.json) return out(JSON.stringify(networks, null, 2));
      table([
        ['NAME', 'ID', 'MODE', 'CIDR', 'IPV6', 'NODES', 'ONLINE'],
        ...networks.map((n) => [
          n.name,
          n.id,
          n.mode,
          n.cidr,
          n.cidr6 ?? '-',
          String(n.nodeCount),
          String(n.onlineCount),
        ]),
      ]);
    },
  );

  addTarget(
    network
      .command('set <network>')
      .description(
        "change an L2 network's storm control and DHCP filtering; every member applies it at once, links stay up",
      )
      .option(
        '--storm-pps <n>',
        'broadcast/multicast/unknown-unicast frames per second per port (0: off)',
        intArg,
      )
      .option('--storm-burst <n>', 'how many such frames may come at once above the rate', intArg)
      .addOption(
        new Option('--dhcp-filter <on|off>', 'keep DHCP and DHCPv6 from crossing between sites').choices([
          'on',
          'off',
        ]),
      )
      .option('--json', 'JSON output'),
  ).action(
    async (
      id: string,
      o: TargetOpts & { stormPps?: number; stormBurst?: number; dhcpFilter?: 'on' | 'off'; json?: boolean },
    ) => {
      const body = {
        ...(o.stormPps !== undefined ? { stormPps: o.stormPps } : {}),
        ...(o.stormBurst !== undefined ? { stormBurst: o.stormBurst } : {}),
        ...(o.dhcpFilter ? { blockDhcp: o.dhcpFilter === 'on' } : {}),
      };
      if (Object.keys(body).length === 0)
        throw new Error('nothing to set: --storm-pps, --storm-burst or --dhcp-filter (see --help)');
      const n = await adminRequest<NetworkSummary>(
        targetOf(o),
        'PUT',
        `/api/v1/networks/${encodeURIComponent(id)}/l2`,
        body,
      );
      if (o.json) return out(JSON.stringify(n, null, 2));
      const l2 = n.l2;
      out(
        `network ${n.name}: storm control ${l2?.stormPps ? `${l2.stormPps} pps (burst ${l2.stormBurst})` : 'off'}, DHCP filter ${l2?.blockDhcp ? 'on' : 'off'}`,
      );
    },
  );

  addTarget(
    network
      .command('delete <network>')
      .description(
        'delete a network (id or name) with its join keys, policy and addresses; one that still has nodes is refused unless --force',
      )
      .option('--force', 'also remove its nodes: their keys are revoked and their agents stop (exit 78)'),
  ).action(async (id: string, o: TargetOpts & { force?: boolean }) => {
    const n = await adminRequest<NetworkSummary>(
      targetOf(o),
      'DELETE',
      `/api/v1/networks/${encodeURIComponent(id)}${o.force ? '?force=true' : ''}`,
    );
    out(`network ${n.name} (${n.id}) deleted${n.nodeCount ? ` with its ${n.nodeCount} nodes` : ''}`);
  });

  const key = program.command('key').description('manage join keys');
  addTarget(
    key
      .command('create <network>')
      .description('create a join key; the key alone is printed on the last line')
      .option('--reusable', 'the key may be used by many nodes')
      .option('--ttl <duration>', 'expiry, e.g. 24h, 7d (default: never)')
      .option('--description <text>', 'note shown in key list'),
  ).action(
    async (
      networkName: string,
      o: TargetOpts & { reusable?: boolean; ttl?: string; description?: string },
    ) => {
      const body: Record<string, unknown> = { network: networkName, reusable: o.reusable === true };
      if (o.ttl) body.ttlSeconds = parseDuration(o.ttl);
      if (o.description) body.description = o.description;
      const r = await adminRequest<CreateKeyResponse>(targetOf(o), 'POST', '/api/v1/keys', body);
      out(
        `join key ${r.info.id} for network ${r.info.networkId}: ${r.info.reusable ? 'reusable' : 'single-use'}, ${
          r.info.expiresAt ? `expires ${new Date(r.info.expiresAt).toISOString()}` : 'no expiry'
        }`,
      );
      out(r.key);
    },
  );
  addTarget(
    key
      .command('list')
      .description('list join keys')
      .option('--network <network>')
      .option('--json', 'JSON output'),
  ).action(async (o: TargetOpts & { network?: string; json?: boolean }) => {
    const q = o.network ? `?network=${encodeURIComponent(o.network)}` : '';
    const { keys } = await adminRequest<{ keys: JoinKeyInfo[] }>(targetOf(o), 'GET', `/api/v1/keys${q}`);
    if (o.json) return out(JSON.stringify(keys, null, 2));
    // Names next to ids: the network a key joins, as the admin named it.
    const { networks } = await adminRequest<{ networks: NetworkSummary[] }>(
      targetOf(o),
      'GET',
      '/api/v1/networks',
    );
    const nameOf = (id: string) => networks.find((n) => n.id === id)?.name;
    table([
      ['ID', 'NETWORK', 'REUSABLE', 'USES', 'VALID', 'EXPIRES'],
      ...keys.map((k) => [
        k.id,
        nameOf(k.networkId) ? `${nameOf(k.networkId)} (${k.networkId})` : k.networkId,
        String(k.reusable),
        String(k.uses),
        String(k.valid),
        k.expiresAt ? new Date(k.expiresAt).toISOString() : '-',
      ]),
    ]);
  });
  addTarget(key.command('revoke <id>').description('revoke a join key')).action(
    async (id: string, o: TargetOpts) => {
      await adminRequest<JoinKeyInfo>(targetOf(o), 'DELETE', `/api/v1/keys/${encodeURIComponent(id)}`);
      out(`join key ${id} revoked`);
    },
  );

  const node = program.command('node').description('manage nodes');
  addTarget(
    node
      .command('list')
      .description('list nodes')
      .option('--network <network>')
      .option('--json', 'JSON output'),
  ).action(async (o: TargetOpts & { network?: string; json?: boolean }) => {
    const q = o.network ? `?network=${encodeURIComponent(o.network)}` : '';
    const { nodes } = await adminRequest<{ nodes: NodeSummary[] }>(targetOf(o), 'GET', `/api/v1/nodes${q}`);
    if (o.json) return out(JSON.stringify(nodes, null, 2));
    table([
      ['NAME', 'ID', 'NETWORK', 'ADDRESSES', 'ONLINE', 'LAST SEEN'],
      ...nodes.map((n) => [
        n.name,
        n.nodeId,
        n.networkId,
        n.addresses.join(','),
        n.online ? 'yes' : 'no',
        n.lastSeen ? new Date(n.lastSeen).toISOString() : '-',
      ]),
    ]);
  });
  addTarget(
    node
      .command('remove <node>')
      .description('remove a node (id or name): its key is revoked and its address freed')
      .option(
        '--network <network>',
        'the network of a node given by name (needed when the name is in several)',
      ),
  ).action(async (id: string, o: TargetOpts & { network?: string }) => {
    const n = await adminRequest<NodeSummary>(targetOf(o), 'DELETE', nodePath(id, o.network));
    out(`node ${n.name} (${n.nodeId}) removed`);
  });
  addTarget(
    node
      .command('rename <node> <name>')
      .description(
        'give a node (id or name) a new name: unique in its network, also as a DNS label (<name>.<network>.<suffix>); links stay up',
      )
      .option(
        '--network <network>',
        'the network of a node given by name (needed when the name is in several)',
      ),
  ).action(async (id: string, name: string, o: TargetOpts & { network?: string }) => {
    const n = await adminRequest<NodeSummary>(targetOf(o), 'PUT', nodePath(id, o.network, '/name'), { name });
    out(`node ${n.nodeId} is now ${n.name}`);
  });
}

export function registerSecurityCommands(program: Command): void {
  const admin = program.command('admin').description('admin access');
  addTarget(
    admin
      .command('rotate-token')
      .description(
        'replace the admin token: the old one stops working at once and console sessions are signed out; the new token is printed once and written to <data>/admin-token',
      ),
  )
    .addOption(
      new Option(
        '--db <url>',
        "with --data: the server's PostgreSQL (--db), used when the server is stopped",
      ).env('RTCMESH_DB'),
    )
    .action(async (o: TargetOpts & { db?: string }) => {
      const target = targetOf(o);
      let r: RotateTokenResponse;
      try {
        r = await adminRequest<RotateTokenResponse>(target, 'POST', '/api/v1/admin/rotate-token');
      } catch (err) {
        // No server on the socket: rotate in the database directly (the next start uses the new token).
        const socketGone =
          err instanceof ServerUnreachableError && (err.errno === 'ENOENT' || err.errno === 'ECONNREFUSED');
        if (!('dataDir' in target) || !socketGone) throw err;
        r = await rotateTokenOffline(target.dataDir, o.db);
        out('(server not running: rotated in the database)');
      }
      out(`admin token rotated; ${r.sessionsRevoked} console session(s) signed out`);
      if ('dataDir' in target) out(`new token (also in ${target.dataDir}/${ADMIN_TOKEN_FILE}):`);
      out(r.adminToken);
    });

  const audit = program.command('audit').description('audit log of admin actions');
  addTarget(
    audit
      .command('list')
      .description('admin actions, newest first')
      .option('--limit <n>', 'entries (1-1000)', '50')
      .option('--json', 'JSON output'),
  ).action(async (o: TargetOpts & { limit: string; json?: boolean }) => {
    const { entries } = await adminRequest<{ entries: AuditEntry[] }>(
      targetOf(o),
      'GET',
      `/api/v1/audit?limit=${encodeURIComponent(o.limit)}`,
    );
    if (o.json) return out(JSON.stringify(entries, null, 2));
    table([
      ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'SOURCE', 'RESULT'],
      ...entries.map((e) => [
        new Date(e.at).toISOString(),
        e.actor,
        e.action,
        e.target ?? '-',
        e.source ?? '-',
        e.result,
      ]),
    ]);
  });
}

/** The REST path of a node given by id or name; a name is looked up in `network` when given. */
export function nodePath(idOrName: string, network?: string, suffix = ''): string {
  const q = network ? `?network=${encodeURIComponent(network)}` : '';
  return `/api/v1/nodes/${encodeURIComponent(idOrName)}${suffix}${q}`;
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${v}`);
  return n;
}
