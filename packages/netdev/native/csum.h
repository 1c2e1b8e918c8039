// Byte-order and Internet-checksum helpers shared by the coalescer (coalesce.c) and the segmenter
// (segment.c). Header-only: every function is small and static inline.

#ifndef RTCMESH_NETDEV_CSUM_H
#define RTCMESH_NETDEV_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// Ones'-complement sum (RFC 1071) over memory in native word order: the folded result, stored
// back in native order, is the right checksum on either endianness. Callers keep every summed
// piece but the last at an even length, so the pieces line up as one stream of 16-bit words.
static inline uint64_t sum_bytes(uint64_t sum, const uint8_t *p, size_t len) {
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    sum += w;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t h;
    memcpy(&h, p, 2);
    sum += h;
    p += 2;
    len -= 2;
  }
  if (len) {
    uint16_t h = 0;
    memcpy(&h, p, 1);
    sum += h;
  }
  return sum;
}

static inline uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

// Pseudo-header sum of an IPv4 or IPv6 packet at `ip` for transport protocol `proto` over `l4_len`
// bytes (RFC 793 / RFC 8200 section 8.1).
static inline uint64_t pseudo_sum_proto(const uint8_t *ip, int v6, uint8_t proto, uint32_t l4_len) {
  uint8_t tail[8];
  uint64_t sum;
  if (v6) {
    sum = sum_bytes(0, ip + 8, 32);
    put_be32(tail, l4_len);
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = proto;
    return sum_bytes(sum, tail, 8);
  }
  sum = sum_bytes(0, ip + 12, 8);
  tail[0] = 0;
  tail[1] = proto;
  put_be16(tail + 2, (uint16_t)l4_len);
  return sum_bytes(sum, tail, 4);
}

// The IPv4 header checksum over `ihl` bytes, computed with the checksum field taken as zero.
static inline void ipv4_header_checksum(uint8_t *ip, size_t ihl) {
  ip[10] = ip[11] = 0;
  uint16_t c = (uint16_t)~fold(sum_bytes(0, ip, ihl));
  memcpy(ip + 10, &c, 2);
}

#endif
