import { EventEmitter } from 'node:events';
import { type RateLimit, TokenBucket } from '@rtcmesh/limits';
import { type MacNumber, macAt, macToString } from '../addr/mac.js';
import { u16 } from '../bytes.js';
import { DEFAULT_MSS, MssClamper } from '../mss-clamp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, etherTypeOffset } from '../parse/ethernet.js';
import { PROTO_ICMPV6, PROTO_UDP } from '../parse/ipv4.js';
import { checkPeerId, LOCAL_PORT, type PeerId, type PortId } from '../ports.js';
import { type Binding, BindingStore, LocalBinding, type SetRemoteResult } from './bindings.js';
import { DhcpGuard } from './dhcp-guard.js';
import {
  L2_DROP_REASONS,
  type L2Counters,
  type L2Decision,
  type L2DropReason,
  type L2SwitchEvents,
  type L2SwitchOptions,
} from './l2-switch-types.js';
import { Learn, type MacEntry, MacTable } from './mac-table.js';
import { NeighborSuppression } from './neighbor-suppression.js';

export * from './l2-switch-types.js';

const EMPTY: readonly PeerId[] = Object.freeze([]);

class PortState {
  dropsSinceEvent = 0;
  lastEvent = Number.NEGATIVE_INFINITY;
  constructor(public bucket: TokenBucket | null) {}
}

/**
 * Learning switch for a stretched L2 segment. Ports: 'local' (the TAP device) and one per peer.
 * Split horizon: a frame from a peer only ever goes to 'local' (the mesh is full, so relaying between
 * peers would only make loops). VLAN tags are carried through; learning is shared across VLANs (one MAC
 * table), and suppression replies carry the request's tags.
 */
export class L2Switch extends EventEmitter<L2SwitchEvents> {
  readonly macs: MacTable;
  readonly bindings: BindingStore;
  readonly counters: L2Counters;
  readonly #opts: {
    -readonly [K in keyof Required<
      Omit<L2SwitchOptions, 'macTable' | 'storm' | 'mss' | 'maxBindingsPerPeer'>
    >]: Required<L2SwitchOptions>[K];
  };
  #storm: RateLimit | false;
  readonly #clamper: MssClamper | null;
  readonly #ports = new Map<PortId, PortState>();
  #allPeers: readonly PeerId[] = EMPTY;
  readonly #single = new Map<PeerId, readonly PeerId[]>();
  /** ARP/ND: addresses learned from the device, requests for remote ones answered here. */
  readonly #neighbors: NeighborSuppression;
  /** DHCP: leases learned from the device's server, DHCP kept on its own site when asked. */
  readonly #dhcp: DhcpGuard;
  readonly #d: L2Decision = {
    toLocal: false,
    toPeers: EMPTY,
    frame: Buffer.alloc(0),
    drop: null,
    inject: null,
  };

  constructor(opts: L2SwitchOptions = {}) {
    super();
    this.#opts = {
      stormNotifyIntervalMs: opts.stormNotifyIntervalMs ?? 10_000,
      dropBpdu: opts.dropBpdu ?? true,
      blockDhcp: opts.blockDhcp ?? false,
      suppressArp: opts.suppressArp ?? true,
      suppressNd: opts.suppressNd ?? true,
    };
    this.#storm = opts.storm ?? { pps: 1000, burst: 2000 };
    const mss = opts.mss ?? DEFAULT_MSS;
    this.#clamper = mss === false ? null : new MssClamper(mss);
    this.macs = new MacTable(opts.macTable, (mac, e) => this.#onExpire(mac, e));
    this.bindings = new BindingStore(opts.maxBindingsPerPeer);
    const sink = {
      learnV4: (mac: MacNumber, ip: number, nowMs: number) => this.#learnLocalV4(mac, ip, nowMs),
      learnV6: (mac: MacNumber, key: string, nowMs: number) => this.#learnLocalV6(mac, key, nowMs),
    };
    this.#neighbors = new NeighborSuppression(this.bindings, sink, this.#opts);
    // The same options object: configure() changes blockDhcp for the guard too.
    this.#dhcp = new DhcpGuard(sink, this.#opts);
    const drops = {} as Record<L2DropReason, number>;
    for (const r of L2_DROP_REASONS) drops[r] = 0;
    this.counters = {
      frames: 0,
      toLocal: 0,
      unicastToPeer: 0,
      flooded: 0,
      mssClamped: 0,
      seqConflicts: 0,
      macsFlushed: 0,
      drops,
    };
    this.#ports.set(LOCAL_PORT, this.#newPortState());
  }

  /** Peers currently attached (shared array). */
  /**
   * Changes storm control and DHCP filtering while the switch runs (an admin's network settings).
   * Every port starts a fresh budget at the new rate.
   */
  configure(o: { storm?: RateLimit | false; blockDhcp?: boolean }): void {
    if (o.blockDhcp !== undefined) this.#opts.blockDhcp = o.blockDhcp;
    if (o.storm !== undefined) {
      this.#storm = o.storm;
      for (const port of this.#ports.values())
        port.bucket = o.storm === false ? null : new TokenBucket(o.storm, 0);
    }
  }

  get peers(): readonly PeerId[] {
    return this.#allPeers;
  }

  /** True for a peer that was added and not removed (the forwarder's check for a frame's sender). */
  hasPeer(id: PeerId): boolean {
    return id !== LOCAL_PORT && this.#ports.has(id);
  }

  addPeer(id: PeerId): void {
    checkPeerId(id);
    if (this.#ports.has(id)) return;
    this.#ports.set(id, this.#newPortState());
    this.#single.set(id, Object.freeze([id]));
    this.#allPeers = Object.freeze([...this.#allPeers, id]);
  }

  /** The peer's link went down: the MACs learned behind it are forgotten (see MacTable.flushLearned). */
  linkDown(id: PeerId): number {
    if (id === LOCAL_PORT || !this.#ports.has(id)) return 0;
    const n = this.macs.flushLearned(id);
    this.counters.macsFlushed += n;
    return n;
  }

  /** Detaches a peer: its MACs, remote bindings and port state are flushed. */
  removePeer(id: PeerId, nowMs = 0): void {
    if (id === LOCAL_PORT || !this.#ports.has(id)) return;
    this.setRemoteBindings(id, [], nowMs);
    this.macs.flushPort(id);
    this.#ports.delete(id);
    this.#single.delete(id);
    this.#allPeers = Object.freeze(this.#allPeers.filter((p) => p !== id));
  }

  /**
   * Replaces the bindings `peer` advertises (control plane). They feed ARP/ND suppression and install
   * MAC entries so frames to those MACs are not flooded. Between peers the highest seq wins; against a
   * MAC held locally, a higher remote seq means the MAC moved away (local binding withdrawn), an equal
   * or lower one is ignored.
   */
  setRemoteBindings(peer: PeerId, bindings: readonly Binding[], nowMs = 0): SetRemoteResult {
    if (!this.#ports.has(peer) || peer === LOCAL_PORT) {
      throw new Error(`setRemoteBindings: ${JSON.stringify(peer)} is not an added peer`);
    }
    const res = this.bindings.setRemote(peer, bindings);
    for (const { mac, winner } of res.changed) {
      const e = this.macs.peek(mac);
      if (winner === null) {
        if (e?.advertised) this.macs.delete(mac);
        continue;
      }
      if (
        e !== undefined &&
        e.port === LOCAL_PORT &&
        !e.advertised &&
        this.macs.get(mac, nowMs) !== undefined
      ) {
        const local = this.bindings.local.get(mac);
        const localSeq = local?.seq ?? e.seq;
        if (winner.seq < localSeq) continue;
        if (winner.seq === localSeq) {
          this.counters.seqConflicts++;
          continue;
        }
        // The MAC now lives at the peer's site.
        if (this.bindings.removeLocal(mac)) {
          this.emit('binding-withdrawn', { mac: macToString(mac), reason: 'moved' });
        }
        this.emit('mac-moved', { mac: macToString(mac), from: LOCAL_PORT, to: winner.peer });
      }
      this.macs.advertise(mac, winner.peer, winner.seq, nowMs);
    }
    return res;
  }

  /** Current local bindings (for a full re-advertisement). */
  localBindings(): Binding[] {
    const out: Binding[] = [];
    for (const mac of this.bindings.local.keys()) out.push(this.bindings.localBinding(mac)!);
    return out;
  }

  /** Expires aged MAC entries (and their local bindings). Call every few seconds. */
  sweep(nowMs: number): number {
    return this.macs.sweep(nowMs);
  }

  process(ingress: PortId, frame: Buffer, nowMs: number): L2Decision {
    const d = this.#d;
    d.toLocal = false;
    d.toPeers = EMPTY;
    d.frame = frame;
    d.drop = null;
    d.inject = null;
    this.counters.frames++;
    const port = this.#ports.get(ingress);
    if (port === undefined) return this.#drop('unknown-port');
    const typeOff = etherTypeOffset(frame);
    if (typeOff < 0) return this.#drop('malformed');
    if ((frame[6]! & 1) === 1) return this.#drop('bad-source');
    const group = (frame[0]! & 1) === 1;
    // 01:80:c2:00:00:0X
    if (
      group &&
      frame[0] === 0x01 &&
      frame[1] === 0x80 &&
      frame[2] === 0xc2 &&
      u16(frame, 3) === 0 &&
      frame[5]! < 16
    ) {
      if (frame[5] === 0) {
        if (this.#opts.dropBpdu) return this.#drop('bpdu');
      } else {
        return this.#drop('link-local-group');
      }
    }
    const fromLocal = ingress === LOCAL_PORT;
    const etherType = u16(frame, typeOff);
    const ipOff = typeOff + 2;

    // Learn the source.
    const src = macAt(frame, 6);
    const learned = this.macs.learn(src, ingress, nowMs);
    if (learned !== Learn.Refreshed && this.#onLearn(src, ingress, learned)) {
      return this.#drop('mac-hold-down');
    }

    // Per-protocol work: DHCP block, binding learning, MSS clamp.
    let suppressible = false;
    if (etherType === ETHERTYPE_IPV4) {
      if (
        frame.length >= ipOff + 20 &&
        frame[ipOff + 9] === PROTO_UDP &&
        this.#dhcp.udpIpv4(frame, ipOff, fromLocal, nowMs)
      ) {
        return this.#drop('dhcp-blocked');
      }
    } else if (etherType === ETHERTYPE_IPV6) {
      if (frame.length >= ipOff + 40) {
        const nh = frame[ipOff + 6];
        if (nh === PROTO_ICMPV6 && fromLocal) suppressible = this.#neighbors.ndLearn(frame, typeOff, nowMs);
        else if (this.#dhcp.blocksIpv6(frame, ipOff)) return this.#drop('dhcp-blocked');
      }
    } else if (etherType === ETHERTYPE_ARP && fromLocal) {
      suppressible = this.#neighbors.arpLearn(frame, typeOff, nowMs);
    }
    if (this.#clamper !== null && (etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6)) {
      if (this.#clamper.clampIp(frame, ipOff, frame.length)) this.counters.mssClamped++;
    }

    // Forward.
    if (!group) {
      const e = this.macs.get(macAt(frame, 0), nowMs);
      if (e !== undefined) {
        if (e.port === ingress) return this.#drop('same-port');
        if (e.port === LOCAL_PORT) {
          d.toLocal = true;
          this.counters.toLocal++;
          return d;
        }
        if (!fromLocal) return this.#drop('split-horizon');
        d.toPeers = this.#single.get(e.port) ?? EMPTY;
        this.counters.unicastToPeer++;
        return d;
      }
    }
    // Broadcast, multicast, unknown unicast.
    if (port.bucket !== null && !port.bucket.take(nowMs)) {
      this.#stormDrop(ingress, port, nowMs);
      return this.#drop('storm');
    }
    if (suppressible) {
      const reply =
        etherType === ETHERTYPE_ARP
          ? this.#neighbors.arpAnswer(frame, typeOff)
          : this.#neighbors.ndAnswer(frame, typeOff);
      if (reply !== null) {
        d.inject = [reply];
        return this.#drop(etherType === ETHERTYPE_ARP ? 'arp-suppressed' : 'nd-suppressed');
      }
    }
    if (fromLocal) {
      d.toPeers = this.#allPeers;
    } else {
      d.toLocal = true;
      this.counters.toLocal++;
    }
    this.counters.flooded++;
    return d;
  }

  #drop(reason: L2DropReason): L2Decision {
    this.counters.drops[reason]++;
    this.#d.drop = reason;
    return this.#d;
  }

  #newPortState(): PortState {
    return new PortState(this.#storm === false ? null : new TokenBucket(this.#storm, 0));
  }

  /** Handles a learning outcome other than a refresh. Returns true when the frame must be dropped. */
  #onLearn(src: MacNumber, ingress: PortId, learned: number): boolean {
    switch (learned) {
      case Learn.New:
        if (ingress === LOCAL_PORT) this.#newLocalMac(src, this.macs.peek(src)!);
        return false;
      case Learn.Moved: {
        const e = this.macs.peek(src)!;
        this.emit('mac-moved', { mac: macToString(src), from: e.previousPort, to: ingress });
        if (ingress === LOCAL_PORT) this.#newLocalMac(src, e);
        else if (e.previousPort === LOCAL_PORT && this.bindings.removeLocal(src)) {
          this.emit('binding-withdrawn', { mac: macToString(src), reason: 'moved' });
        }
        return false;
      }
      case Learn.StartedHoldDown: {
        const e = this.macs.peek(src)!;
        this.emit('mac-flapping', {
          mac: macToString(src),
          ports: [e.port, e.previousPort],
          holdDownMs: this.macs.holdDownMs,
        });
        return true;
      }
      case Learn.HeldDown:
        return true;
      default:
        // Learn.Full: forward anyway, unlearned (counted by the table).
        return false;
    }
  }

  /** A MAC appeared on the local port: create its binding with a seq above every remote claim. */
  #newLocalMac(mac: MacNumber, e: MacEntry): void {
    const seq = this.bindings.highestRemoteSeq(mac) + 1;
    e.seq = seq;
    let b = this.bindings.local.get(mac);
    if (b === undefined) {
      b = new LocalBinding(seq);
      this.bindings.local.set(mac, b);
    } else {
      b.seq = seq;
    }
    this.emit('binding-learned', this.bindings.localBinding(mac)!);
  }

  #onExpire(mac: MacNumber, e: MacEntry): void {
    if (e.port === LOCAL_PORT && this.bindings.removeLocal(mac)) {
      this.emit('binding-withdrawn', { mac: macToString(mac), reason: 'aged' });
    }
  }

  /** Adds addresses to a local MAC's binding, learned from ARP/ND/DHCP. */
  #learnLocalV4(mac: MacNumber, ip: number, nowMs: number): void {
    if (ip === 0 || (mac / 0x100_0000_0000) % 2 >= 1) return;
    const e = this.macs.get(mac, nowMs);
    if (e === undefined || e.port !== LOCAL_PORT) return; // only MACs we have seen on the device
    const b = this.bindings.local.get(mac);
    if (b === undefined) return;
    this.bindings.lastDisplaced = null;
    if (this.bindings.addLocalV4(mac, ip, b)) this.#emitBindingChanges(mac);
  }

  #learnLocalV6(mac: MacNumber, key: string, nowMs: number): void {
    if ((mac / 0x100_0000_0000) % 2 >= 1) return;
    const e = this.macs.get(mac, nowMs);
    if (e === undefined || e.port !== LOCAL_PORT) return;
    const b = this.bindings.local.get(mac);
    if (b === undefined) return;
    this.bindings.lastDisplaced = null;
    if (this.bindings.addLocalV6(mac, key, b)) this.#emitBindingChanges(mac);
  }

  #emitBindingChanges(mac: MacNumber): void {
    const displaced = this.bindings.lastDisplaced;
    if (displaced !== null && displaced !== mac && this.bindings.local.has(displaced)) {
      this.emit('binding-learned', this.bindings.localBinding(displaced)!);
    }
    this.emit('binding-learned', this.bindings.localBinding(mac)!);
  }

  #stormDrop(ingress: PortId, port: PortState, nowMs: number): void {
    port.dropsSinceEvent++;
    if (nowMs - port.lastEvent >= this.#opts.stormNotifyIntervalMs) {
      this.emit('storm-drop', { port: ingress, dropped: port.dropsSinceEvent });
      port.dropsSinceEvent = 0;
      port.lastEvent = nowMs;
    }
  }
}
