import type { PeerInfo, ServerMessage, Welcome } from '@rtcmesh/protocol';

/** Updates held while a paged welcome arrives; more means a server that never finishes it. */
export const MAX_HELD_DURING_WELCOME = 10_000;
/** Peers in one welcome; a network this large is far past what a full mesh can hold anyway. */
export const MAX_PEERS = 65_536;

/**
 * A paged welcome being assembled (protocol 2): the first part, the peers so far, and the updates
 * that arrived meanwhile, applied in order once the list is complete.
 */
export class PagedWelcome {
  private readonly peers: PeerInfo[];
  private readonly held: ServerMessage[] = [];

  /** `first`: the welcome with `morePeers`, carrying the first page of peers. */
  constructor(private readonly first: Welcome) {
    this.peers = [...first.peers];
  }

  get heldCount(): number {
    return this.held.length;
  }

  get peerCount(): number {
    return this.peers.length;
  }

  /**
   * An update that arrived before the last page: it is newer than the list, so it is applied after
   * the welcome. False when too many are held already (a server that never finishes the welcome).
   */
  hold(msg: ServerMessage): boolean {
    if (this.held.length >= MAX_HELD_DURING_WELCOME) return false;
    this.held.push(msg);
    return true;
  }

  /**
   * A page of peers: 'more' while pages are to come, 'too-many' past MAX_PEERS, or, with the last,
   * the complete welcome (one message with every peer) and the updates held meanwhile, in order.
   */
  add(
    peers: readonly PeerInfo[],
    more: boolean,
  ): 'more' | 'too-many' | { welcome: Welcome; held: ServerMessage[] } {
    if (this.peers.length + peers.length > MAX_PEERS) return 'too-many';
    for (const p of peers) this.peers.push(p);
    if (more) return 'more';
    const { morePeers: _more, ...first } = this.first;
    return { welcome: { ...first, peers: this.peers }, held: this.held };
  }
}
