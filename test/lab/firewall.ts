import type { ResolvedSite } from './spec.js';

/**
 * iptables rule sets (iptables-restore text) for the lab's namespaces. The lab uses whatever
 * `iptables` is installed (nf_tables or legacy backend); both work inside namespaces.
 *
 * Custom chains are the knobs: LAB-UDP (blockUdp), LAB-DIRECT (blockDirect), LAB-CUT-IN/OUT (cutServer).
 */

/** Router of a site: WAN interface `wan`, LAN bridge `lan`. */
export function routerRules(site: ResolvedSite): string {
  const masquerade = site.nat === 'symmetric' ? 'MASQUERADE --random-fully' : 'MASQUERADE';
  const nat =
    site.nat === 'none'
      ? []
      : [
          '*nat',
          ':PREROUTING ACCEPT [0:0]',
          ':INPUT ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ':POSTROUTING ACCEPT [0:0]',
          `-A POSTROUTING -o wan -j ${masquerade}`,
          'COMMIT',
        ];
  const inbound =
    site.nat === 'none'
      ? '-A FORWARD -i wan -o lan -j ACCEPT'
      : // Only replies to what the LAN sent: the NAT's filtering (address-and-port dependent).
        '-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT';
  return [
    ...nat,
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':LAB-UDP - [0:0]',
    ':LAB-DIRECT - [0:0]',
    // Unsolicited packets to the router itself are dropped before conntrack confirms them. If they were
    // accepted (and answered with port-unreachable), their conntrack entry would occupy the public
    // port a LAN host is about to use, MASQUERADE would pick another port, and a cone NAT would look
    // symmetric to hole punching.
    '-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A INPUT -i wan -j DROP',
    '-A FORWARD -j LAB-UDP',
    '-A FORWARD -j LAB-DIRECT',
    '-A FORWARD -i lan -o wan -j ACCEPT',
    inbound,
    ...(site.udpBlocked ? udpBlockRules() : []),
    'COMMIT',
    '',
  ].join('\n');
}

function udpBlockRules(): string[] {
  return ['-A LAB-UDP -p udp -j DROP'];
}

/** Replaces the contents of LAB-UDP. */
export function udpChain(blocked: boolean): string {
  return ['*filter', '-F LAB-UDP', ...(blocked ? udpBlockRules() : []), 'COMMIT', ''].join('\n');
}

/** Replaces the contents of LAB-DIRECT: UDP to and from each listed public prefix is dropped. */
export function directChain(blockedPrefixes: readonly string[]): string {
  const rules = blockedPrefixes.flatMap((p) => [
    `-A LAB-DIRECT -p udp -d ${p} -j DROP`,
    `-A LAB-DIRECT -p udp -s ${p} -j DROP`,
  ]);
  return ['*filter', '-F LAB-DIRECT', ...rules, 'COMMIT', ''].join('\n');
}

export type ServerCut = 'none' | 'signaling' | 'all';

/** Server namespace: empty cut chains hooked into INPUT and OUTPUT. */
export function serverRules(): string {
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':LAB-CUT-IN - [0:0]',
    ':LAB-CUT-OUT - [0:0]',
    '-A INPUT -j LAB-CUT-IN',
    '-A OUTPUT -j LAB-CUT-OUT',
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * Replaces the cut chains. Packets are dropped silently (no RST, no ICMP), as when a server vanishes
 * behind a dead link: established TCP connections stall until their own timeouts notice.
 */
export function serverCutChains(cut: ServerCut, signalingPort: number): string {
  const rules =
    cut === 'signaling'
      ? [
          `-A LAB-CUT-IN -p tcp --dport ${signalingPort} -j DROP`,
          `-A LAB-CUT-OUT -p tcp --sport ${signalingPort} -j DROP`,
        ]
      : cut === 'all'
        ? ['-A LAB-CUT-IN ! -i lo -j DROP', '-A LAB-CUT-OUT ! -o lo -j DROP']
        : [];
  return ['*filter', '-F LAB-CUT-IN', '-F LAB-CUT-OUT', ...rules, 'COMMIT', ''].join('\n');
}
