import type { AgentEvent, Binding, ClientMessage, Route } from '@rtcmesh/protocol';

/** Coalesce a burst of learned bindings (a host's ARP + ND at boot) into one message. */
const COALESCE_MS = 100;

export interface AnnouncerOptions {
  /** Sends to the server; false when the session is down (the next welcome's resync advertises again). */
  send: (m: ClientMessage) => boolean;
  /** The data plane (data-plane.ts): its mode and, L2, the bindings learned on the device; absent before it is open. */
  plane: () => { readonly forwarder: { readonly mode: 'l2' | 'l3' }; localBindings(): Binding[] } | undefined;
  /** L3: this node's routes (overlay-routes.ts); none before they exist. */
  ownRoutes: () => Route[] | undefined;
}

/**
 * What this node tells the server about itself as it changes: what it advertises (L2: the bindings
 * learned on its device; L3: its routes) and events for the network's log.
 */
export class Announcer {
  readonly #o: AnnouncerOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AnnouncerOptions) {
    this.#o = options;
  }

  /** Advertises now; nothing before the data plane is open (setup advertises once it is). */
  advertise(): void {
    const plane = this.#o.plane();
    if (!plane) return;
    if (plane.forwarder.mode === 'l2') this.#o.send({ type: 'advertise', bindings: plane.localBindings() });
    else this.#o.send({ type: 'advertise', routes: this.#o.ownRoutes() ?? [] });
  }

  /** Advertises shortly, once for every change until then. */
  advertiseSoon(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.advertise();
    }, COALESCE_MS);
  }

  event(event: AgentEvent): void {
    this.#o.send({ type: 'event', event });
  }

  /** A pending advertisement is dropped (the agent is stopping). */
  stop(): void {
    clearTimeout(this.#timer);
  }
}
