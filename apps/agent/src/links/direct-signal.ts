import { type KeyObject, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TokenBucket } from '@rtcmesh/limits';
import {
  canonicalJson,
  type SignalData,
  SignalDataSchema,
  signDomain,
  verifyDomain,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * Direct signaling: link signals sent agent to agent over UDP when the signaling server cannot carry
 * them (it is down, or the agent started from its cached network map before reaching it).
 *
 * Why UDP on a fixed port: a restarted agent has new ICE sockets and nothing of its old links; the
 * only things a peer can still reach it by are addresses both sides already knew. A fixed local port
 * keeps the same public mapping on a port-preserving NAT (Linux MASQUERADE, most home and branch
 * routers), and both sides sending to each other opens address-dependent filters: the same hole
 * punching ICE does, for a handful of datagrams. Every datagram is signed with the sender's node key
 * and checked against the key the network map holds for it, so a removed or unknown node, or anyone
 * on the path, can inject nothing: descriptions still carry their DTLS fingerprint signature
 * (link-auth.ts) and go through the same admission as relayed ones.
 *
 * Signals reach the link in the order they were sent (numbered per sender incarnation; a gap waits
 * REORDER_GAP_MS for its retransmit), and a signal made before the receiver started is acked but
 * not delivered: it was meant for the receiver's previous incarnation, and an offer answered by the
 * new one would cross the new one's own offer (both sides adopting the other's, neither finishing).
 *
 * Limits: a datagram is at most MAX_DATAGRAM_BYTES; signals wait for an ack at most
 * RETRANSMIT_DELAYS_MS (then the link's own retry sends anew); MAX_PENDING_PER_PEER unacked signals
 * per peer (the oldest is dropped); inbound datagrams beyond INBOUND_RATE are dropped before any
 * signature is checked. A replayed datagram is refused by its timestamp (MAX_CLOCK_SKEW_MS) and, inside
 * that window, by its (sender, boot, seq) among the last SEEN_KEPT.
 */
export const DIRECT_SIGNAL_DOMAIN = 'direct-signal';
export const DEFAULT_DIRECT_PORT = 41730;
export const MAX_DATAGRAM_BYTES = 16 * 1024;
export const MAX_CLOCK_SKEW_MS = 120_000;
const SEEN_KEPT = 4096;
const RETRANSMIT_DELAYS_MS = [250, 500, 1000, 2000, 4000];
const MAX_PENDING_PER_PEER = 64;
const MAX_ENDPOINTS_PER_PEER = 8;
const INBOUND_RATE = { pps: 500, burst: 200 };
/** A peer that sent us something lately is answered with a hello at most this often. */
const HELLO_BACK_MS = 1000;
/**
 * Signals are delivered in the order they were sent (a link's candidates mean nothing before its
 * description, and a retransmitted description can arrive after the candidates that followed it).
 * A gap is waited for this long (the sender retransmits for ~7.75 s), then skipped.
 */
const REORDER_GAP_MS = 4000;
const MAX_HELD_PER_PEER = 64;

/** Signals from one incarnation (boot) of a peer, released in order (null: dropped, skipped in order). */
interface InboundOrder {
  boot: string;
  next: number;
  held: Map<number, SignalData | null>;
  gapTimer: NodeJS.Timeout | undefined;
}

const IdSchema = z.string().min(1).max(128);

const BodySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello') }),
  z.object({ t: z.literal('ack'), seq: z.number().int().nonnegative() }),
  /**
   * `n`: this signal's number among the sender's signals to this receiver (per sender boot), for
   * ordering; `first`: the lowest number the sender still retransmits (a receiver that never heard
   * from this boot starts there); `at`: when the signal was made (epoch ms, the sender's clock).
   */
  z.object({
    t: z.literal('signal'),
    n: z.number().int().nonnegative(),
    first: z.number().int().nonnegative(),
    at: z.number().int(),
    data: SignalDataSchema,
  }),
]);
type Body = z.infer<typeof BodySchema>;

const EnvelopeSchema = z.object({
  v: z.literal(1),
  net: IdSchema,
  from: IdSchema,
  to: IdSchema,
  /** Random per agent process: tells a restarted peer from a replay of the old one. */
  boot: z.string().min(1).max(32),
  ts: z.number().int(),
  seq: z.number().int().nonnegative(),
  body: BodySchema,
  sig: z.string().min(1).max(256),
});
type Envelope = z.infer<typeof EnvelopeSchema>;

/** Where a peer may be reached: a host and port, and when we last had reason to believe it. */
export interface DirectEndpoint {
  host: string;
  port: number;
  at: number;
}

/** What the agent learned about reaching a peer directly; kept in the network map cache. */
export interface DirectHint {
  /** The peer's direct-signaling port (it said so over a link, or the default). */
  port: number;
  /** Addresses the peer was seen at: its public address, a link's remote address, its LAN addresses. */
  hosts: string[];
}

export const DirectHintSchema = z.object({
  port: z.number().int().min(1).max(65535),
  hosts: z
    .array(
      z
        .string()
        .max(64)
        .refine((h) => isIP(h) !== 0, 'not an IP address'),
    )
    .max(16),
});

export interface DirectSignalingOptions {
  selfId: string;
  networkId: string;
  /** UDP port to bind (0: any; tests). */
  port: number;
  privateKey: () => KeyObject;
  /** The node key of a peer the network map admits, or undefined (unknown, removed). */
  peerKey: (peerId: string) => string | undefined;
  onSignal: (from: string, data: SignalData) => void;
  /** A peer's agent restarted (new boot id). */
  onPeerRestart?: (peerId: string) => void;
  logger: Logger;
  now?: () => number;
}

interface PendingSignal {
  seq: number;
  n: number;
  at: number;
  data: SignalData;
  attempt: number;
  timer: NodeJS.Timeout;
}

export interface DirectSignalingCounters {
  sent: number;
  received: number;
  retransmits: number;
  acked: number;
  gaveUp: number;
  dropped: Record<string, number>;
}

export class DirectSignaling {
  private socket: Socket | undefined;
  private readonly boot = randomBytes(8).toString('hex');
  /** Signals made before this moment were meant for an earlier incarnation of this agent. */
  private readonly bootAt: number;
  private seq = 0;
  private readonly endpoints = new Map<string, DirectEndpoint[]>();
  private readonly hints = new Map<string, DirectHint>();
  private readonly pending = new Map<string, PendingSignal[]>();
  private readonly seen = new Set<string>();
  private readonly peerBoots = new Map<string, string>();
  private readonly lastHelloTo = new Map<string, number>();
  /** Per peer: the number of our next signal to it. */
  private readonly outboundN = new Map<string, number>();
  private readonly inboundOrder = new Map<string, InboundOrder>();
  /** Peers a signal was given up on (never acked); cleared by their next ack. */
  private readonly lost = new Set<string>();
  private readonly inbound: TokenBucket;
  private readonly now: () => number;
  readonly counters: DirectSignalingCounters = {
    sent: 0,
    received: 0,
    retransmits: 0,
    acked: 0,
    gaveUp: 0,
    dropped: {},
  };

  constructor(private readonly o: DirectSignalingOptions) {
    this.now = o.now ?? Date.now;
    this.bootAt = this.now();
    this.inbound = new TokenBucket(INBOUND_RATE, this.now());
  }

  /** Binds the UDP socket (both address families where the host has IPv6). */
  async listen(): Promise<number> {
    const socket = createSocket({ type: 'udp6', ipv6Only: false });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.on('error', (err) => this.o.logger.warn({ err: err.message }, 'direct signaling socket error'));
    try {
      await bind(socket, this.o.port, '::');
    } catch {
      // No IPv6 on this host (or in this namespace): IPv4 only.
      socket.close();
      const v4 = createSocket('udp4');
      v4.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
      v4.on('error', (err) => this.o.logger.warn({ err: err.message }, 'direct signaling socket error'));
      await bind(v4, this.o.port, '0.0.0.0');
      this.socket = v4;
      return v4.address().port;
    }
    this.socket = socket;
    return socket.address().port;
  }

  get port(): number | undefined {
    return this.socket?.address().port;
  }

  /** What the network map tells about a peer: its hosts and port; replaces the previous hint. */
  setHint(peerId: string, hint: DirectHint): void {
    const hosts = [...new Set(hint.hosts.filter((h) => isIP(h) !== 0))].slice(0, MAX_ENDPOINTS_PER_PEER);
    this.hints.set(peerId, { port: hint.port, hosts });
  }

  /** Adds hosts to a peer's hint (a link's remote address); the port stays. */
  addHintHosts(peerId: string, hosts: readonly string[], defaultPort: number): void {
    const h = this.hints.get(peerId) ?? { port: defaultPort, hosts: [] };
    this.setHint(peerId, { port: h.port, hosts: [...hosts, ...h.hosts] });
  }

  hint(peerId: string): DirectHint | undefined {
    const h = this.hints.get(peerId);
    if (!h) return undefined;
    // Where the peer actually answered from first: that one got through its NAT.
    const learned = (this.endpoints.get(peerId) ?? []).map((e) => e.host);
    return { port: h.port, hosts: [...new Set([...learned, ...h.hosts])].slice(0, MAX_ENDPOINTS_PER_PEER) };
  }

  /** Every peer's hint, for the network map cache. */
  allHints(): Map<string, DirectHint> {
    const out = new Map<string, DirectHint>();
    for (const id of new Set([...this.hints.keys(), ...this.endpoints.keys()])) {
      const h = this.hint(id);
      if (h) out.set(id, h);
    }
    return out;
  }

  forget(peerId: string): void {
    this.hints.delete(peerId);
    this.endpoints.delete(peerId);
    this.peerBoots.delete(peerId);
    this.lastHelloTo.delete(peerId);
    for (const p of this.pending.get(peerId) ?? []) clearTimeout(p.timer);
    this.pending.delete(peerId);
    this.outboundN.delete(peerId);
    this.lost.delete(peerId);
    clearTimeout(this.inboundOrder.get(peerId)?.gapTimer);
    this.inboundOrder.delete(peerId);
  }

  /** Sends a link signal; false when the peer has no known address. Retransmitted until acked. */
  send(to: string, data: SignalData): boolean {
    if (!this.socket || this.targets(to).length === 0) return false;
    const n = this.outboundN.get(to) ?? 0;
    const p: PendingSignal = {
      seq: this.seq++,
      n,
      at: this.now(),
      data,
      attempt: 0,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    const queue = this.pending.get(to) ?? [];
    if (this.signalDatagram(to, p, queue).length > MAX_DATAGRAM_BYTES) {
      this.drop('oversize-out');
      return false;
    }
    this.outboundN.set(to, n + 1);
    if (queue.length >= MAX_PENDING_PER_PEER) {
      const oldest = queue.shift();
      if (oldest) clearTimeout(oldest.timer);
      this.drop('pending-full');
    }
    p.timer = this.retransmitTimer(to, p);
    queue.push(p);
    this.pending.set(to, queue);
    this.transmit(to, this.signalDatagram(to, p, queue));
    return true;
  }

  /** Whether a signal to the peer may not have arrived: one still unacked, or one given up on. */
  mayHaveLost(peerId: string): boolean {
    return (this.pending.get(peerId)?.length ?? 0) > 0 || this.lost.has(peerId);
  }

  /** Sends a hello to each peer that is due one: `intervalMs` decides how often per peer. */
  hello(peerIds: Iterable<string>, intervalMs: number): void {
    const now = this.now();
    for (const id of peerIds) {
      if (now - (this.lastHelloTo.get(id) ?? Number.NEGATIVE_INFINITY) < intervalMs) continue;
      if (this.targets(id).length === 0) continue;
      this.lastHelloTo.set(id, now);
      this.transmit(id, this.encode(id, this.seq++, { t: 'hello' }));
    }
  }

  close(): void {
    for (const queue of this.pending.values()) for (const p of queue) clearTimeout(p.timer);
    this.pending.clear();
    for (const o of this.inboundOrder.values()) clearTimeout(o.gapTimer);
    this.inboundOrder.clear();
    this.socket?.close();
    this.socket = undefined;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private targets(peerId: string): DirectEndpoint[] {
    const out = new Map<string, DirectEndpoint>();
    for (const e of this.endpoints.get(peerId) ?? []) out.set(`${e.host}|${e.port}`, e);
    const h = this.hints.get(peerId);
    for (const host of h?.hosts ?? []) {
      const key = `${host}|${h!.port}`;
      if (!out.has(key)) out.set(key, { host, port: h!.port, at: 0 });
    }
    return [...out.values()].slice(0, MAX_ENDPOINTS_PER_PEER * 2);
  }

  private transmit(to: string, datagram: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    for (const e of this.targets(to)) {
      this.counters.sent++;
      socket.send(datagram, e.port, socketAddress(socket, e.host), (err) => {
        if (err) this.drop('send-error');
      });
    }
  }

  private retransmitTimer(to: string, p: PendingSignal): NodeJS.Timeout {
    const delay = RETRANSMIT_DELAYS_MS[p.attempt];
    const t = setTimeout(() => {
      if (delay === undefined || p.attempt >= RETRANSMIT_DELAYS_MS.length) return;
      p.attempt++;
      if (p.attempt >= RETRANSMIT_DELAYS_MS.length) {
        this.counters.gaveUp++;
        this.lost.add(to);
        this.removePending(to, p.seq);
        return;
      }
      this.counters.retransmits++;
      this.transmit(to, this.signalDatagram(to, p, this.pending.get(to) ?? []));
      p.timer = this.retransmitTimer(to, p);
    }, delay ?? 0);
    t.unref();
    return t;
  }

  /**
   * Encoded at each transmission: `first` moves as earlier signals are acked. The envelope's seq stays
   * the signal's, so the receiver still sees a retransmit as a duplicate.
   */
  private signalDatagram(to: string, p: PendingSignal, queue: readonly PendingSignal[]): Buffer {
    const first = Math.min(p.n, ...queue.map((q) => q.n));
    return this.encode(to, p.seq, { t: 'signal', n: p.n, first, at: p.at, data: p.data });
  }

  /** The peer restarted: what we were still retransmitting was meant for its previous incarnation. */
  private dropPendingTo(to: string): void {
    for (const p of this.pending.get(to) ?? []) clearTimeout(p.timer);
    this.pending.delete(to);
  }

  private removePending(to: string, seq: number): boolean {
    const queue = this.pending.get(to);
    const i = queue?.findIndex((p) => p.seq === seq) ?? -1;
    if (!queue || i < 0) return false;
    clearTimeout(queue[i]!.timer);
    queue.splice(i, 1);
    if (queue.length === 0) this.pending.delete(to);
    return true;
  }

  private encode(to: string, seq: number, body: Body): Buffer {
    const unsigned = {
      v: 1 as const,
      net: this.o.networkId,
      from: this.o.selfId,
      to,
      boot: this.boot,
      ts: this.now(),
      seq,
      body,
    };
    const sig = signDomain(this.o.privateKey(), DIRECT_SIGNAL_DOMAIN, canonicalJson(unsigned));
    return Buffer.from(JSON.stringify({ ...unsigned, sig }), 'utf8');
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const now = this.now();
    const env = this.admit(msg, rinfo, now);
    if (typeof env === 'string') {
      this.drop(env);
      return;
    }
    const id = `${env.from}|${env.boot}|${env.seq}`;
    this.remember(id);
    this.counters.received++;
    this.learn(env.from, rinfo, now);
    const previousBoot = this.peerBoots.get(env.from);
    this.peerBoots.set(env.from, env.boot);
    if (previousBoot !== undefined && previousBoot !== env.boot) {
      this.dropPendingTo(env.from);
      this.o.onPeerRestart?.(env.from);
    }
    switch (env.body.t) {
      case 'hello':
        if (now - (this.lastHelloTo.get(env.from) ?? Number.NEGATIVE_INFINITY) >= HELLO_BACK_MS) {
          this.lastHelloTo.set(env.from, now);
          this.reply(env.from, rinfo, { t: 'hello' });
        }
        return;
      case 'ack':
        if (this.removePending(env.from, env.body.seq)) this.counters.acked++;
        this.lost.delete(env.from);
        return;
      case 'signal':
        this.reply(env.from, rinfo, { t: 'ack', seq: env.seq });
        // Made before this agent started (a retransmit to our previous incarnation): its answer would
        // cross our own offer, so it is skipped, in order.
        if (env.body.at < this.bootAt) this.drop('before-restart');
        this.deliverInOrder(env.from, env.boot, env.body, env.body.at < this.bootAt ? null : env.body.data);
        return;
    }
  }

  /** The envelope if it may be handled, or why it is dropped (cheapest checks first). */
  private admit(msg: Buffer, rinfo: RemoteInfo, now: number): Envelope | string {
    if (!this.inbound.take(now)) return 'rate';
    if (msg.length > MAX_DATAGRAM_BYTES) return 'oversize';
    const env = parseEnvelope(msg);
    if (!env) return 'malformed';
    if (env.to !== this.o.selfId || env.net !== this.o.networkId) return 'not-for-us';
    const key = this.o.peerKey(env.from);
    if (!key) return 'unknown-peer';
    if (Math.abs(now - env.ts) > MAX_CLOCK_SKEW_MS) return 'stale';
    const { sig, ...unsigned } = env;
    if (!verifyDomain(key, DIRECT_SIGNAL_DOMAIN, canonicalJson(unsigned), sig)) return 'bad-signature';
    if (this.seen.has(`${env.from}|${env.boot}|${env.seq}`)) {
      // A retransmit of a signal whose ack was lost: ack again, deliver once.
      if (env.body.t === 'signal') this.reply(env.from, rinfo, { t: 'ack', seq: env.seq });
      return 'duplicate';
    }
    return env;
  }

  private deliverInOrder(
    from: string,
    boot: string,
    { n, first }: { n: number; first: number },
    data: SignalData | null,
  ): void {
    let o = this.inboundOrder.get(from);
    if (!o || o.boot !== boot) {
      // A sender we have not heard from in this incarnation: its signals below `first` are acked
      // (by whoever we were before) or abandoned.
      if (o) clearTimeout(o.gapTimer);
      o = { boot, next: first, held: new Map(), gapTimer: undefined };
      this.inboundOrder.set(from, o);
    }
    if (n < o.next) return; // delivered already (a skipped gap's straggler)
    o.held.set(n, data);
    this.release(from, o);
    if (o.held.size > MAX_HELD_PER_PEER) this.skipGap(from, o);
    else this.armGap(from, o);
  }

  /** Signals wait behind a gap: skip it if it is still there in REORDER_GAP_MS. */
  private armGap(from: string, o: InboundOrder): void {
    if (o.held.size === 0 || o.gapTimer) return;
    o.gapTimer = setTimeout(() => {
      o.gapTimer = undefined;
      if (this.inboundOrder.get(from) === o) this.skipGap(from, o);
    }, REORDER_GAP_MS);
    o.gapTimer.unref();
  }

  private release(from: string, o: InboundOrder): void {
    while (o.held.has(o.next)) {
      const data = o.held.get(o.next);
      o.held.delete(o.next);
      o.next++;
      if (data) this.o.onSignal(from, data);
    }
    if (o.held.size === 0 && o.gapTimer) {
      clearTimeout(o.gapTimer);
      o.gapTimer = undefined;
    }
  }

  /** The missing signal is not coming (the sender gave up): go on from the next one held. */
  private skipGap(from: string, o: InboundOrder): void {
    this.drop('gap-skipped');
    o.next = Math.min(...o.held.keys());
    this.release(from, o);
    this.armGap(from, o);
  }

  private reply(to: string, rinfo: RemoteInfo, body: Body): void {
    const socket = this.socket;
    if (!socket) return;
    this.counters.sent++;
    socket.send(this.encode(to, this.seq++, body), rinfo.port, rinfo.address, (err) => {
      if (err) this.drop('send-error');
    });
  }

  private learn(peerId: string, rinfo: RemoteInfo, now: number): void {
    const host = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    const list = (this.endpoints.get(peerId) ?? []).filter(
      (e) => !(e.host === host && e.port === rinfo.port),
    );
    list.unshift({ host, port: rinfo.port, at: now });
    this.endpoints.set(peerId, list.slice(0, MAX_ENDPOINTS_PER_PEER));
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_KEPT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private drop(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }
}

function parseEnvelope(msg: Buffer): Envelope | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(msg.toString('utf8'));
  } catch {
    return undefined;
  }
  const r = EnvelopeSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** A dual-stack socket sends to IPv4 hosts as IPv4-mapped addresses. */
function socketAddress(socket: Socket, host: string): string {
  return socket.address().family === 'IPv6' && isIP(host) === 4 ? `::ffff:${host}` : host;
}
