// Receive-side TCP coalescing; see coalesce.h for why and the rules.

#include "coalesce.h"

#include <errno.h>
#include <string.h>

#include "csum.h"

#define TCP_PSH 0x08
#define TCP_ACK 0x10

const uint8_t zero_vnet_hdr[VNET_HDR_LEN] = {0};

// Pseudo-header sum for TCP (protocol 6) over `l4_len` bytes.
static uint64_t pseudo_sum(const uint8_t *ip, int v6, uint32_t l4_len) {
  return pseudo_sum_proto(ip, v6, 6, l4_len);
}

typedef enum {
  PKT_OTHER,      // not TCP: written as it is, in place
  PKT_TCP,        // TCP that cannot be merged: its flow's run is written first
  PKT_MERGEABLE,  // TCP data segment that may start or extend a run
  PKT_OPAQUE,     // IP we cannot see the ports of (fragment, IPv6 extension headers): all runs first
} pkt_class;

typedef struct {
  const uint8_t *frame;
  size_t len;
  const uint8_t *ip;
  const uint8_t *tcp;
  int v6;
  size_t iphl, thl, payload_len;
  uint32_t seq;
} pkt_info;

static pkt_class classify(const uint8_t *f, size_t len, size_t l2, pkt_info *p) {
  memset(p, 0, sizeof *p);
  p->frame = f;
  p->len = len;
  if (len < l2 + 20) return PKT_OTHER;
  if (l2) {
    uint16_t type = be16(f + 12);
    if (type == 0x0800)
      p->v6 = 0;
    else if (type == 0x86dd)
      p->v6 = 1;
    else
      return PKT_OTHER;
  }
  const uint8_t *ip = f + l2;
  size_t ip_len;
  int exact, df = 1;
  if ((ip[0] >> 4) == 4 && (!l2 || !p->v6)) {
    p->v6 = 0;
    p->iphl = (size_t)(ip[0] & 15) * 4;
    ip_len = be16(ip + 2);
    if (p->iphl < 20 || ip_len < p->iphl || l2 + ip_len > len) return PKT_OTHER;
    if (ip[9] != 6) return PKT_OTHER;
    uint16_t frag = be16(ip + 6);
    if (frag & 0x3fff) return PKT_OPAQUE;  // a fragment: no ports to match
    df = (frag & 0x4000) != 0;
    exact = l2 + ip_len == len && p->iphl == 20;
  } else if ((ip[0] >> 4) == 6 && (!l2 || p->v6)) {
    p->v6 = 1;
    if (len < l2 + 40) return PKT_OTHER;
    p->iphl = 40;
    ip_len = 40 + (size_t)be16(ip + 4);
    if (l2 + ip_len > len) return PKT_OTHER;
    uint8_t nh = ip[6];
    if (nh == 17 || nh == 58) return PKT_OTHER;
    if (nh != 6) return PKT_OPAQUE;  // extension headers may hide TCP
    exact = l2 + ip_len == len;
  } else {
    return PKT_OTHER;
  }
  if (ip_len < p->iphl + 20) return PKT_OPAQUE;
  const uint8_t *tcp = ip + p->iphl;
  p->thl = (size_t)(tcp[12] >> 4) * 4;
  if (p->thl < 20 || p->iphl + p->thl > ip_len) return PKT_OPAQUE;
  p->ip = ip;
  p->tcp = tcp;
  p->payload_len = ip_len - p->iphl - p->thl;
  p->seq = be32(tcp + 4);
  uint8_t flags = tcp[13];
  if (!exact || !df || p->payload_len == 0 || (flags & ~TCP_PSH) != TCP_ACK) return PKT_TCP;
  uint32_t l4_len = (uint32_t)(ip_len - p->iphl);
  if (fold(pseudo_sum(ip, p->v6, l4_len) + sum_bytes(0, tcp, l4_len)) != 0xffff) return PKT_TCP;
  return PKT_MERGEABLE;
}

// Same connection (and, on a TAP, same Ethernet addresses).
static int same_flow(const pkt_info *a, const pkt_info *b, size_t l2) {
  if (a->v6 != b->v6) return 0;
  if (l2 && memcmp(a->frame, b->frame, 12) != 0) return 0;
  if (a->v6 ? memcmp(a->ip + 8, b->ip + 8, 32) != 0 : memcmp(a->ip + 12, b->ip + 12, 8) != 0) return 0;
  return memcmp(a->tcp, b->tcp, 4) == 0;
}

typedef struct {
  int used;
  uint32_t order;  // creation order: runs are written oldest first
  pkt_info head;
  uint32_t next_seq;
  size_t gso_size;
  size_t total_payload;
  size_t last_len;
  int psh;
  uint32_t nseg;
  const uint8_t *payload[COALESCE_MAX_SEGMENTS];
  size_t payload_len[COALESCE_MAX_SEGMENTS];
} run_t;

// Everything about `p` that must equal the run's head for `p` to be merged into it (flags need no
// check here: classify() admits only ACK, with PSH, which ends the run).
static int can_extend(const run_t *r, const pkt_info *p) {
  const pkt_info *h = &r->head;
  if (r->psh || r->nseg >= COALESCE_MAX_SEGMENTS || r->last_len != r->gso_size) return 0;
  if (p->seq != r->next_seq || p->payload_len > r->gso_size || p->thl != h->thl) return 0;
  if (h->iphl + h->thl + r->total_payload + p->payload_len > 65535) return 0;
  if (h->v6) {
    if (memcmp(h->ip, p->ip, 4) != 0 || h->ip[7] != p->ip[7]) return 0;  // class, flow label, hops
  } else if (h->ip[1] != p->ip[1] || h->ip[8] != p->ip[8]) {
    return 0;  // TOS (incl. ECN CE), TTL
  }
  if (memcmp(h->tcp + 8, p->tcp + 8, 4) != 0) return 0;  // ACK number
  return memcmp(h->tcp + 20, p->tcp + 20, h->thl - 20) == 0;  // options (timestamps)
}

typedef struct {
  coalesce_emit_fn emit;
  void *ctx;
  coalesce_result *out;
} sink_t;

// Counts one write of `frames` input frames: written, or dropped with its errno.
static void count_write(sink_t *s, int e, uint32_t frames, size_t bytes, int merged) {
  if (e) {
    s->out->dropped += frames;
    s->out->last_errno = e;
    return;
  }
  s->out->frames_written += frames;
  s->out->bytes_written += (uint32_t)bytes;
  s->out->writes++;
  if (merged) s->out->coalesced_frames += frames;
}

static void emit_plain(sink_t *s, const uint8_t *frame, size_t len) {
  struct iovec iov[2] = {{(void *)zero_vnet_hdr, VNET_HDR_LEN}, {(void *)frame, len}};
  count_write(s, s->emit(s->ctx, iov, 2, 1), 1, len, 0);
}

static void flush_run(sink_t *s, run_t *r, size_t l2) {
  if (!r->used) return;
  r->used = 0;
  const pkt_info *h = &r->head;
  if (r->nseg == 1) {
    emit_plain(s, h->frame, h->len);
    return;
  }
  // The merged packet: the head's headers with the new lengths, then every payload in order.
  uint8_t hdr[14 + 60 + 60];
  uint8_t vnet[VNET_HDR_LEN];
  size_t hdr_len = l2 + h->iphl + h->thl;
  memcpy(hdr, h->frame, hdr_len);
  uint8_t *ip = hdr + l2;
  uint8_t *tcp = ip + h->iphl;
  uint32_t l4_len = (uint32_t)(h->thl + r->total_payload);
  if (h->v6) {
    put_be16(ip + 4, (uint16_t)l4_len);
  } else {
    put_be16(ip + 2, (uint16_t)(h->iphl + l4_len));
    ip[10] = ip[11] = 0;
    uint16_t c = (uint16_t)~fold(sum_bytes(0, ip, h->iphl));
    memcpy(ip + 10, &c, 2);
  }
  if (r->psh) tcp[13] |= TCP_PSH;
  // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel adds the rest if it
  // ever needs the checksum (forwarding), the local receiver trusts our verification.
  uint16_t ps = fold(pseudo_sum(ip, h->v6, l4_len));
  memcpy(tcp + 16, &ps, 2);
  vnet[0] = VNET_F_NEEDS_CSUM;
  vnet[1] = h->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
  put_le16(vnet + 2, (uint16_t)hdr_len);
  put_le16(vnet + 4, (uint16_t)r->gso_size);
  put_le16(vnet + 6, (uint16_t)(l2 + h->iphl));
  put_le16(vnet + 8, 16);  // offsetof(struct tcphdr, check)
  struct iovec iov[COALESCE_MAX_SEGMENTS + 2];
  iov[0].iov_base = vnet;
  iov[0].iov_len = VNET_HDR_LEN;
  iov[1].iov_base = hdr;
  iov[1].iov_len = hdr_len;
  size_t bytes = 0;
  for (uint32_t i = 0; i < r->nseg; i++) {
    iov[2 + i].iov_base = (void *)r->payload[i];
    iov[2 + i].iov_len = r->payload_len[i];
    bytes += hdr_len + r->payload_len[i];
  }
  int e = s->emit(s->ctx, iov, (int)(2 + r->nseg), r->nseg);
  if (e == EINVAL) {
    // The kernel refused the GSO write (a kernel without it, or one with a regression there): the
    // segments go out one by one as they came, and the caller stops merging.
    s->out->gso_refused++;
    for (uint32_t i = 0; i < r->nseg; i++)
      emit_plain(s, r->payload[i] - hdr_len, hdr_len + r->payload_len[i]);
    return;
  }
  count_write(s, e, r->nseg, bytes, 1);
}

static void start_run(run_t *r, const pkt_info *p, uint32_t order) {
  r->used = 1;
  r->order = order;
  r->head = *p;
  r->gso_size = p->payload_len;
  r->total_payload = p->payload_len;
  r->last_len = p->payload_len;
  r->next_seq = p->seq + (uint32_t)p->payload_len;
  r->psh = (p->tcp[13] & TCP_PSH) != 0;
  r->nseg = 1;
  r->payload[0] = p->tcp + p->thl;
  r->payload_len[0] = p->payload_len;
}

static void extend_run(run_t *r, const pkt_info *p) {
  r->payload[r->nseg] = p->tcp + p->thl;
  r->payload_len[r->nseg] = p->payload_len;
  r->nseg++;
  r->total_payload += p->payload_len;
  r->last_len = p->payload_len;
  r->next_seq += (uint32_t)p->payload_len;
  r->psh = (p->tcp[13] & TCP_PSH) != 0;
}

static void flush_all(sink_t *s, run_t *runs, size_t l2) {
  for (;;) {
    run_t *oldest = NULL;
    for (int i = 0; i < COALESCE_MAX_RUNS; i++)
      if (runs[i].used && (!oldest || runs[i].order < oldest->order)) oldest = &runs[i];
    if (!oldest) return;
    flush_run(s, oldest, l2);
  }
}

void coalesce_batch(const coalesce_frame *frames, uint32_t n, size_t l2, coalesce_emit_fn emit, void *ctx,
                    coalesce_result *out) {
  run_t runs[COALESCE_MAX_RUNS];
  sink_t s = {emit, ctx, out};
  uint32_t order = 0;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < COALESCE_MAX_RUNS; i++) runs[i].used = 0;
  for (uint32_t i = 0; i < n; i++) {
    pkt_info p;
    pkt_class c = classify(frames[i].data, frames[i].len, l2, &p);
    if (c == PKT_OTHER) {
      emit_plain(&s, frames[i].data, frames[i].len);
      continue;
    }
    if (c == PKT_OPAQUE) {
      flush_all(&s, runs, l2);
      emit_plain(&s, frames[i].data, frames[i].len);
      continue;
    }
    run_t *mine = NULL;
    for (int j = 0; j < COALESCE_MAX_RUNS && !mine; j++)
      if (runs[j].used && same_flow(&runs[j].head, &p, l2)) mine = &runs[j];
    if (c == PKT_TCP) {
      if (mine) flush_run(&s, mine, l2);
      emit_plain(&s, frames[i].data, frames[i].len);
      continue;
    }
    if (mine && can_extend(mine, &p)) {
      extend_run(mine, &p);
      continue;
    }
    if (mine) {
      flush_run(&s, mine, l2);
    } else {
      for (int j = 0; j < COALESCE_MAX_RUNS && !mine; j++)
        if (!runs[j].used) mine = &runs[j];
      if (!mine) {
        mine = &runs[0];
        for (int j = 1; j < COALESCE_MAX_RUNS; j++)
          if (runs[j].order < mine->order) mine = &runs[j];
        flush_run(&s, mine, l2);
      }
    }
    start_run(mine, &p, order++);
  }
  flush_all(&s, runs, l2);
}

int complete_partial_checksum(uint8_t *pkt, size_t len, size_t start, size_t offset) {
  if (start >= len || offset + 2 > len - start) return -1;
  uint16_t c = (uint16_t)~fold(sum_bytes(0, pkt + start, len - start));
  memcpy(pkt + start + offset, &c, 2);
  return 0;
}

