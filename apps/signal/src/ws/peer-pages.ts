import type { PeerInfo } from '@rtcmesh/protocol';

/**
 * Bytes of peer entries per welcome page. A peer at every advertisement limit (256 bindings of 16
 * IPv6 addresses) is about 180 KB, so a page always holds at least one; an agent's message limit
 * (16 MiB) is never approached, and the slow-consumer limit (8 MiB queued) is never hit by pages
 * since the next page is sent only once the previous one left the socket.
 */
export const PEER_PAGE_BYTES = 1024 * 1024;

/** One page: its peers, and each one's JSON (measured to cut the pages; later pages send it as is). */
export type PeerPage = { peers: PeerInfo[]; json: string[] };

/**
 * Splits a peer list into pages of at most `maxBytes` of JSON each (a single larger entry gets a page
 * of its own). Always at least one page, possibly empty, which the welcome carries.
 */
export function pagePeers(peers: readonly PeerInfo[], maxBytes: number = PEER_PAGE_BYTES): PeerPage[] {
  const pages: PeerPage[] = [{ peers: [], json: [] }];
  let bytes = 0;
  for (const p of peers) {
    const json = JSON.stringify(p);
    const size = json.length + 1;
    let page = pages[pages.length - 1]!;
    if (page.peers.length > 0 && bytes + size > maxBytes) {
      page = { peers: [], json: [] };
      pages.push(page);
      bytes = 0;
    }
    page.peers.push(p);
    page.json.push(json);
    bytes += size;
  }
  return pages;
}

/** A further page as a `peers` message, built from the JSON already made (not serialized again). */
export function peersPageMessage(page: PeerPage, more: boolean): string {
  return `{"type":"peers","peers":[${page.json.join(',')}],"more":${more}}`;
}
