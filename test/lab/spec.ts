/** What a lab world is declared with. See README.md for the addressing plan. */

/** none: plain router, hosts have public addresses; cone: MASQUERADE (endpoint-independent mapping,
 * port preserved); symmetric: MASQUERADE --random-fully (a new random port per destination). */
export type NatType = 'none' | 'cone' | 'symmetric';

/** Impairment of one link, applied in each direction (a round trip crosses it twice). */
export interface LinkShape {
  delayMs?: number;
  /** Delay variation (netem only; the userspace wire ignores it). */
  jitterMs?: number;
  lossPct?: number;
  /**
   * Bottleneck rate in Mbit/s (userspace wire only; 0 or absent: no limit). Frames leave at this rate
   * through a buffer of `queueMs` (default 50 ms) of it; what does not fit is dropped, as a router with
   * a full buffer does, so flows through the link compete for it.
   */
  rateMbit?: number;
  queueMs?: number;
}

export interface HostSpec {
  name: string;
  /** Impairment of the host's link to its router's LAN bridge. */
  link?: LinkShape;
}

export interface SiteSpec {
  nat: NatType;
  hosts: ReadonlyArray<string | HostSpec>;
  /** 'blocked' drops all UDP between the site's hosts and the internet from the start (see blockUdp). */
  udp?: 'open' | 'blocked';
  /** Impairment of the site's WAN link. Declare it (even `{}`) to be able to call setWan later. */
  wan?: LinkShape;
  /** LAN prefix, a /24 (default 10.0.<n>.0/24 behind a NAT, 198.19.<n>.0/24 for nat 'none'). */
  lan?: string;
}

export interface ServerSpec {
  /** TCP port of the signaling server; cutServer('signaling') drops it. Default 8443. */
  signalingPort?: number;
}

export interface WorldSpec {
  sites: Readonly<Record<string, SiteSpec>>;
  /** A public namespace for the signaling server and coturn. */
  server?: boolean | ServerSpec;
}

const SITE_NAME = /^[a-z][a-z0-9]{0,7}$/;
const HOST_NAME = /^[a-z][a-z0-9]{0,9}$/;

export interface ResolvedHost {
  name: string;
  site: string;
  ip: string;
  link: LinkShape | undefined;
}

export interface ResolvedSite {
  name: string;
  index: number;
  nat: NatType;
  udpBlocked: boolean;
  wan: LinkShape | undefined;
  wanIp: string;
  /** LAN prefix as "a.b.c" (the /24's first three octets). */
  lanBase: string;
  lanCidr: string;
  routerLanIp: string;
  hosts: ResolvedHost[];
}

export interface ResolvedWorld {
  sites: ResolvedSite[];
  server: { ip: string; altIp: string; signalingPort: number } | undefined;
}

/** Internet segment: 198.18.0.0/16 (RFC 2544 benchmark range, used only inside the lab). */
export const INTERNET = {
  prefixLen: 16,
  coreIp: '198.18.0.1',
  serverIp: '198.18.0.2',
  serverAltIp: '198.18.0.3',
  siteWanIp: (index: number): string => `198.18.1.${index}`,
} as const;

function checkShape(where: string, s: LinkShape | undefined): void {
  if (s === undefined) return;
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`${where}.${k}: must be a number >= 0`);
  }
  if ((s.lossPct ?? 0) > 100) throw new Error(`${where}.lossPct: must be <= 100`);
  if ((s.delayMs ?? 0) > 10_000) throw new Error(`${where}.delayMs: must be <= 10000`);
  if ((s.queueMs ?? 50) < 1 || (s.queueMs ?? 50) > 10_000)
    throw new Error(`${where}.queueMs: must be 1..10000`);
}

function parseLan(where: string, cidr: string, nat: NatType): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr);
  const octets = m ? [m[1], m[2], m[3]].map(Number) : [];
  if (!m || octets.some((o) => o > 255))
    throw new Error(`${where}.lan: expected a /24 like 10.1.4.0/24, got ${cidr}`);
  const [a, b] = octets as [number, number, number];
  if (nat === 'none' && !(a === 198 && b === 19)) {
    throw new Error(`${where}.lan: a site with nat 'none' has a public LAN inside 198.19.0.0/16`);
  }
  if (nat !== 'none' && a === 198 && (b === 18 || b === 19)) {
    throw new Error(`${where}.lan: a NAT site's LAN must not overlap the lab internet 198.18.0.0/15`);
  }
  return `${octets.join('.')}`;
}

/** Validates a world declaration and computes every address. Throws a clear error on bad input. */
export function resolveWorld(spec: WorldSpec): ResolvedWorld {
  const names = Object.keys(spec.sites);
  if (names.length === 0) throw new Error('world: declare at least one site');
  if (names.length > 200) throw new Error('world: at most 200 sites');
  const hostNames = new Set<string>();
  const lans = new Set<string>();
  const sites = names.map((name, i): ResolvedSite => {
    const where = `sites.${name}`;
    if (!SITE_NAME.test(name))
      throw new Error(`${where}: site names match ${SITE_NAME} (they become interface names)`);
    const s = spec.sites[name]!;
    if (!['none', 'cone', 'symmetric'].includes(s.nat))
      throw new Error(`${where}.nat: none | cone | symmetric`);
    checkShape(`${where}.wan`, s.wan);
    const index = i + 1;
    const lanBase = parseLan(
      where,
      s.lan ?? (s.nat === 'none' ? `198.19.${index}.0/24` : `10.0.${index}.0/24`),
      s.nat,
    );
    if (lans.has(lanBase)) throw new Error(`${where}.lan: ${lanBase}.0/24 is used by another site`);
    lans.add(lanBase);
    if (s.hosts.length > 200) throw new Error(`${where}.hosts: at most 200`);
    const hosts = s.hosts.map((h, j): ResolvedHost => {
      const hs: HostSpec = typeof h === 'string' ? { name: h } : h;
      if (!HOST_NAME.test(hs.name))
        throw new Error(`${where}.hosts: host names match ${HOST_NAME}, got ${hs.name}`);
      if (hostNames.has(hs.name)) throw new Error(`${where}.hosts: host ${hs.name} is declared twice`);
      hostNames.add(hs.name);
      checkShape(`${where}.hosts.${hs.name}.link`, hs.link);
      return { name: hs.name, site: name, ip: `${lanBase}.${10 + j}`, link: hs.link };
    });
    return {
      name,
      index,
      nat: s.nat,
      udpBlocked: s.udp === 'blocked',
      wan: s.wan,
      wanIp: INTERNET.siteWanIp(index),
      lanBase,
      lanCidr: `${lanBase}.0/24`,
      routerLanIp: `${lanBase}.1`,
      hosts,
    };
  });
  const serverSpec = spec.server === true ? {} : spec.server === false ? undefined : spec.server;
  const port = serverSpec?.signalingPort ?? 8443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('server.signalingPort: 1..65535');
  return {
    sites,
    server: serverSpec
      ? { ip: INTERNET.serverIp, altIp: INTERNET.serverAltIp, signalingPort: port }
      : undefined,
  };
}
