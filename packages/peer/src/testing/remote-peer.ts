/**
 * Test-only child process: one PeerLink whose signals travel over the IPC channel, so a test can
 * freeze the whole peer with SIGSTOP (a silent path failure: no DTLS close, no bye).
 * Run with `node --import tsx remote-peer.ts <localId> <remoteId> <keepaliveMs> [werift|libdatachannel]`.
 */
import { isPeerTransport } from '../link-connection.js';
import { PeerLink } from '../peer-link.js';
import { loopbackOnly } from './link-pair.js';

const [localId = 'node-b', remoteId = 'node-a', keepalive = '1000', transport = 'werift'] =
  process.argv.slice(2);
if (!isPeerTransport(transport)) throw new Error(`unknown transport ${transport}`);
const link = new PeerLink({
  localId,
  remoteId,
  iceServers: [],
  candidateAddresses: loopbackOnly(),
  keepaliveIntervalMs: Number(keepalive),
  connectTimeoutMs: 3000,
  transport,
  sendSignal: (signal) => process.send?.({ signal }),
});
link.onPacket((frame) => {
  // Echo, so the test can see the data path end to end.
  link.sendPacket(frame);
});
link.onState((state) => process.send?.({ state }));
process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m !== null && 'signal' in m)
    link.handleSignal((m as { signal: unknown }).signal);
});
process.on('disconnect', () => {
  void link.close('parent gone').then(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void link.close('SIGTERM').then(() => process.exit(0));
});
