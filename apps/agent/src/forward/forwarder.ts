import type { Binding, PeerInfo } from '@rtcmesh/protocol';

/** Where forwarded frames leave the agent: the device, or a peer link. */
export interface FrameSink {
  /** Writes one frame/packet to the local TAP/TUN; false if the device dropped it. */
  toDevice(frame: Buffer): boolean;
  /** Sends one frame/packet to a peer's link; false if the link dropped it (down, backpressure). */
  toPeer(peerId: string, frame: Buffer): boolean;
}

/** What the forwarder wants the control plane to hear about (advertisements, console events). */
export interface ForwarderEvents {
  /** The set of locally learned L2 bindings changed; the agent re-advertises all of them. */
  onBindingsChanged?: () => void;
  onEvent?: (event: {
    kind: 'mac-move' | 'storm-drop' | 'other';
    message: string;
    details?: Record<string, string | number>;
  }) => void;
}

/**
 * Decides about every frame/packet a peer sends before it reaches the device (the access policy).
 * Enforced on receive only: the sender is never trusted to filter.
 */
export interface ReceiveFilter {
  /** False: drop it (the filter counts it). L2: before the switch learns from the frame. */
  allowFromPeer(peerId: string, frame: Uint8Array): boolean;
  /** A packet this node sends to a peer (L3), so the filter lets its answers in. */
  trackOutbound(packet: Uint8Array): void;
}

/**
 * The agent's data plane for one network mode: an L2 learning switch (TAP) or an L3 router (TUN)
 * between the local device and the peer links.
 */
export interface Forwarder {
  readonly mode: 'l2' | 'l3';
  fromDevice(frames: Buffer[]): void;
  fromPeer(peerId: string, frame: Buffer): void;
  /** A peer's link is usable (or a peer became known): frames may be sent to it. */
  addPeer(peerId: string): void;
  removePeer(peerId: string): void;
  /**
   * The peer's link went down or came up (the mesh's link events). L3: packets routed to a down peer
   * get ICMP unreachable, and a prefix another live node also advertises fails over to it; L2: MACs
   * learned behind a down peer are forgotten.
   */
  setLinkState(peerId: string, up: boolean, nowMs: number): void;
  /** New control-plane information about a peer (bindings, routes, addresses). */
  updatePeer(peer: PeerInfo): void;
  /** What this node advertises (L2: bindings; L3: routes are static and come from the agent). */
  localBindings(): Binding[];
  counters(): Record<string, number>;
  /** Periodic housekeeping (aging). */
  sweep(nowMs: number): void;
  /** Installs (or removes, null) the access-policy filter on frames from peers; takes effect at once. */
  setReceiveFilter(filter: ReceiveFilter | null): void;
}
