import { L2Switch, type L2SwitchOptions, LOCAL_PORT } from '@rtcmesh/dataplane';
import { type Binding, type L2Settings, LIMITS, type PeerInfo } from '@rtcmesh/protocol';
import type { Forwarder, ForwarderEvents, FrameSink, ReceiveFilter } from './forwarder.js';

/** Addresses one advertised binding may carry (the protocol's LIMITS.maxIpsPerBinding). */
const MAX_IPS_PER_BINDING = LIMITS.maxIpsPerBinding;

/**
 * L2 mode: the TAP and every peer link are ports of one learning switch. The node's own TAP binding
 * (its MAC and overlay address) is advertised from the start, so peers suppress ARP for it before it
 * has sent a single frame.
 */
export class L2Forwarder implements Forwarder {
  readonly mode = 'l2' as const;
  readonly engine: L2Switch;
  private filter: ReceiveFilter | null = null;

  constructor(
    private readonly sink: FrameSink,
    private readonly ownBinding: Binding | null,
    events: ForwarderEvents,
    options: L2SwitchOptions = {},
  ) {
    this.engine = new L2Switch(options);
    const changed = () => events.onBindingsChanged?.();
    this.engine.on('binding-learned', changed);
    this.engine.on('binding-withdrawn', changed);
    this.engine.on('mac-moved', (e) =>
      events.onEvent?.({
        kind: 'mac-move',
        message: `MAC ${e.mac} moved from ${e.from} to ${e.to}`,
        details: { mac: e.mac, from: e.from, to: e.to },
      }),
    );
    this.engine.on('mac-flapping', (e) =>
      events.onEvent?.({
        kind: 'mac-move',
        message: `MAC ${e.mac} is flapping between ${e.ports[0]} and ${e.ports[1]} (loop?); held down ${e.holdDownMs} ms`,
        details: { mac: e.mac, holdDownMs: e.holdDownMs },
      }),
    );
    this.engine.on('storm-drop', (e) =>
      events.onEvent?.({
        kind: 'storm-drop',
        message: `storm control dropped ${e.dropped} broadcast/multicast/unknown frames from ${e.port}`,
        details: { port: e.port, dropped: e.dropped },
      }),
    );
  }

  fromDevice(frames: Buffer[]): void {
    const now = Date.now();
    for (const frame of frames) {
      const d = this.engine.process(LOCAL_PORT, frame, now);
      if (d.inject) for (const f of d.inject) this.sink.toDevice(f);
      for (const peer of d.toPeers) this.sink.toPeer(peer, d.frame);
    }
  }

  fromPeer(peerId: string, frame: Buffer): void {
    if (!this.engine.hasPeer(peerId)) return;
    // Before the switch: a denied frame must not teach it a MAC either.
    if (this.filter && !this.filter.allowFromPeer(peerId, frame)) return;
    const d = this.engine.process(peerId, frame, Date.now());
    if (d.toLocal) this.sink.toDevice(d.frame);
    if (d.inject) for (const f of d.inject) this.sink.toDevice(f);
  }

  addPeer(peerId: string): void {
    this.engine.addPeer(peerId);
  }

  /** The network's L2 settings (an admin's `network set`), applied live. */
  applySettings(s: L2Settings): void {
    this.engine.configure({
      storm: s.stormPps > 0 ? { pps: s.stormPps, burst: s.stormBurst } : false,
      blockDhcp: s.blockDhcp,
    });
  }

  setLinkState(peerId: string, up: boolean): void {
    if (!up && this.engine.hasPeer(peerId)) this.engine.linkDown(peerId);
  }

  removePeer(peerId: string): void {
    this.engine.removePeer(peerId, Date.now());
  }

  updatePeer(peer: PeerInfo): void {
    if (!this.engine.hasPeer(peer.nodeId)) this.addPeer(peer.nodeId);
    this.engine.setRemoteBindings(peer.nodeId, peer.bindings, Date.now());
  }

  /**
   * What this node advertises: its own binding first, then the learned ones, at most
   * LIMITS.maxBindings (the server refuses a longer list whole). A site with more hosts behind the
   * TAP than that still switches every frame; ARP/ND for the hosts past the limit is simply not
   * answered locally by peers and floods as on a plain switch (`bindingsOverLimit` counts them).
   */
  localBindings(): Binding[] {
    const learned = this.engine.localBindings().map((b) => ({ mac: b.mac, ips: [...b.ips], seq: b.seq }));
    let all = learned;
    if (this.ownBinding) {
      const own = this.ownBinding.mac.toLowerCase();
      // The TAP's own binding keeps its overlay address and seq, plus whatever the host configured on
      // the device itself (IPv6 addresses, secondary IPv4s) that the switch learned from ARP/ND.
      const seen = learned.find((b) => b.mac.toLowerCase() === own);
      const ips = [...new Set([...this.ownBinding.ips, ...(seen?.ips ?? [])])].slice(0, MAX_IPS_PER_BINDING);
      all = [{ ...this.ownBinding, ips }, ...learned.filter((b) => b.mac.toLowerCase() !== own)];
    }
    this.bindingsOverLimit = Math.max(0, all.length - LIMITS.maxBindings);
    return all.slice(0, LIMITS.maxBindings);
  }

  /** Learned local bindings left out of the last advertisement (over LIMITS.maxBindings). */
  private bindingsOverLimit = 0;

  counters(): Record<string, number> {
    const c = this.engine.counters;
    const out: Record<string, number> = {
      frames: c.frames,
      toLocal: c.toLocal,
      unicastToPeer: c.unicastToPeer,
      flooded: c.flooded,
      mssClamped: c.mssClamped,
      macsFlushed: c.macsFlushed,
      macs: this.engine.macs.size,
      bindingsOverLimit: this.bindingsOverLimit,
    };
    for (const [reason, n] of Object.entries(c.drops)) out[`drop.${reason}`] = n;
    return out;
  }

  sweep(nowMs: number): void {
    this.engine.sweep(nowMs);
  }

  setReceiveFilter(filter: ReceiveFilter | null): void {
    this.filter = filter;
  }
}
