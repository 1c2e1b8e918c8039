import type { LinkConnection, LinkConnectionOptions, PeerTransport } from '../linkConnection.js';
import { NdcConnection } from './ndcConnection.js';
import { WeriftConnection } from './weriftConnection.js';

/** A new connection generation on the chosen WebRTC stack. */
export function createLinkConnection(transport: PeerTransport, opts: LinkConnectionOptions): LinkConnection {
  return transport === 'libdatachannel' ? new NdcConnection(opts) : new WeriftConnection(opts);
}
