// Send-side segmentation; see segment.h for why and what is checked.

#include "segment.h"

#include <string.h>

#include "coalesce.h"
#include "csum.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define PROTO_TCP 6
#define PROTO_UDP 17

typedef struct {
  size_t l3;  // IP header offset
  size_t l4;  // transport header offset
  int v6;
  uint8_t proto;
} layout_t;

// Finds the IP and transport headers of a GSO packet and checks the IP lengths against what was
// read. Fragments and IPv6 extension headers are refused (the kernel's TSO/USO never produces the
// former, and the latter are rare enough to take the plain path: the caller turns offloads off).
static int parse_layout(const uint8_t *pkt, size_t len, size_t l2_len, layout_t *o) {
  size_t l3 = l2_len;
  int v6;
  if (l2_len) {
    if (len < 14) return SEGMENT_BAD_PACKET;
    uint16_t type = be16(pkt + 12);
    if (type == 0x8100 || type == 0x88a8) {  // one 802.1Q / 802.1ad tag
      if (len < 18) return SEGMENT_BAD_PACKET;
      type = be16(pkt + 16);
      l3 = 18;
    }
    if (type == 0x0800)
      v6 = 0;
    else if (type == 0x86dd)
      v6 = 1;
    else
      return SEGMENT_BAD_PACKET;
  } else {
    if (len < 1) return SEGMENT_BAD_PACKET;
    v6 = (pkt[0] >> 4) == 6;
  }
  const uint8_t *ip = pkt + l3;
  size_t rest = len - l3;
  if (!v6) {
    if (rest < 20 || (ip[0] >> 4) != 4) return SEGMENT_BAD_PACKET;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < 20 || ihl > rest) return SEGMENT_BAD_PACKET;
    if (be16(ip + 2) != rest) return SEGMENT_BAD_PACKET;
    if (be16(ip + 6) & 0x3fff) return SEGMENT_BAD_PACKET;
    o->proto = ip[9];
    o->l4 = l3 + ihl;
  } else {
    if (rest < 40 || (ip[0] >> 4) != 6) return SEGMENT_BAD_PACKET;
    if ((size_t)be16(ip + 4) + 40 != rest) return SEGMENT_BAD_PACKET;
    if (ip[6] != PROTO_TCP && ip[6] != PROTO_UDP) return SEGMENT_UNSUPPORTED;
    o->proto = ip[6];
    o->l4 = l3 + 40;
  }
  o->l3 = l3;
  o->v6 = v6;
  return 0;
}

static int pass_through(const uint8_t *vnet, const uint8_t *pkt, size_t len, segment_alloc_fn alloc, void *ctx) {
  size_t start = le16(vnet + 6);
  size_t offset = le16(vnet + 8);
  int needs_csum = (vnet[0] & VNET_F_NEEDS_CSUM) != 0;
  if (needs_csum && (start >= len || offset + 2 > len - start)) return SEGMENT_BAD_HEADER;
  uint8_t *out = alloc(ctx, len);
  if (!out) return SEGMENT_NO_MEMORY;
  memcpy(out, pkt, len);
  if (needs_csum) complete_partial_checksum(out, len, start, offset);
  return 1;
}

int segment_packet(const uint8_t *vnet, const uint8_t *pkt, size_t len, size_t l2_len, segment_alloc_fn alloc,
                   void *ctx) {
  uint8_t gso_type = vnet[1] & (uint8_t)~VNET_GSO_ECN;
  if (gso_type == VNET_GSO_NONE) {
    if (vnet[1] & VNET_GSO_ECN) return SEGMENT_BAD_HEADER;
    return pass_through(vnet, pkt, len, alloc, ctx);
  }
  if (gso_type != VNET_GSO_TCPV4 && gso_type != VNET_GSO_TCPV6 && gso_type != VNET_GSO_UDP_L4)
    return SEGMENT_UNSUPPORTED;
  // A GSO packet always carries a partial checksum; its position is the transport header's.
  if (!(vnet[0] & VNET_F_NEEDS_CSUM)) return SEGMENT_BAD_HEADER;
  layout_t L;
  int r = parse_layout(pkt, len, l2_len, &L);
  if (r) return r;
  int tcp = gso_type != VNET_GSO_UDP_L4;
  if (tcp) {
    if (L.proto != PROTO_TCP || L.v6 != (gso_type == VNET_GSO_TCPV6)) return SEGMENT_BAD_HEADER;
  } else if (L.proto != PROTO_UDP) {
    return SEGMENT_BAD_HEADER;
  }
  if (le16(vnet + 6) != L.l4 || le16(vnet + 8) != (tcp ? 16 : 6)) return SEGMENT_BAD_HEADER;
  size_t hdrs;
  if (tcp) {
    if (len < L.l4 + 20) return SEGMENT_BAD_PACKET;
    size_t thl = (size_t)(pkt[L.l4 + 12] >> 4) * 4;
    if (thl < 20 || L.l4 + thl > len) return SEGMENT_BAD_PACKET;
    hdrs = L.l4 + thl;
  } else {
    hdrs = L.l4 + 8;
    if (hdrs > len) return SEGMENT_BAD_PACKET;
  }
  size_t payload = len - hdrs;
  size_t gso_size = le16(vnet + 4);
  if (payload == 0) return SEGMENT_BAD_PACKET;
  if (gso_size < SEGMENT_MIN_GSO_SIZE) return SEGMENT_TOO_MANY;
  size_t nseg = (payload + gso_size - 1) / gso_size;
  if (nseg > SEGMENT_MAX_SEGMENTS) return SEGMENT_TOO_MANY;

  const uint8_t *ip0 = pkt + L.l3;
  uint16_t ip_id = L.v6 ? 0 : be16(ip0 + 4);
  uint32_t seq = tcp ? be32(pkt + L.l4 + 4) : 0;
  for (size_t i = 0; i < nseg; i++) {
    size_t off = i * gso_size;
    size_t n = payload - off < gso_size ? payload - off : gso_size;
    size_t seg_len = hdrs + n;
    uint8_t *out = alloc(ctx, seg_len);
    if (!out) return SEGMENT_NO_MEMORY;
    memcpy(out, pkt, hdrs);
    memcpy(out + hdrs, pkt + hdrs + off, n);
    uint8_t *ip = out + L.l3;
    if (L.v6) {
      put_be16(ip + 4, (uint16_t)(seg_len - L.l3 - 40));
    } else {
      put_be16(ip + 2, (uint16_t)(seg_len - L.l3));
      put_be16(ip + 4, (uint16_t)(ip_id + i));  // as the kernel's TSO does
      ipv4_header_checksum(ip, L.l4 - L.l3);
    }
    uint8_t *l4 = out + L.l4;
    uint32_t l4_len = (uint32_t)(seg_len - L.l4);
    uint16_t c;
    if (tcp) {
      put_be32(l4 + 4, seq + (uint32_t)off);
      uint8_t flags = l4[13];
      if (i + 1 < nseg) flags &= (uint8_t)~(TCP_FIN | TCP_PSH);  // only the last segment ends a push
      if (i > 0) flags &= (uint8_t)~TCP_CWR;                      // only the first reports CWR
      l4[13] = flags;
      l4[16] = l4[17] = 0;
      c = (uint16_t)~fold(pseudo_sum_proto(ip, L.v6, PROTO_TCP, l4_len) + sum_bytes(0, l4, l4_len));
      memcpy(l4 + 16, &c, 2);
    } else {
      put_be16(l4 + 4, (uint16_t)l4_len);
      l4[6] = l4[7] = 0;
      c = (uint16_t)~fold(pseudo_sum_proto(ip, L.v6, PROTO_UDP, l4_len) + sum_bytes(0, l4, l4_len));
      if (c == 0) c = 0xffff;  // 0 means "no checksum" in UDP (and is forbidden over IPv6)
      memcpy(l4 + 6, &c, 2);
    }
  }
  return (int)nseg;
}
