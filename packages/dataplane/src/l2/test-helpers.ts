// Frames and snapshots shared by the L2 switch tests.
import { arpPacket, ethernetFrame } from '../builders/frames.js';
import type { L2Decision } from './l2-switch.js';

export const A = '02:00:00:00:00:0a'; // host on the local device
export const A2 = '02:00:00:00:00:1a'; // another local host
export const B = '02:00:00:00:00:0b'; // host behind peer p1
export const C = '02:00:00:00:00:0c'; // host behind peer p2
export const BCAST = 'ff:ff:ff:ff:ff:ff';

/** A frame of a local experimental EtherType (0x88b5) with a 46-byte payload. */
export function frame(dst: string, src: string, vlanId?: number): Buffer {
  return ethernetFrame({
    dst,
    src,
    etherType: 0x88b5,
    payload: Buffer.alloc(46, 0xab),
    ...(vlanId === undefined ? {} : { vlanId }),
  });
}

export function arpRequest(srcMac: string, senderIp: string, targetIp: string, vlanId?: number): Buffer {
  return ethernetFrame({
    dst: BCAST,
    src: srcMac,
    etherType: 0x0806,
    payload: arpPacket({ op: 1, senderMac: srcMac, senderIp, targetMac: '00:00:00:00:00:00', targetIp }),
    ...(vlanId === undefined ? {} : { vlanId }),
  });
}

export interface Snapshot {
  toLocal: boolean;
  toPeers: string[];
  drop: string | null;
  inject: Buffer[] | null;
}

/** Copies the (reused) decision object. */
export function snap(d: L2Decision): Snapshot {
  return { toLocal: d.toLocal, toPeers: [...d.toPeers].sort(), drop: d.drop, inject: d.inject };
}
