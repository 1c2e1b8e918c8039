import type { PeerInfo } from '@rtcmesh/protocol';

/**
 * Bytes of peer entries per welcome page. A peer at every advertisement limit (256 bindings of 16
 * IPv6 addresses) is about 180 KB, so a page always holds at least one; an agent's message limit
 * (16 MiB) is never approached, and the slow-consumer limit (8 MiB queued) is never hit by pages
 * since the next page is sent only once the previous one left the socket.
 */
export const PEER_PAGE_BYTES = 1024 * 1024;

/**
 * Splits a peer list into pages of at most `maxBytes` of JSON each (a single larger entry gets a page
 * of its own). Always at least one page, possibly empty, which the welcome carries.
 */
export function pagePeers(peers: readonly PeerInfo[], maxBytes: number = PEER_PAGE_BYTES): PeerInfo[][] {
  const pages: PeerInfo[][] = [[]];
  let bytes = 0;
  for (const p of peers) {
    const size = JSON.stringify(p).length + 1;
    const page = pages[pages.length - 1]!;
    if (page.length > 0 && bytes + size > maxBytes) {
      pages.push([p]);
      bytes = size;
    } else {
      page.push(p);
      bytes += size;
    }
  }
  return pages;
}
