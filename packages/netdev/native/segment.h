// Send-side segmentation of what a TAP/TUN with offloads hands us ("GSO in user space").
//
// Why: with TUNSETOFFLOAD (checksum, TSO4/6, USO) the kernel passes a TCP flow's data to the device
// as packets of up to 64 KiB with a virtio-net header (gso_type, gso_size), instead of one packet per
// MSS: one read() instead of ~45, and the sending stack walks one large packet instead of many. The
// tunnel must still send MTU-sized packets, so each is split here into the segments the kernel
// would have produced (as wireguard-go does), with every header fixed and every checksum complete.
//
// Everything in the virtio-net header and the packet comes from the kernel and is checked, never
// trusted: hdr_len is ignored (the header length is parsed from the packet), csum_start/csum_offset
// must point at the transport header's checksum we find ourselves, gso_size and the number of
// segments are bounded, IP lengths must match what was read.

#ifndef RTCMESH_NETDEV_SEGMENT_H
#define RTCMESH_NETDEV_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

// Segments one GSO packet may produce at most (64 KiB at an MSS of 64 bytes); more is refused.
#define SEGMENT_MAX_SEGMENTS 1024
// Smallest gso_size accepted.
#define SEGMENT_MIN_GSO_SIZE 64

// Returns where to write the next segment of `len` bytes, or NULL to stop (out of memory).
typedef uint8_t *(*segment_alloc_fn)(void *ctx, size_t len);

typedef enum {
  SEGMENT_OK = 0,
  SEGMENT_BAD_HEADER = -1,    // virtio-net header inconsistent with the packet
  SEGMENT_BAD_PACKET = -2,    // not a well-formed IPv4/IPv6 TCP/UDP packet of the announced kind
  SEGMENT_UNSUPPORTED = -3,   // a GSO type we never enable (UFO), or IPv6 extension headers
  SEGMENT_TOO_MANY = -4,      // gso_size below SEGMENT_MIN_GSO_SIZE or over SEGMENT_MAX_SEGMENTS
  SEGMENT_NO_MEMORY = -5,     // alloc returned NULL
} segment_error;

// Splits `pkt` (TAP: Ethernet frame, `l2_len` 14; TUN: IP packet, `l2_len` 0), read after the
// 10-byte virtio-net header `vnet`, into plain packets with complete checksums. A packet without
// GSO is passed through whole (its partial checksum, if any, completed). Returns the number of
// packets written through `alloc`, or a segment_error; nothing is written for an error, except
// SEGMENT_NO_MEMORY (the segments already written stay valid).
int segment_packet(const uint8_t *vnet, const uint8_t *pkt, size_t len, size_t l2_len, segment_alloc_fn alloc,
                   void *ctx);

#endif
