import { type KeyObject, randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import type { SignalData } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { DirectAddressBook } from './direct-addresses.js';
import type { DirectHint } from './direct-hint.js';
import { InboundOrder } from './direct-inbound-order.js';
import { DirectOutbox } from './direct-outbox.js';
import { ReplayGuard } from './direct-replay.js';
import { DirectSocket } from './direct-socket.js';
import { type Body, decodeDatagram, type Envelope, encodeDatagram, verifyEnvelope } from './direct-wire.js';

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
 * REORDER_GAP_MS for its retransmit: direct-inbound-order.ts), and a signal made before the receiver
 * started is acked but not delivered: it was meant for the receiver's previous incarnation, and an
 * offer answered by the new one would cross the new one's own offer (both sides adopting the other's,
 * neither finishing).
 *
 * Limits: a datagram is at most MAX_DATAGRAM_BYTES (direct-wire.ts); signals wait for an ack at most
 * RETRANSMIT_DELAYS_MS (then the link's own retry sends anew); MAX_PENDING_PER_PEER unacked signals
 * per peer (the oldest is dropped; both direct-outbox.ts); inbound datagrams beyond INBOUND_RATE are
 * dropped before any signature is checked (direct-socket.ts). A replayed datagram is refused by its
 * timestamp (MAX_CLOCK_SKEW_MS) and, inside that window, by its (sender, boot, seq) among the last
 * SEEN_KEPT (direct-replay.ts). Where each peer may be reached: direct-addresses.ts.
 */
export const DEFAULT_DIRECT_PORT = 41730;
/** A peer that sent us something lately is answered with a hello at most this often. */
const HELLO_BACK_MS = 1000;

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

export interface DirectSignalingCounters {
  sent: number;
  received: number;
  retransmits: number;
  acked: number;
  gaveUp: number;
  dropped: Record<string, number>;
}

export class DirectSignaling {
  private socket: DirectSocket | undefined;
  private readonly boot = randomBytes(8).toString('hex');
  /** Signals made before this moment were meant for an earlier incarnation of this agent. */
  private readonly bootAt: number;
  private seq = 0;
  private readonly addresses = new DirectAddressBook();
  private readonly outbox: DirectOutbox;
  private readonly order: InboundOrder;
  private readonly replay = new ReplayGuard();
  private readonly peerBoots = new Map<string, string>();
  private readonly lastHelloTo = new Map<string, number>();
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
    this.outbox = new DirectOutbox({
      now: this.now,
      nextSeq: () => this.seq++,
      encode: (to, seq, body) => this.encode(to, seq, body),
      transmit: (to, datagram) => this.transmit(to, datagram),
      drop: (reason) => this.drop(reason),
      counters: this.counters,
    });
    this.order = new InboundOrder({ deliver: o.onSignal, drop: (reason) => this.drop(reason) });
  }

  /** Binds the UDP socket (both address families where the host has IPv6). */
  async listen(): Promise<number> {
    this.socket = await DirectSocket.listen({
      port: this.o.port,
      onDatagram: (msg, rinfo) => this.onDatagram(msg, rinfo),
      onDrop: (reason) => this.drop(reason),
      logger: this.o.logger,
      now: this.now,
    });
    return this.socket.port;
  }

  get port(): number | undefined {
    return this.socket?.port;
  }

  /** What the network map tells about a peer: its hosts and port; replaces the previous hint. */
  setHint(peerId: string, hint: DirectHint): void {
    this.addresses.setHint(peerId, hint);
  }

  /** Adds hosts to a peer's hint (a link's remote address); the port stays. */
  addHintHosts(peerId: string, hosts: readonly string[], defaultPort: number): void {
    this.addresses.addHintHosts(peerId, hosts, defaultPort);
  }

  hint(peerId: string): DirectHint | undefined {
    return this.addresses.hint(peerId);
  }

  /** Every peer's hint, for the network map cache. */
  allHints(): Map<string, DirectHint> {
    return this.addresses.allHints();
  }

  forget(peerId: string): void {
    this.addresses.forget(peerId);
    this.peerBoots.delete(peerId);
    this.lastHelloTo.delete(peerId);
    this.outbox.forget(peerId);
    this.order.forget(peerId);
  }

  /** Sends a link signal; false when the peer has no known address. Retransmitted until acked. */
  send(to: string, data: SignalData): boolean {
    if (!this.socket || this.addresses.targets(to).length === 0) return false;
    return this.outbox.send(to, data);
  }

  /** Whether a signal to the peer may not have arrived: one still unacked, or one given up on. */
  mayHaveLost(peerId: string): boolean {
    return this.outbox.mayHaveLost(peerId);
  }

  /** Sends a hello to each peer that is due one: `intervalMs` decides how often per peer. */
  hello(peerIds: Iterable<string>, intervalMs: number): void {
    const now = this.now();
    for (const id of peerIds) {
      if (now - (this.lastHelloTo.get(id) ?? Number.NEGATIVE_INFINITY) < intervalMs) continue;
      if (this.addresses.targets(id).length === 0) continue;
      this.lastHelloTo.set(id, now);
      this.transmit(id, this.encode(id, this.seq++, { t: 'hello' }));
    }
  }

  close(): void {
    this.outbox.close();
    this.order.close();
    this.socket?.close();
    this.socket = undefined;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private transmit(to: string, datagram: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    for (const e of this.addresses.targets(to)) {
      this.counters.sent++;
      socket.send(datagram, e.port, e.host);
    }
  }

  private encode(to: string, seq: number, body: Body): Buffer {
    return encodeDatagram(this.o.privateKey(), {
      net: this.o.networkId,
      from: this.o.selfId,
      to,
      boot: this.boot,
      ts: this.now(),
      seq,
      body,
    });
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const now = this.now();
    const env = this.admit(msg, rinfo, now);
    if (typeof env === 'string') {
      this.drop(env);
      return;
    }
    this.replay.remember(env);
    this.counters.received++;
    this.addresses.learn(env.from, rinfo, now);
    const previousBoot = this.peerBoots.get(env.from);
    this.peerBoots.set(env.from, env.boot);
    if (previousBoot !== undefined && previousBoot !== env.boot) {
      this.outbox.dropPending(env.from);
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
        if (this.outbox.ack(env.from, env.body.seq)) this.counters.acked++;
        return;
      case 'signal':
        this.reply(env.from, rinfo, { t: 'ack', seq: env.seq });
        // Made before this agent started (a retransmit to our previous incarnation): its answer would
        // cross our own offer, so it is skipped, in order.
        if (env.body.at < this.bootAt) this.drop('before-restart');
        this.order.accept(env.from, env.boot, env.body, env.body.at < this.bootAt ? null : env.body.data);
        return;
    }
  }

  /**
   * The envelope if it may be handled, or why it is dropped (cheapest checks first; the inbound rate
   * was checked by the socket).
   */
  private admit(msg: Buffer, rinfo: RemoteInfo, now: number): Envelope | string {
    const env = decodeDatagram(msg);
    if (typeof env === 'string') return env;
    if (env.to !== this.o.selfId || env.net !== this.o.networkId) return 'not-for-us';
    const key = this.o.peerKey(env.from);
    if (!key) return 'unknown-peer';
    if (this.replay.stale(env.ts, now)) return 'stale';
    if (!verifyEnvelope(env, key)) return 'bad-signature';
    if (this.replay.has(env)) {
      // A retransmit of a signal whose ack was lost: ack again, deliver once.
      if (env.body.t === 'signal') this.reply(env.from, rinfo, { t: 'ack', seq: env.seq });
      return 'duplicate';
    }
    return env;
  }

  private reply(to: string, rinfo: RemoteInfo, body: Body): void {
    const socket = this.socket;
    if (!socket) return;
    this.counters.sent++;
    socket.send(this.encode(to, this.seq++, body), rinfo.port, rinfo.address);
  }

  private drop(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }
}
