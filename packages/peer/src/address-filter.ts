import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which local/remote addresses ICE may use.
 *
 * The agent's own overlay device (TAP/TUN) addresses and the overlay CIDRs must never be ICE candidates:
 * a path to a peer's overlay address runs through the overlay itself. werift only skips interfaces named
 * tun*, tap*, veth*, vmnet*, ipsec*; an overlay device named e.g. `rtcmesh0` would be advertised.
 * The filter is applied on every edge: candidates we signal, candidates and SDP we receive, and every
 * candidate pair (which also catches peer-reflexive candidates learned from incoming checks).
 */
export interface CandidateAddressOptions {
  /** Interface names whose addresses are never candidates. A trailing `*` matches a prefix (`rtcmesh*`). */
  excludeInterfaces?: string[];
  /** CIDRs (IPv4 or IPv6) never used as local or remote candidate addresses, e.g. the overlay network. */
  excludeCidrs?: string[];
  /**
   * Extra host addresses to gather (werift's iceAdditionalHostAddresses): werift itself skips veth*,
   * so in a network namespace lab the veth address must be listed here.
   */
  additionalHostAddresses?: string[];
  /**
   * libdatachannel only: bind ICE to this one address. libjuice gathers every non-loopback interface
   * address and never a loopback one, so loopback-only tests bind to 127.0.0.1. werift ignores it.
   */
  bindAddress?: string;
}

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.split('/');
  const version = isIP(address);
  if (version === 0) throw new Error(`invalid CIDR address: ${cidr}`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
    throw new Error(`invalid CIDR prefix: ${cidr}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function interfaceMatches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * One filter can be shared by every link of an agent and updated when the network config changes
 * (new overlay CIDR, device renamed); the update applies to candidates and pairs from then on.
 */
export class CandidateAddressFilter {
  private cidrs = new BlockList();
  private excludeInterfaces: readonly string[] = [];
  private interfaceAddresses = new Set<string>();
  additionalHostAddresses: readonly string[] = [];
  bindAddress: string | undefined;

  constructor(options: CandidateAddressOptions = {}) {
    this.update(options);
  }

  /** Replaces the whole policy. Throws on an invalid CIDR or address (and then changes nothing). */
  update(options: CandidateAddressOptions): void {
    const cidrs = new BlockList();
    for (const cidr of options.excludeCidrs ?? []) {
      const { address, prefix, family } = parseCidr(cidr);
      cidrs.addSubnet(address, prefix, family);
    }
    for (const a of options.additionalHostAddresses ?? []) {
      if (isIP(a) === 0) throw new Error(`invalid additional host address: ${a}`);
    }
    if (options.bindAddress !== undefined && isIP(options.bindAddress) === 0)
      throw new Error(`invalid bind address: ${options.bindAddress}`);
    this.cidrs = cidrs;
    this.bindAddress = options.bindAddress;
    this.excludeInterfaces = [...(options.excludeInterfaces ?? [])];
    this.additionalHostAddresses = [...(options.additionalHostAddresses ?? [])];
    this.refresh();
  }

  /** Re-reads interface addresses (an overlay device may get its address after the link was created). */
  refresh(): void {
    const found = new Set<string>();
    if (this.excludeInterfaces.length > 0) {
      for (const [name, infos] of Object.entries(networkInterfaces())) {
        if (!interfaceMatches(name, this.excludeInterfaces)) continue;
        for (const info of infos ?? []) found.add(normalize(info.address));
      }
    }
    this.interfaceAddresses = found;
  }

  /** True when ICE must not use this address (hostnames such as mDNS `.local` are never excluded). */
  isExcluded(address: string): boolean {
    const a = normalize(address);
    const version = isIP(a);
    if (version === 0) return false;
    if (this.interfaceAddresses.has(a)) return true;
    return this.cidrs.check(a, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** Host addresses to hand to werift, minus excluded ones. */
  hostAddresses(): string[] | undefined {
    const list = this.additionalHostAddresses.filter((a) => !this.isExcluded(a));
    return list.length > 0 ? list : undefined;
  }

  /** True when an `a=candidate`/`candidate:` line names an excluded address. */
  isCandidateExcluded(candidate: string): boolean {
    const address = candidateAddress(candidate);
    return address !== undefined && this.isExcluded(address);
  }

  /** Removes candidate lines with excluded addresses from an SDP. */
  filterSdp(sdp: string): string {
    const lines = sdp.split('\r\n');
    return lines
      .filter((line) => !(line.startsWith('a=candidate:') && this.isCandidateExcluded(line)))
      .join('\r\n');
  }
}

/** Strips an IPv6 zone and IPv4-mapped prefix so the same address compares equal. */
function normalize(address: string): string {
  let a = address.trim();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** The connection address of an ICE candidate (`candidate:f c transport prio ADDRESS port typ ...`). */
export function candidateAddress(candidate: string): string | undefined {
  const text = candidate.startsWith('a=') ? candidate.slice(2) : candidate;
  const fields = text.split(/\s+/);
  if (!fields[0]?.startsWith('candidate:')) return undefined;
  return fields[4];
}

/** The candidate type (`host`, `srflx`, `prflx`, `relay`) of an ICE candidate line. */
export function candidateType(candidate: string): string | undefined {
  const fields = candidate.split(/\s+/);
  const i = fields.indexOf('typ');
  return i === -1 ? undefined : fields[i + 1];
}
