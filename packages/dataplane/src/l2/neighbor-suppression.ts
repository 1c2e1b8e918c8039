import { type MacNumber, macAt } from '../addr/mac.js';
import { buildArpReplyTo, buildNeighborAdvertTo } from '../builders/replies.js';
import { u16, u32 } from '../bytes.js';
import { verifyTransport6 } from '../checksum.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, isEthIpv4Arp } from '../parse/arp.js';
import { PROTO_ICMPV6 } from '../parse/ipv4.js';
import { newIpv6Upper, walkIpv6 } from '../parse/ipv6.js';
import { ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT, parseNeighborMessage } from '../parse/ndp.js';
import { type BindingStore, ipv6Key } from './bindings.js';

/** Where an address seen on the device is recorded (the switch: only MACs it has seen locally). */
export interface LocalAddressSink {
  learnV4(mac: MacNumber, ip: number, nowMs: number): void;
  learnV6(mac: MacNumber, key: string, nowMs: number): void;
}

/**
 * ARP and neighbour-discovery suppression for a stretched segment: what the device's hosts say in
 * ARP and ND teaches the switch their addresses (the bindings it advertises), and a request for an
 * address another site advertised is answered here instead of crossing the WAN. Probes, gratuitous
 * ARP and DAD solicitations are never answered: their real owner must see them.
 */
export class NeighborSuppression {
  readonly #v6 = newIpv6Upper();
  /** Offsets of the last suppressible NS seen by ndLearn (valid for the current frame only). */
  #nsIpOff = 0;
  #nsTargetOff = 0;

  constructor(
    private readonly bindings: BindingStore,
    private readonly sink: LocalAddressSink,
    private readonly opts: { readonly suppressArp: boolean; readonly suppressNd: boolean },
  ) {}

  /**
   * ARP from the device (any destination: replies are unicast): learns the sender's binding. Returns
   * true for a request that suppression may answer (arpAnswer).
   */
  arpLearn(frame: Buffer, typeOff: number, nowMs: number): boolean {
    const arp = typeOff + 2;
    if (!isEthIpv4Arp(frame, arp)) return false;
    const op = u16(frame, arp + 6);
    const senderIp = u32(frame, arp + 14);
    if (op === ARP_OP_REQUEST || op === ARP_OP_REPLY)
      this.sink.learnV4(macAt(frame, arp + 8), senderIp, nowMs);
    return (
      op === ARP_OP_REQUEST && this.opts.suppressArp && senderIp !== 0 && senderIp !== u32(frame, arp + 24)
    );
  }

  /** Reply to a suppressible ARP request whose target is a remote binding (and no local one), or null. */
  arpAnswer(frame: Buffer, typeOff: number): Buffer | null {
    const targetIp = u32(frame, typeOff + 2 + 24);
    if (this.bindings.hasLocalV4(targetIp)) return null;
    const owner = this.bindings.remoteV4(targetIp);
    return owner === undefined ? null : buildArpReplyTo(frame, typeOff, owner.mac);
  }

  /**
   * ICMPv6 from the device: learns bindings from NS (source address) and NA (target address), unicast
   * or multicast. Returns true for an NS (not a DAD probe) that suppression may answer (ndAnswer).
   */
  ndLearn(frame: Buffer, typeOff: number, nowMs: number): boolean {
    const ip = typeOff + 2;
    const u = this.#v6;
    if (!walkIpv6(frame, ip, frame.length, u) || u.proto !== PROTO_ICMPV6 || u.fragmented) return false;
    const t = frame[u.offset];
    if (t !== ICMPV6_NEIGHBOR_SOLICIT && t !== ICMPV6_NEIGHBOR_ADVERT) return false;
    // RFC 4861 §7.1: hop limit 255 and a valid checksum, or the message is not ND at all.
    if (frame[ip + 7] !== 255 || !verifyTransport6(frame, ip, u.offset, u.end - u.offset, PROTO_ICMPV6)) {
      return false;
    }
    const nd = parseNeighborMessage(frame, u.offset, u.end);
    if (nd === null) return false;
    const mac = nd.linkLayerAddress ?? macAt(frame, 6);
    if (nd.type === ICMPV6_NEIGHBOR_ADVERT) {
      this.sink.learnV6(mac, ipv6Key(frame.subarray(nd.targetOffset, nd.targetOffset + 16)), nowMs);
      return false;
    }
    if (isZero16(frame, ip + 8)) return false; // DAD probe: let the real owner answer
    this.sink.learnV6(mac, ipv6Key(frame.subarray(ip + 8, ip + 24)), nowMs);
    this.#nsIpOff = ip;
    this.#nsTargetOff = nd.targetOffset;
    return this.opts.suppressNd;
  }

  /** NA answering the NS ndLearn accepted, when its target is a remote binding (and no local one). */
  ndAnswer(frame: Buffer, typeOff: number): Buffer | null {
    const target = this.#nsTargetOff;
    const key = ipv6Key(frame.subarray(target, target + 16));
    if (this.bindings.hasLocalV6(key)) return null;
    const owner = this.bindings.remoteV6(key);
    return owner === undefined
      ? null
      : buildNeighborAdvertTo(frame, typeOff, this.#nsIpOff, target, owner.mac);
  }
}

function isZero16(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false;
  return true;
}
