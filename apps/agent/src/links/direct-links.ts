import type { KeyObject } from 'node:crypto';
import type { PeerInfo, SignalData } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { type DirectHint, parseDirectHintMessage } from './direct-hint.js';
import { DEFAULT_DIRECT_PORT, DirectSignaling } from './direct-signal.js';
import { hostCandidateAddresses } from './host-addresses.js';
import type { PeerLinks } from './peer-links.js';

/** Hellos toward a peer whose link is down: a restarted peer finds an open hole within this. */
const HELLO_LINK_DOWN_MS = 2000;
/** Hellos toward a linked peer: keeps the NAT mapping of the port alive (UDP conntrack: 30–180 s). */
const HELLO_LINK_UP_MS = 20_000;

export interface DirectLinksOptions {
  selfId: string;
  networkId: string;
  /** `--direct-port` (default DEFAULT_DIRECT_PORT). */
  port?: number;
  privateKey: () => KeyObject;
  links: () => PeerLinks | undefined;
  /** The overlay device: its addresses are never announced (a path through the overlay is a loop). */
  device: string;
  onSignal: (from: string, data: SignalData) => void;
  /** Something worth keeping in the network map cache changed (a peer's address). */
  onHintsChanged: () => void;
  logger: Logger;
}

/**
 * How the agent uses direct signaling (direct-signal.ts): what it learns about reaching each peer
 * (the address the server saw it at, its last direct link's remote address, the LAN addresses it
 * announces when a link comes up), and the hellos that keep NAT holes open while the server is away.
 */
export class DirectLinks {
  private constructor(
    private readonly signaling: DirectSignaling,
    private readonly o: DirectLinksOptions,
  ) {}

  /**
   * Binds the port, seeded with the cached hints. A port in use (another agent on this host) leaves
   * direct signaling off, with a warning: undefined.
   */
  static async start(
    o: DirectLinksOptions,
    cachedHints?: ReadonlyMap<string, DirectHint>,
  ): Promise<DirectLinks | undefined> {
    const port = o.port ?? DEFAULT_DIRECT_PORT;
    const signaling = new DirectSignaling({
      selfId: o.selfId,
      networkId: o.networkId,
      port,
      privateKey: o.privateKey,
      // Only peers the map admits: a removed node is unknown, a refused one (locked network) stays out.
      peerKey: (id) => {
        const view = o.links()?.get(id);
        return view && !view.refused?.admission ? view.info.publicKey : undefined;
      },
      onSignal: o.onSignal,
      onPeerRestart: (id) => o.logger.info({ peer: id }, 'peer restarted (direct signaling)'),
      logger: o.logger,
    });
    try {
      o.logger.info({ port: await signaling.listen() }, 'direct signaling listening');
    } catch (err) {
      o.logger.warn(
        { err: (err as Error).message, port },
        'direct signaling unavailable: links cannot be re-established while the server is away',
      );
      return undefined;
    }
    for (const [id, hint] of cachedHints ?? []) signaling.setHint(id, hint);
    return new DirectLinks(signaling, o);
  }

  get port(): number | undefined {
    return this.signaling.port;
  }

  get counters(): DirectSignaling['counters'] {
    return this.signaling.counters;
  }

  send(to: string, data: SignalData): boolean {
    return this.signaling.send(to, data);
  }

  /** A signal to the peer is unacked or was given up on (see DirectSignaling.mayHaveLost). */
  mayHaveLost(peerId: string): boolean {
    return this.signaling.mayHaveLost(peerId);
  }

  /** The server-seen address of a peer is where its direct-signaling port most likely is too. */
  notePeer(p: PeerInfo): void {
    if (p.endpoint) this.signaling.addHintHosts(p.nodeId, [endpointHost(p.endpoint)], DEFAULT_DIRECT_PORT);
  }

  /** A link came up (or moved): remember where the peer is, and (once up) tell it where we are. */
  linkChanged(peerId: string, linkUp: boolean): void {
    const links = this.o.links();
    const link = links?.get(peerId)?.link;
    if (!links || !link) return;
    const path = link.path();
    if (path?.path === 'direct' && path.remoteAddress)
      this.signaling.addHintHosts(peerId, [endpointHost(path.remoteAddress)], DEFAULT_DIRECT_PORT);
    const port = this.signaling.port;
    if (linkUp && port !== undefined)
      links.sendLinkMessage(peerId, {
        kind: 'direct-hint',
        port,
        hosts: hostCandidateAddresses([this.o.device]).slice(0, 8),
      });
    this.o.onHintsChanged();
  }

  /** A peer's link message; true if it was ours (a direct hint). */
  onLinkMessage(peerId: string, body: unknown): boolean {
    const hint = parseDirectHintMessage(body);
    if (!hint) return false;
    const known = this.signaling.hint(peerId)?.hosts ?? [];
    this.signaling.setHint(peerId, { port: hint.port, hosts: [...known, ...hint.hosts] });
    this.o.onHintsChanged();
    return true;
  }

  /** Once a second while the server is away: hellos to the peers that are due one. */
  tick(): void {
    const links = this.o.links();
    if (!links) return;
    const down: string[] = [];
    const up: string[] = [];
    for (const { info, link } of links.list()) {
      if (!info.online) continue;
      (link?.currentState === 'connected' ? up : down).push(info.nodeId);
    }
    this.signaling.hello(down, HELLO_LINK_DOWN_MS);
    this.signaling.hello(up, HELLO_LINK_UP_MS);
  }

  forget(peerId: string): void {
    this.signaling.forget(peerId);
  }

  hints(): Map<string, DirectHint> {
    return this.signaling.allHints();
  }

  close(): void {
    this.signaling.close();
  }
}

/** The host of "203.0.113.7:51234" or "[2001:db8::1]:443". */
export function endpointHost(endpoint: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(endpoint);
  if (v6) return v6[1]!;
  const i = endpoint.lastIndexOf(':');
  return i > 0 && endpoint.indexOf(':') === i ? endpoint.slice(0, i) : endpoint;
}
