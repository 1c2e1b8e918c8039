// Receive-side TCP coalescing for TAP/TUN writes ("GRO in user space").
//
// Why: a device write costs one syscall and one pass through the kernel's IP/TCP receive path per
// packet, and the TCP receiver behind the device acknowledges every second segment, so each ACK
// becomes a whole message back through the overlay. The kernel coalesces segments arriving from a
// NIC (GRO); packets written to a TUN/TAP are not coalesced. With IFF_VNET_HDR a write may carry a
// virtio-net header describing a GSO packet: contiguous segments of one TCP flow go to the kernel
// as ONE write, which the local stack receives as one packet (one ACK) and which the kernel splits
// again, bit-identical, if it forwards it (bridge, subnet router). The rules follow Linux's own
// tcp_gro_receive: same flow, contiguous sequence numbers, same ACK number and TCP options, only
// ACK (and PSH on the last segment) set, every segment but the last of the same size, checksum
// verified before merging.

#ifndef RTCMESH_NETDEV_COALESCE_H
#define RTCMESH_NETDEV_COALESCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

// struct virtio_net_hdr (little-endian fields on every platform Linux runs virtio-LE on; the agent
// runs on x86-64/arm64). Kept local so the build needs no kernel virtio headers.
#define VNET_HDR_LEN 10
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4

// The header of a plain write (no GSO, checksum complete).
extern const uint8_t zero_vnet_hdr[VNET_HDR_LEN];

// Segments per coalesced write at most (64 KiB of 1.4 KB segments is 46).
#define COALESCE_MAX_SEGMENTS 48
// Flows coalesced at once within one batch; a 9th flow flushes the oldest run.
#define COALESCE_MAX_RUNS 8

typedef struct {
  const uint8_t *data;
  size_t len;
} coalesce_frame;

// Called once per write the batch turns into: `iov[0]` is the virtio-net header, the rest the
// packet (for a merged run: a patched copy of the headers, then every segment's payload).
// `frames` is how many input frames the write carries. Returns 0 on success or an errno; the
// frames of a failed write count as dropped.
typedef int (*coalesce_emit_fn)(void *ctx, const struct iovec *iov, int iovcnt, uint32_t frames);

typedef struct {
  uint32_t frames_written;
  uint32_t bytes_written;  // packet bytes, virtio-net headers not counted
  uint32_t writes;         // emit calls that succeeded
  uint32_t coalesced_frames;  // frames that went out inside a merged write
  uint32_t dropped;        // frames of failed writes
  uint32_t gso_refused;    // merged writes the kernel refused (EINVAL), sent again segment by segment
  int last_errno;
} coalesce_result;

// Writes `n` frames (TAP: Ethernet frames, `l2_len` 14; TUN: IP packets, `l2_len` 0) through
// `emit`, merging what may be merged. Frames of one flow keep their order; frames of different
// flows may be reordered relative to each other (as with GRO).
void coalesce_batch(const coalesce_frame *frames, uint32_t n, size_t l2_len, coalesce_emit_fn emit,
                    void *ctx, coalesce_result *out);

// Completes a checksum the kernel left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM on a read): the
// ones'-complement sum from `start` to the end of the packet, stored at `start + offset`.
// Returns 0, or -1 when the offsets do not fit the packet.
int complete_partial_checksum(uint8_t *pkt, size_t len, size_t start, size_t offset);

#endif
