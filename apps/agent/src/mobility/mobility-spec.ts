import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/** One `--mobility <bridge>=<prefix>[,gateway=<ip>][,mac=<mac>]`. */
export interface MobilitySpec {
  /** The site's LAN bridge the workloads of the prefix sit on. */
  bridge: string;
  /** Canonical IPv4 prefix, e.g. 10.50.0.0/24. */
  prefix: string;
  /** The anycast gateway's address (default: the prefix's first host). */
  gateway: string;
  /** The anycast gateway's MAC: the same at every site (default: derived from the prefix). */
  mac: string;
}

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The gateway MAC every site derives for a prefix: locally administered, unicast, from a hash of the
 * prefix, so sites agree without configuring it.
 */
export function anycastMac(prefix: string): string {
  const h = createHash('sha256').update(`rtcmesh anycast gateway ${prefix}`).digest();
  const bytes = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses one `--mobility` value; throws an Error whose message says what is wrong. */
export function parseMobilitySpec(value: string): MobilitySpec {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--mobility ${value}: expected <bridge>=<prefix>[,gateway=<ip>][,mac=<mac>]`);
  const bridge = value.slice(0, eq);
  if (!IFNAME.test(bridge)) throw new Error(`--mobility ${value}: ${bridge} is not an interface name`);
  const [prefixText = '', ...opts] = value.slice(eq + 1).split(',');
  let addr: ipaddr.IPv4;
  let len: number;
  try {
    const [a, l] = ipaddr.parseCIDR(prefixText);
    if (a.kind() !== 'ipv4') throw new Error('IPv6 mobility prefixes are not supported yet');
    addr = a as ipaddr.IPv4;
    len = l;
  } catch (err) {
    throw new Error(`--mobility ${value}: ${prefixText} is not an IPv4 prefix (${(err as Error).message})`);
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(prefixText);
  if (network.toString() !== addr.toString())
    throw new Error(`--mobility ${value}: ${prefixText} has host bits set (did you mean ${network}/${len}?)`);
  if (len < 16 || len > 30)
    throw new Error(`--mobility ${value}: a mobility prefix is /16 to /30 (one LAN of workloads)`);
  const prefix = `${network}/${len}`;
  const first = ipaddr.fromByteArray(network.toByteArray().map((b, i) => (i === 3 ? b + 1 : b)));
  let gateway = first.toString();
  let mac = anycastMac(prefix);
  for (const o of opts) {
    const [k, v = ''] = o.split('=');
    if (k === 'gateway') {
      if (!ipaddr.IPv4.isValidFourPartDecimal(v) || !ipaddr.IPv4.parse(v).match(network, len))
        throw new Error(`--mobility ${value}: gateway ${v} is not an address inside ${prefix}`);
      gateway = ipaddr.IPv4.parse(v).toString();
    } else if (k === 'mac') {
      const m = v.toLowerCase();
      if (!MAC.test(m) || (Number.parseInt(m.slice(0, 2), 16) & 1) === 1)
        throw new Error(`--mobility ${value}: mac ${v} is not a unicast MAC address`);
      mac = m;
    } else throw new Error(`--mobility ${value}: unknown option ${k} (gateway=, mac=)`);
  }
  const bcast = ipaddr.IPv4.broadcastAddressFromCIDR(prefix).toString();
  if (gateway === network.toString() || gateway === bcast)
    throw new Error(`--mobility ${value}: gateway ${gateway} is the network or broadcast address`);
  return { bridge, prefix, gateway, mac };
}

/** The canonical text of a spec (what `rtcmesh set` saves and `settings` shows). */
export function formatMobilitySpec(s: MobilitySpec): string {
  return `${s.bridge}=${s.prefix},gateway=${s.gateway},mac=${s.mac}`;
}

/** True when `ip` (IPv4) lies inside `prefix`. */
export function inPrefix(ip: string, prefix: string): boolean {
  try {
    const a = ipaddr.parse(ip);
    const [net, len] = ipaddr.parseCIDR(prefix);
    return a.kind() === net.kind() && a.match(net, len);
  } catch {
    return false;
  }
}
