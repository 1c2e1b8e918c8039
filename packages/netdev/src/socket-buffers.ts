import { loadNativeAddon } from './native.js';

/** Receive and send buffer per UDP socket that the agent asks for (the kernel default is 208 KiB). */
export const UDP_SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;

/**
 * Raises the receive and send buffers of every UDP socket of this process (the ICE sockets of the
 * peer links, whichever WebRTC stack opened them) to `bytes`, and returns how many sockets have
 * buffers that large now. Uses SO_RCVBUFFORCE / SO_SNDBUFFORCE (CAP_NET_ADMIN, which the agent has
 * for its device anyway), so `net.core.rmem_max` does not cap it; without the capability the
 * sockets get what rmem_max/wmem_max allow.
 *
 * Why: a device read with offloads turns into ~45 back-to-back datagrams, and the peer's receiving
 * threads are sometimes not scheduled for a few milliseconds (both agents, the TCP endpoints and the
 * kernel share the cores). With the 208 KiB default the receiver's socket overflowed at 700 Mbit/s
 * (3 600 datagrams in 5 s in the lab, each a loss the TCP flow inside paid for). 2 MiB holds 20 ms
 * at 800 Mbit/s. wireguard-go raises its sockets the same way (7 MiB).
 */
export function raiseUdpSocketBuffers(bytes = UDP_SOCKET_BUFFER_BYTES): number {
  return loadNativeAddon().raiseUdpBuffers(bytes);
}

/**
 * Caps glibc's malloc arenas for the whole process (call once at start, before native threads
 * exist). glibc gives each thread that meets contention its own arena and keeps freed memory in it;
 * with libdatachannel's and libuv's threads allocating per packet that is several MB of RSS per
 * thread. With 2 arenas the agent's RSS under one busy link fell by 3-5 MiB in the lab at the same
 * throughput. False where the C library is not glibc.
 */
export function limitMallocArenas(arenas = 2): boolean {
  return loadNativeAddon().limitMallocArenas(arenas);
}
