import type { RTCPeerConnection } from 'werift';

/** The parts of werift's ICE internals that lead to the socket the nominated pair sends on. */
interface QueueingSocket {
  getSendQueueSize?: () => number;
  writableLength?: number;
}
interface SocketHolder {
  /** UDP (dgram). */
  socket?: QueueingSocket;
  /** TCP or TLS (net/tls socket of werift's StreamTransport). */
  stream?: { client?: QueueingSocket };
}
interface NominatedProtocol {
  transport?: SocketHolder;
  turn?: { transport?: SocketHolder };
}

/**
 * Bytes waiting in user space to be written to the nominated pair's socket: libuv's queue of a UDP
 * socket (direct, or TURN over UDP), or the write buffer of a TURN TCP/TLS connection. Null when no
 * pair is nominated or the socket cannot be found (a werift upgrade moved it: the link test says so).
 */
export function socketQueueBytes(pc: RTCPeerConnection): number | null {
  const nominated = pc.iceTransports[0]?.connection.nominated as { protocol?: unknown } | undefined;
  const protocol = nominated?.protocol as NominatedProtocol | undefined;
  const holder = protocol?.transport ?? protocol?.turn?.transport;
  const socket = holder?.socket ?? holder?.stream?.client;
  if (!socket) return null;
  if (typeof socket.getSendQueueSize === 'function') return socket.getSendQueueSize();
  return typeof socket.writableLength === 'number' ? socket.writableLength : null;
}
