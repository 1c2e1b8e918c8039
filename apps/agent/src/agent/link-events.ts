import { raiseUdpSocketBuffers } from '@rtcmesh/netdev';
import type { AgentEvent } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { LinkEvent } from '../links/peer-links.js';

export interface LinkEventsOptions {
  /** Direct signaling (links/direct-links.ts); absent while it is off. */
  direct: () => { linkChanged(peerId: string, up: boolean): void } | undefined;
  /** The forwarder (forward/); absent before the device is open. */
  forwarder: () => { setLinkState(peerId: string, up: boolean, nowMs: number): void } | undefined;
  /** A peer's name for the metrics (its id when unknown). */
  name: (peerId: string) => string;
  /** A link to a peer came up or went down (AgentOptions.onLinkChange: the metrics count them). */
  onLinkChange?: ((peer: { id: string; name: string }, up: boolean) => void) | undefined;
  /** An event for the server's log. */
  sendEvent: (e: AgentEvent) => void;
  logger: Logger;
  /** Tests: default @rtcmesh/netdev's raiseUdpSocketBuffers. */
  raiseSocketBuffers?: () => void;
}

/** What follows a link that came up, went down, changed its path or refused a peer (links/peer-links.ts). */
export function linkEventHandler(o: LinkEventsOptions): (peerId: string, e: LinkEvent) => void {
  const raiseSocketBuffers = (): void => {
    try {
      (o.raiseSocketBuffers ?? raiseUdpSocketBuffers)();
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'cannot raise UDP socket buffers');
    }
  };
  return (peerId, e) => {
    // A new connection brings new ICE sockets: give them buffers for bursts (socket-buffers.ts).
    if (e.kind === 'link-up' || e.kind === 'path-change') raiseSocketBuffers();
    if (e.kind === 'link-up' || e.kind === 'path-change')
      o.direct()?.linkChanged(peerId, e.kind === 'link-up');
    // Forwarding follows the link: ICMP unreachable and HA fail-over while down (forward/).
    if (e.kind === 'link-up' || e.kind === 'link-down') {
      o.forwarder()?.setLinkState(peerId, e.kind === 'link-up', Date.now());
      o.onLinkChange?.({ id: peerId, name: o.name(peerId) }, e.kind === 'link-up');
    }
    o.sendEvent({ kind: e.kind, message: e.message, peerId });
  };
}
