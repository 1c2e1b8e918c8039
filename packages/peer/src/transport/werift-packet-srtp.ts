import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';
import { PacketSrtp, type SrtpProfile, type SrtpSessionKeys } from '../srtp/packet-srtp.js';

/** The parts of werift's SRTP session (0.25.2) the packet track reads its keys from. */
interface WeriftSrtpContext {
  srtpSessionKey?: unknown;
  srtpSessionSalt?: unknown;
  srtpSessionAuthTag?: unknown;
}
interface WeriftSrtpSession {
  config?: { profile?: unknown };
  localContext?: WeriftSrtpContext;
  remoteContext?: WeriftSrtpContext;
}

/** werift's protection profile numbers (RFC 5764 / RFC 7714 values). */
const PROFILES: Record<number, SrtpProfile> = { 1: 'aes-cm-128-hmac-sha1-80', 7: 'aead-aes-128-gcm' };

function keys(c: WeriftSrtpContext | undefined): SrtpSessionKeys | null {
  if (!c || !Buffer.isBuffer(c.srtpSessionKey) || !Buffer.isBuffer(c.srtpSessionSalt)) return null;
  return {
    key: c.srtpSessionKey,
    salt: c.srtpSessionSalt,
    ...(Buffer.isBuffer(c.srtpSessionAuthTag) ? { authKey: c.srtpSessionAuthTag } : {}),
  };
}

/**
 * The packet track's SRTP over the session keys werift derived from the DTLS handshake, or null when
 * werift's session does not look as expected (another werift version): the link then keeps frames on
 * the data channel, and the link test that checks for the packet track fails loudly.
 */
export function packetSrtpFor(dtls: RTCDtlsTransport, ssrc: number): PacketSrtp | null {
  const session = (dtls as unknown as { srtp?: WeriftSrtpSession }).srtp;
  const profile = PROFILES[Number(session?.config?.profile)];
  const local = keys(session?.localContext);
  const remote = keys(session?.remoteContext);
  if (!profile || !local || !remote) return null;
  try {
    return new PacketSrtp(profile, local, remote, ssrc);
  } catch {
    return null;
  }
}

/** What the nominated pair of werift's ICE sends with (0.25.2 internals, checked). */
interface NominatedPair {
  remoteAddr?: [string, number];
  protocol?: { transport?: { socket?: { send?: unknown } }; type?: unknown };
}

/**
 * A sender for one datagram on the active ICE path: straight to the UDP socket for a direct pair (one
 * call, no promise), through werift's connection for anything else (TURN wraps and relays it).
 */
export function datagramSender(pc: RTCPeerConnection): ((datagram: Buffer) => void) | null {
  const connection = pc.iceTransports[0]?.connection;
  if (!connection) return null;
  const pair = connection.nominated as unknown as NominatedPair | undefined;
  const socket = pair?.protocol?.transport?.socket as
    | { send: (b: Buffer, port: number, host: string) => void }
    | undefined;
  const addr = pair?.remoteAddr;
  if (socket && typeof socket.send === 'function' && addr && typeof addr[0] === 'string') {
    const [host, port] = addr;
    return (datagram) => socket.send(datagram, port, host);
  }
  return (datagram) => {
    connection.send(datagram).catch(() => undefined);
  };
}
