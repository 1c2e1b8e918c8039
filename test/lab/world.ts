import { spawnSync } from 'node:child_process';
import { ipBatch, run } from './exec.js';
import {
  directChain,
  routerRules,
  type ServerCut,
  serverCutChains,
  serverRules,
  udpChain,
} from './firewall.js';
import { LabHost, LabServer, type ProcessRegistry } from './host.js';
import type { ManagedProcess } from './managed-process.js';
import { labNamespaces, newRunId, nsName, reapStale } from './names.js';
import { requirePrerequisites } from './prerequisites.js';
import {
  chooseShaper,
  NetemShaper,
  type Shaper,
  type ShaperKind,
  WireShaper,
  wireLinks,
  wireTc,
} from './shaper.js';
import {
  INTERNET,
  type LinkShape,
  type ResolvedSite,
  type ResolvedWorld,
  resolveWorld,
  type WorldSpec,
} from './spec.js';

/** A site as built: its router namespace and public addresses. */
export interface LabSite {
  name: string;
  nat: ResolvedSite['nat'];
  /** The router's public (WAN) address: what peers see for hosts behind a NAT. */
  wanIp: string;
  lanCidr: string;
  /** Prefixes that count as this site's public addresses (WAN address, plus the LAN for nat 'none'). */
  publicPrefixes: string[];
  /** The router namespace (conntrack, tcpdump, iptables inspection). */
  router: LabHost;
  hosts: LabHost[];
}

/** Worlds not yet torn down, for the process 'exit' backstop. */
const live = new Set<World>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const w of live) w.teardownSync();
  });
}

let reaped = false;

/**
 * A built lab world. Build with `World.build(spec)` (also `Lab.build`), always `await world.teardown()`
 * (afterAll); a process 'exit' hook tears down whatever is left if a test run dies.
 */
export class World implements ProcessRegistry {
  readonly runId: string;
  readonly spec: ResolvedWorld;
  shaperKind: ShaperKind = 'netem';
  private readonly namespaces: string[] = [];
  private readonly processes = new Set<ManagedProcess>();
  private readonly hostByName = new Map<string, LabHost>();
  private readonly siteByName = new Map<string, LabSite>();
  private readonly wanShapers = new Map<string, Shaper>();
  private readonly hostShapers = new Map<string, Shaper>();
  private readonly wires: WireShaper[] = [];
  private readonly udpBlocked = new Set<string>();
  private readonly directBlocks = new Map<string, Set<string>>();
  private serverHost: LabServer | undefined;
  private tornDown = false;

  private constructor(spec: WorldSpec) {
    this.spec = resolveWorld(spec);
    this.runId = newRunId();
  }

  /** Builds the namespaces, links, addresses, NAT and impairments of a world. */
  static async build(spec: WorldSpec): Promise<World> {
    await requirePrerequisites();
    if (!reaped) {
      reaped = true;
      await reapStale();
    }
    const world = new World(spec);
    installExitHook();
    live.add(world);
    try {
      await world.create();
    } catch (e) {
      await world.teardown();
      throw e;
    }
    return world;
  }

  /** Namespace names of this world (all of them, including routers and the internet core). */
  namespaceNames(): string[] {
    return [...this.namespaces];
  }

  host(name: string): LabHost {
    const h = this.hostByName.get(name);
    if (!h)
      throw new Error(`no host ${name} in this world (hosts: ${[...this.hostByName.keys()].join(', ')})`);
    return h;
  }

  hosts(): LabHost[] {
    return [...this.hostByName.values()];
  }

  site(name: string): LabSite {
    const s = this.siteByName.get(name);
    if (!s)
      throw new Error(`no site ${name} in this world (sites: ${[...this.siteByName.keys()].join(', ')})`);
    return s;
  }

  get server(): LabServer {
    if (!this.serverHost) throw new Error('this world has no server: declare `server: true`');
    return this.serverHost;
  }

  adopt(p: ManagedProcess): void {
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
  }

  // ---- knobs ---------------------------------------------------------------------------------

  /**
   * Cuts the server off: 'signaling' drops the signaling TCP port only (TURN/STUN stay reachable),
   * 'all' drops everything to and from the server namespace (TURN too).
   */
  async cutServer(what: 'signaling' | 'all' = 'signaling'): Promise<void> {
    await this.setServerCut(what);
  }

  async restoreServer(): Promise<void> {
    await this.setServerCut('none');
  }

  /** Drops all UDP between the site's hosts and the internet (TCP still works: TURN over TCP/TLS). */
  async blockUdp(site: string): Promise<void> {
    this.udpBlocked.add(this.site(site).name);
    await this.restore(this.site(site).router.ns, udpChain(true));
  }

  async unblockUdp(site: string): Promise<void> {
    this.udpBlocked.delete(this.site(site).name);
    await this.restore(this.site(site).router.ns, udpChain(false));
  }

  /**
   * Drops UDP between two sites' public addresses at siteA's router (in both directions), so a direct
   * path between them fails while both still reach the server (and TURN relays).
   */
  async blockDirect(siteA: string, siteB: string): Promise<void> {
    const a = this.site(siteA);
    const b = this.site(siteB);
    const set = this.directBlocks.get(a.name) ?? new Set<string>();
    set.add(b.name);
    this.directBlocks.set(a.name, set);
    await this.writeDirect(a);
  }

  async unblockDirect(siteA: string, siteB: string): Promise<void> {
    const a = this.site(siteA);
    this.directBlocks.get(a.name)?.delete(this.site(siteB).name);
    await this.writeDirect(a);
  }

  /** Changes the impairment of a site's WAN link (the site must declare `wan` at build). */
  async setWan(site: string, shape: LinkShape): Promise<void> {
    const s = this.wanShapers.get(this.site(site).name);
    if (!s) throw new Error(`site ${site} has no shaped WAN link: declare \`wan: {}\` for it in Lab.build`);
    await s.apply(shape);
  }

  /** Changes the impairment of a host's LAN link (the host must declare `link` at build). */
  async setHostLink(host: string, shape: LinkShape): Promise<void> {
    const s = this.hostShapers.get(this.host(host).name);
    if (!s) throw new Error(`host ${host} has no shaped link: declare it as { name, link: {} } in Lab.build`);
    await s.apply(shape);
  }

  // ---- teardown ------------------------------------------------------------------------------

  /** Stops every process (SIGTERM, then SIGKILL) and deletes every namespace of the world. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await Promise.all([...this.processes].map((p) => p.stop(3000)));
    await Promise.all(this.wires.map((w) => w.stop()));
    // Deleting a namespace kills nothing by itself: kill stragglers (e.g. daemons that forked) first.
    for (const ns of this.namespaces) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    await run('ip', ['-force', '-batch', '-'], {
      input: `${this.namespaces.map((n) => `netns delete ${n}`).join('\n')}\n`,
    }).catch(() => undefined);
    // Anything still listed (a failed delete) is reported, not silently left behind.
    const left = await labNamespaces(this.runId);
    live.delete(this);
    if (left.length > 0) throw new Error(`lab teardown left namespaces behind: ${left.join(', ')}`);
  }

  /** Synchronous teardown for the process 'exit' hook. */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const p of this.processes) p.killNow();
    for (const w of this.wires) w.killNow();
    for (const ns of this.namespaces) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    spawnSync('ip', ['-force', '-batch', '-'], {
      input: this.namespaces.map((n) => `netns delete ${n}\n`).join(''),
    });
    live.delete(this);
  }

  // ---- construction --------------------------------------------------------------------------

  private ns(role: string): string {
    return nsName(this.runId, role);
  }

  private async create(): Promise<void> {
    const { sites, server } = this.spec;
    const inet = this.ns('inet');
    const srv = server ? this.ns('srv') : undefined;
    const routerNs = new Map(sites.map((s) => [s.name, this.ns(`r-${s.name}`)]));
    const hostNs = new Map(
      sites.flatMap((s) => s.hosts.map((h) => [h.name, this.ns(`h-${h.name}`)] as const)),
    );
    const all = [inet, ...(srv ? [srv] : []), ...routerNs.values(), ...hostNs.values()];
    // Record names before creating them, so a failure half-way still tears everything down.
    this.namespaces.push(...all);
    await ipBatch(all.map((n) => `netns add ${n}`));
    this.shaperKind = await chooseShaper(inet);
    const wire = this.shaperKind === 'wire';
    const brSysctls = [
      'net.bridge.bridge-nf-call-iptables=0',
      'net.bridge.bridge-nf-call-ip6tables=0',
      'net.bridge.bridge-nf-call-arptables=0',
    ];

    // The internet core: bridge br0 holding every WAN link; the core itself routes the public LANs
    // of nat 'none' sites and has no route anywhere else (nothing leaves the lab).
    const core: string[] = [
      'link set lo up',
      'link add br0 type bridge',
      `addr add ${INTERNET.coreIp}/${INTERNET.prefixLen} dev br0`,
      'link set br0 up',
    ];
    for (const s of sites) {
      const port = `s-${s.name}`;
      core.push(`link add ${port} type veth peer name wan netns ${routerNs.get(s.name)}`);
      if (s.wan && wire) core.push(...wireLinks(port, 'br0', { tapA: `wa-${s.name}`, tapB: `wb-${s.name}` }));
      else core.push(`link set ${port} master br0 up`);
      if (s.nat === 'none') core.push(`route add ${s.lanCidr} via ${s.wanIp}`);
    }
    if (srv) core.push(`link add srv type veth peer name eth0 netns ${srv}`, 'link set srv master br0 up');
    await run('ip', ['-n', inet, '-batch', '-'], { input: `${core.join('\n')}\n` });
    await this.sysctl(inet, [
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.br0.send_redirects=0',
      ...brSysctls,
    ]);

    for (const s of sites) {
      const r = routerNs.get(s.name)!;
      const lines = [
        'link set lo up',
        `addr add ${s.wanIp}/${INTERNET.prefixLen} dev wan`,
        'link set wan up',
        'link add lan type bridge',
        `addr add ${s.routerLanIp}/24 dev lan`,
        'link set lan up',
        `route add default via ${INTERNET.coreIp}`,
      ];
      for (const h of s.hosts) {
        const port = `h-${h.name}`;
        lines.push(`link add ${port} type veth peer name eth0 netns ${hostNs.get(h.name)}`);
        if (h.link && wire)
          lines.push(...wireLinks(port, 'lan', { tapA: `ha-${h.name}`, tapB: `hb-${h.name}` }));
        else lines.push(`link set ${port} master lan up`);
      }
      await run('ip', ['-n', r, '-batch', '-'], { input: `${lines.join('\n')}\n` });
      await this.sysctl(r, ['net.ipv4.ip_forward=1', ...brSysctls]);
      await this.restore(r, routerRules(s));
      if (s.udpBlocked) this.udpBlocked.add(s.name);
      const router = new LabHost(`router-${s.name}`, r, s.routerLanIp, s.name, this);
      const hosts: LabHost[] = [];
      for (const h of s.hosts) {
        const ns = hostNs.get(h.name)!;
        await run('ip', ['-n', ns, '-batch', '-'], {
          input: [
            'link set lo up',
            `addr add ${h.ip}/24 dev eth0`,
            'link set eth0 up',
            `route add default via ${s.routerLanIp}`,
            '',
          ].join('\n'),
        });
        const host = new LabHost(h.name, ns, h.ip, s.name, this);
        this.hostByName.set(h.name, host);
        hosts.push(host);
      }
      this.siteByName.set(s.name, {
        name: s.name,
        nat: s.nat,
        wanIp: s.wanIp,
        lanCidr: s.lanCidr,
        publicPrefixes: s.nat === 'none' ? [`${s.wanIp}/32`, s.lanCidr] : [`${s.wanIp}/32`],
        router,
        hosts,
      });
    }

    if (srv && server) {
      await run('ip', ['-n', srv, '-batch', '-'], {
        input: [
          'link set lo up',
          `addr add ${server.ip}/${INTERNET.prefixLen} dev eth0`,
          `addr add ${server.altIp}/${INTERNET.prefixLen} dev eth0`,
          'link set eth0 up',
          `route add default via ${INTERNET.coreIp}`,
          '',
        ].join('\n'),
      });
      await this.restore(srv, serverRules());
      this.serverHost = new LabServer(srv, server.ip, server.altIp, server.signalingPort, this);
    }

    await this.createShapers(inet, routerNs, hostNs);
  }

  private async createShapers(
    inet: string,
    routerNs: Map<string, string>,
    hostNs: Map<string, string>,
  ): Promise<void> {
    for (const s of this.spec.sites) {
      if (s.wan) {
        const shaper =
          this.shaperKind === 'wire'
            ? await this.startWire(inet, `s-${s.name}`, `wa-${s.name}`, `wb-${s.name}`, s.wan)
            : new NetemShaper([
                { ns: routerNs.get(s.name)!, dev: 'wan' },
                { ns: inet, dev: `s-${s.name}` },
              ]);
        await shaper.apply(s.wan);
        this.wanShapers.set(s.name, shaper);
      }
      for (const h of s.hosts) {
        if (!h.link) continue;
        const shaper =
          this.shaperKind === 'wire'
            ? await this.startWire(
                routerNs.get(s.name)!,
                `h-${h.name}`,
                `ha-${h.name}`,
                `hb-${h.name}`,
                h.link,
              )
            : new NetemShaper([
                { ns: routerNs.get(s.name)!, dev: `h-${h.name}` },
                { ns: hostNs.get(h.name)!, dev: 'eth0' },
              ]);
        await shaper.apply(h.link);
        this.hostShapers.set(h.name, shaper);
      }
    }
  }

  private async startWire(
    ns: string,
    port: string,
    tapA: string,
    tapB: string,
    shape: LinkShape,
  ): Promise<WireShaper> {
    await run('ip', ['netns', 'exec', ns, 'tc', '-batch', '-'], {
      input: `${wireTc(port, tapA).join('\n')}\n`,
    });
    // The spliced interfaces only carry frames; keep them from sending IPv6 chatter of their own.
    await this.sysctl(
      ns,
      [port, tapA].map((d) => `net.ipv6.conf.${d}.disable_ipv6=1`),
    );
    const w = await WireShaper.start(ns, tapA, tapB, shape);
    this.wires.push(w);
    return w;
  }

  private async sysctl(ns: string, settings: readonly string[]): Promise<void> {
    // Written to /proc/sys directly (no dependency on procps). Network sysctls are per namespace, and
    // keys this kernel lacks (bridge netfilter when br_netfilter is absent) are skipped.
    const script =
      'for kv; do k=$(echo "$kv" | cut -d= -f1 | tr . /); v=$(echo "$kv" | cut -d= -f2);' +
      ' [ -e "/proc/sys/$k" ] && echo "$v" > "/proc/sys/$k"; done; true';
    await run('ip', ['netns', 'exec', ns, 'sh', '-c', script, 'sysctl', ...settings]);
  }

  private async restore(ns: string, rules: string): Promise<void> {
    await run('ip', ['netns', 'exec', ns, 'iptables-restore', '--noflush'], { input: rules });
  }

  private async setServerCut(cut: ServerCut): Promise<void> {
    const s = this.server;
    await this.restore(s.ns, serverCutChains(cut, s.signalingPort));
  }

  private async writeDirect(a: LabSite): Promise<void> {
    const prefixes = [...(this.directBlocks.get(a.name) ?? [])].flatMap((b) => this.site(b).publicPrefixes);
    await this.restore(a.router.ns, directChain(prefixes));
  }
}
