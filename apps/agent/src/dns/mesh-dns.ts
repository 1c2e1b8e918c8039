import { dnsLabel } from '@rtcmesh/protocol';
import * as dnsPacket from 'dns-packet';

/** A node as the resolver sees it: its name and overlay addresses (CIDR or bare). */
export interface DnsNode {
  name: string;
  addresses: readonly string[];
}

export interface MeshDnsCounters {
  queries: number;
  answered: number;
  nxdomain: number;
  refused: number;
  malformed: number;
}

/** Answers are small and fixed; a query longer than this is not one we answer. */
const MAX_QUERY_BYTES = 512;
const TTL_SECONDS = 10;
const RCODE = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;

/**
 * The agent's resolver for `<node>.<network>.<suffix>` (A and AAAA from the network map; the names
 * are DNS labels of the node and network names, kept unique by the server). Authoritative for its
 * zone only: a name inside it that no node has is NXDOMAIN, a question outside it is REFUSED (this is
 * no recursive resolver). Packets are read and written with `dns-packet`; what does not parse, is a
 * response, or asks more than one question is dropped and counted.
 */
export class MeshDns {
  readonly zone: string;
  readonly counters: MeshDnsCounters = { queries: 0, answered: 0, nxdomain: 0, refused: 0, malformed: 0 };

  constructor(
    network: string,
    suffix: string,
    private readonly nodes: () => readonly DnsNode[],
  ) {
    this.zone = `${dnsLabel(network)}.${suffix}`;
  }

  /** The name a node answers to. */
  nameOf(node: string): string {
    return `${dnsLabel(node)}.${this.zone}`;
  }

  /** The answer to one query datagram, or null when it gets none. */
  answer(query: Buffer): Buffer | null {
    if (query.length > MAX_QUERY_BYTES) {
      this.counters.malformed++;
      return null;
    }
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(query);
    } catch {
      this.counters.malformed++;
      return null;
    }
    const question = q.questions?.[0];
    if (q.type !== 'query' || q.questions?.length !== 1 || !question) {
      this.counters.malformed++;
      return null;
    }
    this.counters.queries++;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const reply = (rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED', answers: dnsPacket.Answer[] = []) =>
      dnsPacket.encode({
        type: 'response',
        id: q.id ?? 0,
        // dns-packet takes the RCODE in the low bits of the flags. Authoritative for the zone;
        // recursion desired is echoed, never available.
        flags:
          RCODE[rcode] |
          (rcode === 'REFUSED' ? 0 : dnsPacket.AUTHORITATIVE_ANSWER) |
          ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
        questions: [question],
        answers,
      });
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) {
      this.counters.refused++;
      return reply('REFUSED');
    }
    const node = this.nodes().find((n) => this.nameOf(n.name) === name);
    if (!node) {
      // The zone itself exists (NOERROR, no data); anything else in it is not a node.
      if (name === this.zone) return reply('NOERROR');
      this.counters.nxdomain++;
      return reply('NXDOMAIN');
    }
    const family = question.type === 'A' ? 4 : question.type === 'AAAA' ? 6 : -1;
    const answers: dnsPacket.Answer[] = [];
    for (const cidr of node.addresses) {
      const ip = cidr.split('/')[0]!;
      const v6 = ip.includes(':');
      if (family === 4 && v6) continue;
      if (family === 6 && !v6) continue;
      if (family === -1) continue;
      answers.push({ type: v6 ? 'AAAA' : 'A', name: question.name, ttl: TTL_SECONDS, data: ip });
    }
    this.counters.answered++;
    return reply('NOERROR', answers);
  }
}
