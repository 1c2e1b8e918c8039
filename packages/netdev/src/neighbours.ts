import { readFileSync } from 'node:fs';
import { NetDevInvalidArgumentError } from './errors.js';
import { loadNativeAddon, type NativeDeviceHandle } from './native.js';
import { validateInterfaceName } from './validate.js';

/**
 * The kernel's neighbour table (ARP, NDP) over rtnetlink: a dump of what is there, then every
 * RTM_NEWNEIGH / RTM_DELNEIGH as it happens, and the two requests the agent makes of it (probe an
 * entry, forget one). No polling of `ip neigh`: the socket is read on the event loop like a TUN.
 *
 * Messages are parsed here rather than by a library: the npm `netlink` package is unmaintained
 * (2021, @types/node 12 as a runtime dependency) and we need three message types.
 */

const NETLINK_ROUTE = 0;
const RTMGRP_NEIGH = 0x4;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_NEWNEIGH = 28;
const RTM_DELNEIGH = 29;
const RTM_GETNEIGH = 30;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_REPLACE = 0x100;
const NLM_F_DUMP = 0x300;
const AF_INET = 2;
const AF_INET6 = 10;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const NLMSG_HDRLEN = 16;
const NDMSG_LEN = 12;
const ENOBUFS = 105;

/** NUD_* states (linux/neighbour.h). */
export const NUD = {
  INCOMPLETE: 0x01,
  REACHABLE: 0x02,
  STALE: 0x04,
  DELAY: 0x08,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
} as const;

export type NeighbourState =
  | 'incomplete'
  | 'reachable'
  | 'stale'
  | 'delay'
  | 'probe'
  | 'failed'
  | 'noarp'
  | 'permanent'
  | 'none';

function stateName(nud: number): NeighbourState {
  if (nud & NUD.PERMANENT) return 'permanent';
  if (nud & NUD.NOARP) return 'noarp';
  if (nud & NUD.REACHABLE) return 'reachable';
  if (nud & NUD.DELAY) return 'delay';
  if (nud & NUD.PROBE) return 'probe';
  if (nud & NUD.STALE) return 'stale';
  if (nud & NUD.FAILED) return 'failed';
  if (nud & NUD.INCOMPLETE) return 'incomplete';
  return 'none';
}

/** States in which the kernel has a link-layer address for the neighbour. */
export function hasLinkAddress(state: NeighbourState): boolean {
  return state !== 'incomplete' && state !== 'failed' && state !== 'none';
}

export interface NeighbourEvent {
  /** `new`: added or changed; `del`: removed from the table. */
  readonly kind: 'new' | 'del';
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly ip: string;
  /** Lowercase `aa:bb:…`, or null while unresolved. */
  readonly mac: string | null;
  readonly state: NeighbourState;
  /** Part of the answer to a dump (not a change that just happened). */
  readonly dump: boolean;
}

export type NetlinkMessage =
  | { type: 'neighbour'; event: NeighbourEvent }
  | { type: 'done' }
  | { type: 'error'; errno: number };

function formatIp(b: Buffer, family: 4 | 6): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  // Canonical form (RFC 5952): the longest run of zero words becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Parses what one read of a NETLINK_ROUTE socket returned. Malformed or truncated messages end the
 * parse (the rest of the datagram cannot be trusted); messages of other types are skipped.
 */
export function parseNetlinkMessages(buf: Buffer): { messages: NetlinkMessage[]; malformed: boolean } {
  const messages: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    const type = buf.readUInt16LE(off + 4);
    const flags = buf.readUInt16LE(off + 6);
    if (len < NLMSG_HDRLEN || off + len > buf.length) return { messages, malformed: true };
    const body = buf.subarray(off + NLMSG_HDRLEN, off + len);
    off += (len + 3) & ~3;
    if (type === NLMSG_DONE) {
      messages.push({ type: 'done' });
      continue;
    }
    if (type === NLMSG_ERROR) {
      if (body.length < 4) return { messages, malformed: true };
      const err = -body.readInt32LE(0);
      if (err !== 0) messages.push({ type: 'error', errno: err });
      continue;
    }
    if (type !== RTM_NEWNEIGH && type !== RTM_DELNEIGH) continue;
    if (body.length < NDMSG_LEN) return { messages, malformed: true };
    const fam = body[0];
    if (fam !== AF_INET && fam !== AF_INET6) continue; // bridge FDB entries and the like
    const family = fam === AF_INET ? 4 : 6;
    const ifindex = body.readInt32LE(4);
    const nud = body.readUInt16LE(8);
    let ip: string | null = null;
    let mac: string | null = null;
    let a = NDMSG_LEN;
    while (a + 4 <= body.length) {
      const alen = body.readUInt16LE(a);
      const atype = body.readUInt16LE(a + 2) & 0x3fff;
      if (alen < 4 || a + alen > body.length) return { messages, malformed: true };
      const value = body.subarray(a + 4, a + alen);
      if (atype === NDA_DST && value.length === (family === 4 ? 4 : 16)) ip = formatIp(value, family);
      else if (atype === NDA_LLADDR && value.length === 6) mac = formatMac(value);
      a += (alen + 3) & ~3;
    }
    if (ip === null || ifindex <= 0) continue;
    messages.push({
      type: 'neighbour',
      event: {
        kind: type === RTM_NEWNEIGH ? 'new' : 'del',
        family,
        ifindex,
        ip,
        mac,
        state: stateName(nud),
        dump: (flags & NLM_F_MULTI) !== 0,
      },
    });
  }
  return { messages, malformed: off < buf.length && buf.length - off >= NLMSG_HDRLEN };
}

function parseIpv4(ip: string): Buffer {
  const parts = ip.split('.');
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b >= 0 && b <= 255)))
    throw new NetDevInvalidArgumentError(`not an IPv4 address: ${ip}`);
  return Buffer.from(bytes);
}

function parseMac(mac: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac))
    throw new NetDevInvalidArgumentError(`not a MAC address: ${mac}`);
  return Buffer.from(mac.split(':').map((x) => Number.parseInt(x, 16)));
}

function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, 4);
  return out;
}

/** One rtnetlink neighbour request (IPv4). */
export function buildNeighbourRequest(
  req:
    | { op: 'dump'; seq: number }
    | { op: 'probe'; seq: number; ifindex: number; ip: string; mac: string }
    | { op: 'delete'; seq: number; ifindex: number; ip: string },
): Buffer {
  const nd = Buffer.alloc(NDMSG_LEN);
  nd[0] = AF_INET;
  const attrs: Buffer[] = [];
  let type = RTM_GETNEIGH;
  let flags = NLM_F_REQUEST | NLM_F_DUMP;
  if (req.op !== 'dump') {
    nd.writeInt32LE(req.ifindex, 4);
    attrs.push(attr(NDA_DST, parseIpv4(req.ip)));
    if (req.op === 'probe') {
      // NUD_PROBE set from user space makes the kernel send unicast ARP probes now: the entry ends
      // REACHABLE if the host answers, FAILED if it does not. A kernel that refuses it answers with
      // an error; the caller's probe then times out (treated as no answer).
      nd.writeUInt16LE(NUD.PROBE, 8);
      attrs.push(attr(NDA_LLADDR, parseMac(req.mac)));
      type = RTM_NEWNEIGH;
      flags = NLM_F_REQUEST | NLM_F_REPLACE;
    } else {
      type = RTM_DELNEIGH;
      flags = NLM_F_REQUEST;
    }
  }
  const body = Buffer.concat([nd, ...attrs]);
  const hdr = Buffer.alloc(NLMSG_HDRLEN);
  hdr.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  hdr.writeUInt16LE(type, 4);
  hdr.writeUInt16LE(flags, 6);
  hdr.writeUInt32LE(req.seq >>> 0, 8);
  return Buffer.concat([hdr, body]);
}

/** The kernel's index of an interface, or undefined when there is none by that name. */
export function interfaceIndex(name: string): number | undefined {
  validateInterfaceName(name);
  try {
    const n = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface NeighbourMonitorHandlers {
  onEvent: (e: NeighbourEvent) => void;
  /** A request failed, the socket overflowed (a dump follows), or a datagram was malformed. */
  onProblem?: (message: string) => void;
}

/**
 * Subscribes to the kernel's neighbour changes; dump() then shows the table as it is (changes that
 * happen meanwhile arrive as events too). When the socket's buffer overflows (ENOBUFS: events were
 * lost) it dumps again rather than trust a table with holes.
 */
export class NeighbourMonitor {
  private seq = 1;
  private dumping = false;
  private dumpAgain = false;
  private closed = false;
  /** Callers of dump() waiting for the table to have been read. */
  private waiting: Array<() => void> = [];

  private constructor(
    private readonly handle: NativeDeviceHandle,
    private readonly h: NeighbourMonitorHandlers,
  ) {}

  static open(h: NeighbourMonitorHandlers): NeighbourMonitor {
    const addon = loadNativeAddon();
    const fd = addon.openNetlink(NETLINK_ROUTE, RTMGRP_NEIGH);
    let monitor: NeighbourMonitor | undefined;
    const handle = new addon.NativeDevice(
      fd,
      65536,
      64,
      (datagrams) => monitor?.receive(datagrams),
      () => undefined,
      (code, errno) => monitor?.readFailed(code, errno),
    );
    monitor = new NeighbourMonitor(handle, h);
    handle.setReading(true);
    return monitor;
  }

  /**
   * Asks for the whole table (IPv4); answers arrive as events with `dump: true`. Resolves once they
   * all have (or the request failed, or the socket closed).
   */
  dump(): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) this.release();
    else if (this.dumping) this.dumpAgain = true;
    else {
      this.dumping = true;
      this.send(buildNeighbourRequest({ op: 'dump', seq: this.seq++ }));
    }
    return done;
  }

  /** Makes the kernel probe an entry now (unicast ARP to its last address). */
  probe(ifindex: number, ip: string, mac: string): void {
    this.send(buildNeighbourRequest({ op: 'probe', seq: this.seq++, ifindex, ip, mac }));
  }

  /** Removes an entry (a host that left this site). */
  forget(ifindex: number, ip: string): void {
    this.send(buildNeighbourRequest({ op: 'delete', seq: this.seq++, ifindex, ip }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    this.release();
  }

  private release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private send(msg: Buffer): void {
    if (this.closed) return;
    const n = this.handle.write(msg);
    if (n < 0) this.h.onProblem?.(`netlink request failed: ${loadNativeAddon().errnoName(-n)}`);
  }

  private receive(datagrams: Buffer[]): void {
    for (const d of datagrams) {
      const { messages, malformed } = parseNetlinkMessages(d);
      if (malformed) this.h.onProblem?.('malformed netlink datagram ignored');
      for (const m of messages) {
        if (m.type === 'neighbour') this.h.onEvent(m.event);
        else if (m.type === 'done') this.dumpDone();
        else {
          this.h.onProblem?.(`netlink request refused: ${loadNativeAddon().errnoName(m.errno)}`);
          if (this.dumping) this.dumpDone();
        }
      }
    }
  }

  private dumpDone(): void {
    this.dumping = false;
    if (this.dumpAgain) {
      this.dumpAgain = false;
      this.dumping = true;
      this.send(buildNeighbourRequest({ op: 'dump', seq: this.seq++ }));
      return;
    }
    this.release();
  }

  private readFailed(code: string, errno: number): void {
    if (this.closed) return;
    if (errno === ENOBUFS) {
      this.h.onProblem?.('neighbour events were lost (socket buffer full): reading the table again');
      this.handle.setReading(true);
      this.dumping = false;
      void this.dump();
      return;
    }
    this.h.onProblem?.(`neighbour socket failed: ${code}; reading again in 1 s`);
    setTimeout(() => {
      if (this.closed) return;
      this.handle.setReading(true);
      void this.dump();
    }, 1000).unref();
  }
}
