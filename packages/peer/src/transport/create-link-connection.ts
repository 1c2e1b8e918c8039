import type { LinkConnection, LinkConnectionOptions, PeerTransport } from '../link-connection.js';
import { NdcConnection } from './ndc-connection.js';
import { WeriftConnection } from './werift-connection.js';

/** A new connection generation on the chosen WebRTC stack. */
export function createLinkConnection(transport: PeerTransport, opts: LinkConnectionOptions): LinkConnection {
  return transport === 'libdatachannel' ? new NdcConnection(opts) : new WeriftConnection(opts);
}
