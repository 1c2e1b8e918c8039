import { L2Switch, type L2SwitchOptions, LOCAL_PORT } from '@rtcmesh/dataplane';
import type { Binding, PeerInfo } from '@rtcmesh/protocol';
import type { Forwarder, ForwarderEvents, FrameSink } from './forwarder.js';

/**
 * L2 mode: the TAP and every peer link are ports of one learning switch. The node's own TAP binding
 * (its MAC and overlay address) is advertised from the start, so peers suppress ARP for it before it
 * has sent a single frame.
 */
export class L2Forwarder implements Forwarder {
  readonly mode = 'l2' as const;
  readonly engine: L2Switch;
  private readonly known = new Set<string>();

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
    if (!this.known.has(peerId)) return;
    const d = this.engine.process(peerId, frame, Date.now());
    if (d.toLocal) this.sink.toDevice(d.frame);
    if (d.inject) for (const f of d.inject) this.sink.toDevice(f);
  }

  addPeer(peerId: string): void {
    this.known.add(peerId);
    this.engine.addPeer(peerId);
  }

  removePeer(peerId: string): void {
    this.known.delete(peerId);
    this.engine.removePeer(peerId, Date.now());
  }

  updatePeer(peer: PeerInfo): void {
    if (!this.known.has(peer.nodeId)) this.addPeer(peer.nodeId);
    this.engine.setRemoteBindings(peer.nodeId, peer.bindings, Date.now());
  }

  localBindings(): Binding[] {
    const learned = this.engine.localBindings().map((b) => ({ mac: b.mac, ips: [...b.ips], seq: b.seq }));
    if (!this.ownBinding) return learned;
    const own = this.ownBinding.mac.toLowerCase();
    return [this.ownBinding, ...learned.filter((b) => b.mac.toLowerCase() !== own)];
  }

  counters(): Record<string, number> {
    const c = this.engine.counters;
    const out: Record<string, number> = {
      frames: c.frames,
      toLocal: c.toLocal,
      unicastToPeer: c.unicastToPeer,
      flooded: c.flooded,
      mssClamped: c.mssClamped,
      macs: this.engine.macs.size,
    };
    for (const [reason, n] of Object.entries(c.drops)) out[`drop.${reason}`] = n;
    return out;
  }

  sweep(nowMs: number): void {
    this.engine.sweep(nowMs);
  }
}
