// Test and benchmark support: build and read the few frames the device tests exchange
// with the kernel (ARP, IPv4/UDP). Not exported from the package index.

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)));
}

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

export function ipv4Text(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4)).join('.');
}

/** RFC 1071 Internet checksum. */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  if (data.length % 2 === 1) sum += (data[data.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface ArpRequest {
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
}

/** An Ethernet ARP request (who-has), or undefined. */
export function parseArpRequest(frame: Uint8Array): ArpRequest | undefined {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 42 || b.readUInt16BE(12) !== 0x0806 || b.readUInt16BE(20) !== 1) return undefined;
  const senderMac = Array.from(b.subarray(22, 28), (x) => x.toString(16).padStart(2, '0')).join(':');
  return { senderMac, senderIp: ipv4Text(b.subarray(28, 32)), targetIp: ipv4Text(b.subarray(38, 42)) };
}

/** The ARP reply `ip is-at mac` to a request. */
export function arpReply(req: ArpRequest, mac: string): Buffer {
  const f = Buffer.alloc(42);
  macBytes(req.senderMac).copy(f, 0);
  macBytes(mac).copy(f, 6);
  f.writeUInt16BE(0x0806, 12);
  f.writeUInt16BE(1, 14); // Ethernet
  f.writeUInt16BE(0x0800, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(2, 20); // reply
  macBytes(mac).copy(f, 22);
  ipv4Bytes(req.targetIp).copy(f, 28);
  macBytes(req.senderMac).copy(f, 32);
  ipv4Bytes(req.senderIp).copy(f, 38);
  return f;
}

export interface UdpDatagram {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

/** An IPv4/UDP packet (no options check beyond IHL), or undefined. */
export function parseUdp4(packet: Uint8Array): UdpDatagram | undefined {
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (b.length < 28 || b[0] === undefined || b[0] >> 4 !== 4 || b[9] !== 17) return undefined;
  const ihl = (b[0] & 0x0f) * 4;
  const total = b.readUInt16BE(2);
  if (ihl < 20 || total > b.length || total < ihl + 8) return undefined;
  return {
    src: ipv4Text(b.subarray(12, 16)),
    dst: ipv4Text(b.subarray(16, 20)),
    srcPort: b.readUInt16BE(ihl),
    dstPort: b.readUInt16BE(ihl + 2),
    payload: Buffer.from(b.subarray(ihl + 8, total)),
  };
}

/** An IPv4/UDP packet with correct IP checksum (UDP checksum 0 = none, valid for IPv4). */
export function udp4Packet(d: UdpDatagram): Buffer {
  const p = Buffer.alloc(28 + d.payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64;
  p[9] = 17;
  ipv4Bytes(d.src).copy(p, 12);
  ipv4Bytes(d.dst).copy(p, 16);
  p.writeUInt16BE(internetChecksum(p.subarray(0, 20)), 10);
  p.writeUInt16BE(d.srcPort, 20);
  p.writeUInt16BE(d.dstPort, 22);
  p.writeUInt16BE(8 + d.payload.length, 24);
  d.payload.copy(p, 28);
  return p;
}

export function ethernetFrame(
  dstMac: string,
  srcMac: string,
  etherType: number,
  payload: Uint8Array,
): Buffer {
  const f = Buffer.alloc(14 + payload.length);
  macBytes(dstMac).copy(f, 0);
  macBytes(srcMac).copy(f, 6);
  f.writeUInt16BE(etherType, 12);
  f.set(payload, 14);
  return f;
}

/** Source MAC of an Ethernet frame. */
export function ethernetSource(frame: Uint8Array): string {
  return Array.from(frame.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
}
