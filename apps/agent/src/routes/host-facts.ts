import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { urlHost } from '@rtcmesh/protocol';
import ipaddr from 'ipaddr.js';

/** What this host must keep reaching outside the mesh, whatever routes peers offer (issue 16). */
export type HostFacts = {
  /** Addresses of this host's interfaces (the overlay device excluded). */
  addresses: string[];
  /** Networks those interfaces are attached to, as prefixes. */
  connected: string[];
  /** Next hops of the default routes (IPv4 and IPv6). */
  gateways: string[];
};

/** Interface addresses and connected networks from the kernel, minus the devices named. */
export function interfaceFacts(exclude: readonly string[]): Pick<HostFacts, 'addresses' | 'connected'> {
  const addresses: string[] = [];
  const connected: string[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (exclude.includes(name)) continue;
    for (const i of list ?? []) {
      if (i.internal) continue;
      const address = i.address.replace(/%.*$/, '');
      addresses.push(address);
      if (!i.cidr) continue;
      try {
        const net =
          i.family === 'IPv4'
            ? ipaddr.IPv4.networkAddressFromCIDR(i.cidr)
            : ipaddr.IPv6.networkAddressFromCIDR(i.cidr.replace(/%[^/]*/, ''));
        const len = i.cidr.slice(i.cidr.lastIndexOf('/') + 1);
        // A /32 or /128 on an interface is an address, not a network a route could hide.
        if (Number(len) < (i.family === 'IPv4' ? 32 : 128)) connected.push(`${net.toString()}/${len}`);
      } catch {
        // An address Node reports but ipaddr.js cannot parse: its address above still protects it.
      }
    }
  }
  return { addresses, connected };
}

/** Default gateways from /proc/net/route (hex, little-endian IPv4) and /proc/net/ipv6_route. */
export function parseDefaultGateways(route4: string, route6: string): string[] {
  const out = parseDefaultRoutes4(route4).map((r) => r.gateway);
  for (const line of route6.split('\n')) {
    const f = line.trim().split(/\s+/);
    // dst dst_len src src_len next_hop metric refcnt use flags iface
    if (f.length < 10 || f[1] !== '00' || /^0+$/.test(f[4]!) || !/^[0-9a-f]{32}$/.test(f[4]!)) continue;
    if (!/^0+$/.test(f[0]!)) continue;
    const hex = f[4]!;
    const groups = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    out.push(ipaddr.parse(groups.join(':')).toString());
  }
  return [...new Set(out)];
}

/** IPv4 default routes from /proc/net/route: the interface and next hop of each, lowest metric first. */
export function parseDefaultRoutes4(route4: string): { dev: string; gateway: string }[] {
  const out: { dev: string; gateway: string; metric: number }[] = [];
  for (const line of route4.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Iface Destination Gateway Flags RefCnt Use Metric Mask: a default route has destination and mask 0.
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000' || f[2] === '00000000') continue;
    const g = Number.parseInt(f[2]!, 16);
    const gateway = [g & 255, (g >>> 8) & 255, (g >>> 16) & 255, g >>> 24].join('.');
    out.push({ dev: f[0]!, gateway, metric: Number(f[6]) || 0 });
  }
  return out.sort((a, b) => a.metric - b.metric).map(({ dev, gateway }) => ({ dev, gateway }));
}

export async function defaultRoutes4(): Promise<{ dev: string; gateway: string }[]> {
  return parseDefaultRoutes4(await readFile('/proc/net/route', 'utf8').catch(() => ''));
}

export async function defaultGateways(): Promise<string[]> {
  const read = (p: string) => readFile(p, 'utf8').catch(() => '');
  return parseDefaultGateways(await read('/proc/net/route'), await read('/proc/net/ipv6_route'));
}

/**
 * The addresses of the signaling and STUN/TURN servers this agent uses: literals as they are, names
 * resolved (a name that does not resolve now protects nothing, and is tried again next time).
 */
export async function serverAddresses(urls: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const url of urls) {
    const host = urlHost(url);
    if (!host) continue;
    if (ipaddr.isValid(host)) {
      out.add(ipaddr.parse(host).toString());
      continue;
    }
    try {
      // A resolver that hangs must not hold up the device: 2 s, then the name protects nothing this time.
      const found = await Promise.race([
        lookup(host, { all: true }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      for (const a of found) out.add(ipaddr.parse(a.address).toString());
    } catch {
      // Unresolvable now: nothing to compare with.
    }
  }
  return [...out];
}
