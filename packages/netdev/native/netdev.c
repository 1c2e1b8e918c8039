// Native half of @rtcmesh/netdev: open a TAP/TUN device and move frames on the
// main libuv loop (uv_poll = epoll), never on the libuv thread pool.
//
// Why native: Node's public API has no way to watch an arbitrary fd for readability
// (net.Socket refuses a character device: 'Unsupported fd type: FILE'), and fs.read on
// the fd occupies a thread-pool slot per read, which starves DNS/fs/crypto users.
// uv_poll is level-triggered epoll on the loop thread; on each readable event we read
// up to `maxBatch` frames (or until EAGAIN) and hand them to JS in ONE callback.
//
// Exports:
//   open(name, isTap, netnsPath|null, vnetHdr, offload) -> { fd, name, existed, offload }
//     offload: TUN_F_* flags the kernel accepted (TUNSETOFFLOAD), 0 when off or refused
//   NativeDevice(fd, readBufSize, maxBatch, onFrames, onWritable, onError, vnetHdr, l2Len, offload)
//     .offloadCounters(out: Float64Array(4)) -> [superPackets, segments, invalid, offloadOff]
//     .disableOffload() -> errno (0: the kernel now segments and checksums itself again)
//     .setReading(bool) .setWantWritable(bool) .write(u8) -> bytes | -errno
//     .writeMany(u8[], start) -> count written (stops at first EAGAIN/error; see lastWriteErrno)
//     .writeCoalesced(u8[], out: Uint32Array(6)) -> errno of the last failed write, 0 if none;
//       out = [framesWritten, bytesWritten, writes, coalescedFrames, dropped, gsoRefused] (coalesce.h)
//     .lastWriteErrno() -> errno of the failure that stopped writeMany, 0 if none
//     .close()
//   errnoName(n) -> 'EPERM' etc.
//   openNetlink(protocol, groups) -> fd (a bound, non-blocking netlink socket)
//   raiseUdpBuffers(bytes) -> how many of this process's UDP sockets now have receive and send
//     buffers of at least `bytes` (SO_RCVBUFFORCE/SO_SNDBUFFORCE with CAP_NET_ADMIN, else capped by
//     net.core.rmem_max/wmem_max)
//   coalescePreview(u8[], l2Len) -> Buffer[]: what writeCoalesced would write (virtio-net header
//     + packet per write), for tests.
//   segmentPreview(u8 virtio-net header + packet, l2Len) -> Buffer[] | negative segment_error:
//     what a read of that would deliver (segment.h), for tests.
//
// With vnetHdr (IFF_VNET_HDR) every read starts with a virtio-net header and every write gets one.
// Without offloads the header of a read is stripped (a partial checksum completed first); with
// offloads (checksum, TSO4/6, USO) a read may hold a GSO packet of up to 64 KiB, which is split
// into plain packets here (segment.h) before JS sees it.

#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <dirent.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "coalesce.h"
#include "csum.h"
#include "segment.h"

#define CHECK(call)                                                                                          \
  do {                                                                                                       \
    napi_status status_ = (call);                                                                            \
    if (status_ != napi_ok) {                                                                                \
      napi_throw_error(env, "ERR_NETDEV_NAPI", "N-API call failed: " #call);                                 \
      return NULL;                                                                                           \
    }                                                                                                        \
  } while (0)

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EBADFD: return "EBADFD";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case EEXIST: return "EEXIST";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOTTY: return "ENOTTY";
    default: return "EUNKNOWN";
  }
}

// Throws an Error with .code (errno name), .errno and .syscall, for the TS layer to map.
static void throw_errno(napi_env env, int e, const char *syscall) {
  napi_value msg, code, err, num, sc;
  char text[160];
  snprintf(text, sizeof text, "%s failed: %s (%s)", syscall, strerror(e), errno_name(e));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &err);
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  napi_throw(env, err);
}

// ---------------------------------------------------------------------------------------------
// open(name, isTap, netnsPath|null)

// Offloads asked of the kernel, most first: USO needs Linux 6.2; a kernel that does not know a flag
// refuses the whole set with EINVAL, so the next smaller set is tried.
static const unsigned long offload_sets[] = {
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | 0x20 /* TUN_F_USO4 */ | 0x40 /* TUN_F_USO6 */,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
    TUN_F_CSUM,
};

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool vnet_hdr = false;
  bool want_offload = false;
  if (argc >= 4) CHECK(napi_get_value_bool(env, argv[3], &vnet_hdr));
  if (argc >= 5) CHECK(napi_get_value_bool(env, argv[4], &want_offload));
  unsigned long offload = 0;
  char name[IFNAMSIZ + 1];
  size_t name_len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len));
  if (name_len >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "interface name too long");
    return NULL;
  }
  bool is_tap = false;
  CHECK(napi_get_value_bool(env, argv[1], &is_tap));
  char nspath[4096];
  nspath[0] = 0;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[2], &t));
  if (t == napi_string) {
    size_t l = 0;
    CHECK(napi_get_value_string_utf8(env, argv[2], nspath, sizeof nspath, &l));
  }

  // Entering a network namespace is per thread; we switch the loop thread in and out
  // around open+ioctl only. The tun fd stays bound to the namespace it was created in.
  int self_ns = -1;
  if (nspath[0]) {
    self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_ns < 0) {
      throw_errno(env, errno, "open(/proc/thread-self/ns/net)");
      return NULL;
    }
    int target = open(nspath, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      int e = errno;
      close(self_ns);
      throw_errno(env, e, "open(netns)");
      return NULL;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
      int e = errno;
      close(target);
      close(self_ns);
      throw_errno(env, e, "setns");
      return NULL;
    }
    close(target);
  }

  int err = 0;
  const char *failed = NULL;
  bool existed = strchr(name, '%') == NULL && name[0] != 0 && if_nametoindex(name) != 0;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  struct ifreq ifr;
  if (fd < 0) {
    err = errno;
    failed = "open(/dev/net/tun)";
  } else {
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = (is_tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
    memcpy(ifr.ifr_name, name, name_len);
    int hdr_sz = VNET_HDR_LEN;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
      err = errno;
      failed = "ioctl(TUNSETIFF)";
    } else if (vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0) {
      err = errno;
      failed = "ioctl(TUNSETVNETHDRSZ)";
    } else if (vnet_hdr) {
      // Offloads towards us when asked for (and the kernel takes them): reads may be GSO packets,
      // split in segment.c. Otherwise none: the kernel segments and checksums what it sends to the
      // device, so reads are plain packets; our writes use GSO either way.
      if (want_offload) {
        for (size_t i = 0; i < sizeof offload_sets / sizeof offload_sets[0]; i++) {
          if (ioctl(fd, TUNSETOFFLOAD, offload_sets[i]) == 0) {
            offload = offload_sets[i];
            break;
          }
        }
      }
      if (!offload && ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
        err = errno;
        failed = "ioctl(TUNSETOFFLOAD)";
      }
    }
    if (failed) {
      close(fd);
      fd = -1;
    }
  }

  if (self_ns >= 0) {
    if (setns(self_ns, CLONE_NEWNET) < 0) {
      // The loop thread is stuck in the wrong namespace: nothing after this is safe.
      napi_fatal_error("netdev", NAPI_AUTO_LENGTH, "setns back to the original network namespace failed",
                       NAPI_AUTO_LENGTH);
    }
    close(self_ns);
  }
  if (fd < 0) {
    throw_errno(env, err, failed);
    return NULL;
  }

  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &v));
  CHECK(napi_set_named_property(env, result, "name", v));
  CHECK(napi_get_boolean(env, existed, &v));
  CHECK(napi_set_named_property(env, result, "existed", v));
  CHECK(napi_create_uint32(env, (uint32_t)offload, &v));
  CHECK(napi_set_named_property(env, result, "offload", v));
  return result;
}

// ---------------------------------------------------------------------------------------------
// NativeDevice

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  bool closed;
  bool reading;
  bool want_writable;
  bool poll_active;
  bool vnet_hdr;
  bool offload;  // reads may be GSO packets (TUNSETOFFLOAD was accepted)
  size_t l2_len;
  // Offload counters: GSO packets read, segments made of them, reads refused as invalid, and
  // whether offloads were turned off at run time after invalid reads.
  double super_packets;
  double segments;
  double invalid;
  uint32_t invalid_in_a_row;
  bool offload_off;
  int last_write_errno;
  size_t buf_size;
  uint32_t max_batch;
  unsigned char *buf;
  napi_ref self;  // strong while open: an active poll must not be collected
  napi_ref on_frames;
  napi_ref on_writable;
  napi_ref on_error;
  napi_async_context async_ctx;
} Device;

static void call_js(Device *d, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = d->env;
  napi_value fn, recv, result;
  napi_get_reference_value(env, fn_ref, &fn);
  napi_get_global(env, &recv);  // napi_make_callback needs an object receiver
  // napi_make_callback runs the microtask queue afterwards, like any libuv-driven callback.
  napi_status s = napi_make_callback(env, d->async_ctx, recv, fn, argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);  // -> process 'uncaughtException', like an EventEmitter throw
  }
}

static void report_error(Device *d, int e, const char *syscall) {
  napi_env env = d->env;
  napi_value code, num, sc;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, e, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_value argv[3] = {code, num, sc};
  call_js(d, d->on_error, 3, argv);
}

static void update_poll(Device *d);

typedef struct {
  napi_env env;
  napi_value arr;
  uint32_t count;
} read_ctx;

// One JS Buffer per segment, written in place by segment_packet.
static uint8_t *alloc_segment(void *ctx, size_t len) {
  read_ctx *rc = ctx;
  void *data;
  napi_value buf;
  if (napi_create_buffer(rc->env, len, &data, &buf) != napi_ok) return NULL;
  if (napi_set_element(rc->env, rc->arr, rc->count, buf) != napi_ok) return NULL;
  rc->count++;
  return data;
}

// Reads the kernel gives us that we cannot take (it is the kernel's word against our parser: a
// regression in either) are dropped; if they keep coming, offloads go off for good on this device
// and the kernel segments and checksums again, so traffic flows at the plain path's speed.
#define OFFLOAD_INVALID_LIMIT 16
static void offload_refused(Device *d) {
  if (++d->invalid_in_a_row < OFFLOAD_INVALID_LIMIT || d->offload_off) return;
  if (ioctl(d->fd, TUNSETOFFLOAD, 0UL) == 0) d->offload_off = true;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Device *d = (Device *)handle->data;
  if (d->closed) return;
  napi_env env = d->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (status < 0) {
    d->reading = false;
    d->want_writable = false;
    update_poll(d);
    report_error(d, -status, "uv_poll");
    napi_close_handle_scope(env, scope);
    return;
  }
  if ((events & UV_READABLE) && d->reading) {
    napi_value arr;
    napi_create_array(env, &arr);
    uint32_t count = 0;
    int read_err = 0;
    while (count < d->max_batch) {
      ssize_t n = read(d->fd, d->buf, d->buf_size);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) read_err = errno;
        break;
      }
      if (n == 0) break;
      unsigned char *pkt = d->buf;
      if (d->offload) {
        if (n <= VNET_HDR_LEN) continue;
        read_ctx rc = {env, arr, count};
        int segs = segment_packet(pkt, pkt + VNET_HDR_LEN, (size_t)n - VNET_HDR_LEN, d->l2_len, alloc_segment, &rc);
        count = rc.count;
        if (segs < 0) {
          d->invalid++;
          offload_refused(d);
        } else {
          d->invalid_in_a_row = 0;
          if (pkt[1] != VNET_GSO_NONE) {
            d->super_packets++;
            d->segments += segs;
          }
        }
        continue;
      }
      if (d->vnet_hdr) {
        // Offloads are off, so GSO never comes; a partial checksum would only come from a kernel
        // that ignores that, and is completed rather than passed on wrong.
        if (n <= VNET_HDR_LEN || pkt[1] != VNET_GSO_NONE) continue;
        if ((pkt[0] & VNET_F_NEEDS_CSUM) &&
            complete_partial_checksum(pkt + VNET_HDR_LEN, (size_t)n - VNET_HDR_LEN,
                                      (size_t)(pkt[6] | (pkt[7] << 8)), (size_t)(pkt[8] | (pkt[9] << 8))) < 0)
          continue;
        pkt += VNET_HDR_LEN;
        n -= VNET_HDR_LEN;
      }
      napi_value frame;
      void *data;
      if (napi_create_buffer_copy(env, (size_t)n, pkt, &data, &frame) != napi_ok) break;
      napi_set_element(env, arr, count++, frame);
    }
    if (count > 0) call_js(d, d->on_frames, 1, &arr);
    if (read_err && !d->closed) {
      d->reading = false;
      update_poll(d);
      report_error(d, read_err, "read");
    }
  }
  if (!d->closed && (events & UV_WRITABLE) && d->want_writable) {
    call_js(d, d->on_writable, 0, NULL);
  }
  napi_close_handle_scope(env, scope);
}

static void update_poll(Device *d) {
  if (d->closed) return;
  int events = (d->reading ? UV_READABLE : 0) | (d->want_writable ? UV_WRITABLE : 0);
  if (events == 0) {
    if (d->poll_active) uv_poll_stop(&d->poll);
    d->poll_active = false;
  } else {
    uv_poll_start(&d->poll, events, on_poll);
    d->poll_active = true;
  }
}

static void free_device(uv_handle_t *handle) {
  Device *d = (Device *)handle->data;
  free(d->buf);
  free(d);
}

static void release_device(Device *d) {
  if (d->closed) return;
  d->closed = true;
  napi_env env = d->env;
  uv_poll_stop(&d->poll);
  close(d->fd);
  d->fd = -1;
  napi_delete_reference(env, d->on_frames);
  napi_delete_reference(env, d->on_writable);
  napi_delete_reference(env, d->on_error);
  napi_async_destroy(env, d->async_ctx);
  napi_delete_reference(env, d->self);
  uv_close((uv_handle_t *)&d->poll, free_device);
}

static void finalize_device(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  // Only reached after close() (the strong self-reference keeps an open device alive);
  // memory is freed by uv_close's callback.
  (void)data;
}

static Device *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  Device *d = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, (void **)&d) != napi_ok || d == NULL) {
    napi_throw_error(env, "ERR_NETDEV_NAPI", "not a NativeDevice");
    return NULL;
  }
  return d;
}

static napi_value device_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t fd, buf_size;
  uint32_t max_batch, l2_len = 0;
  bool vnet_hdr = false, offload = false;
  if (argc >= 8) {
    CHECK(napi_get_value_bool(env, argv[6], &vnet_hdr));
    CHECK(napi_get_value_uint32(env, argv[7], &l2_len));
  }
  if (argc >= 9) CHECK(napi_get_value_bool(env, argv[8], &offload));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &buf_size));
  CHECK(napi_get_value_uint32(env, argv[2], &max_batch));
  if (fd < 0 || buf_size < 64 || buf_size > 262144 || max_batch < 1 || (l2_len != 0 && l2_len != 14) ||
      (offload && !vnet_hdr)) {
    napi_throw_range_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "bad NativeDevice arguments");
    return NULL;
  }
  Device *d = calloc(1, sizeof(Device));
  if (!d) {
    throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  d->buf = malloc((size_t)buf_size);
  if (!d->buf) {
    free(d);
    throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  d->env = env;
  d->fd = fd;
  d->buf_size = (size_t)buf_size;
  d->max_batch = max_batch;
  d->vnet_hdr = vnet_hdr;
  d->offload = offload;
  d->l2_len = l2_len;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &d->poll, fd);
  if (r < 0) {
    free(d->buf);
    free(d);
    throw_errno(env, -r, "uv_poll_init");
    return NULL;
  }
  d->poll.data = d;
  CHECK(napi_create_reference(env, argv[3], 1, &d->on_frames));
  CHECK(napi_create_reference(env, argv[4], 1, &d->on_writable));
  CHECK(napi_create_reference(env, argv[5], 1, &d->on_error));
  napi_value res_name;
  CHECK(napi_create_string_utf8(env, "NetDevice", NAPI_AUTO_LENGTH, &res_name));
  CHECK(napi_async_init(env, NULL, res_name, &d->async_ctx));
  CHECK(napi_wrap(env, self, d, finalize_device, NULL, NULL));
  CHECK(napi_create_reference(env, self, 1, &d->self));
  return self;
}

static napi_value device_set_reading(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  bool on = false;
  CHECK(napi_get_value_bool(env, argv[0], &on));
  if (!d->closed) {
    d->reading = on;
    update_poll(d);
  }
  return NULL;
}

static napi_value device_set_want_writable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  bool on = false;
  CHECK(napi_get_value_bool(env, argv[0], &on));
  if (!d->closed) {
    d->want_writable = on;
    update_poll(d);
  }
  return NULL;
}

static int write_one(Device *d, napi_env env, napi_value v, ssize_t *out) {
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok ||
      type != napi_uint8_array) {
    return EINVAL;
  }
  struct iovec iov[2] = {{(void *)zero_vnet_hdr, VNET_HDR_LEN}, {data, length}};
  for (;;) {
    ssize_t n = d->vnet_hdr ? writev(d->fd, iov, 2) : write(d->fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    *out = d->vnet_hdr && n >= VNET_HDR_LEN ? n - VNET_HDR_LEN : n;
    return 0;
  }
}

// Frames of one batch as coalesce_frame views (the JS array keeps the buffers alive for the call).
// Returns the count, or -1 with a JS exception pending.
static int64_t batch_views(napi_env env, napi_value arr, coalesce_frame **out) {
  uint32_t len = 0;
  if (napi_get_array_length(env, arr, &len) != napi_ok) return -1;
  coalesce_frame *v = calloc(len ? len : 1, sizeof *v);
  if (!v) {
    throw_errno(env, ENOMEM, "calloc");
    return -1;
  }
  for (uint32_t i = 0; i < len; i++) {
    napi_value el, ab;
    napi_typedarray_type type;
    size_t length, offset;
    void *data;
    if (napi_get_element(env, arr, i, &el) != napi_ok ||
        napi_get_typedarray_info(env, el, &type, &length, &data, &ab, &offset) != napi_ok ||
        type != napi_uint8_array) {
      free(v);
      napi_throw_type_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "frames must be Uint8Arrays");
      return -1;
    }
    v[i].data = data;
    v[i].len = length;
  }
  *out = v;
  return len;
}

static int emit_writev(void *ctx, const struct iovec *iov, int iovcnt, uint32_t frames) {
  Device *d = ctx;
  (void)frames;
  for (;;) {
    ssize_t n = writev(d->fd, iov, iovcnt);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? errno : 0;
  }
}

// writeCoalesced(frames, out) -> errno of the last failed write (0 if none). Needs vnetHdr.
static napi_value device_write_coalesced(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  napi_typedarray_type type;
  size_t out_len, offset;
  void *out_data;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &out_len, &out_data, &ab, &offset));
  if (type != napi_uint32_array || out_len < 6 || !d->vnet_hdr) {
    napi_throw_type_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "writeCoalesced needs a vnet-header device and a Uint32Array(6)");
    return NULL;
  }
  uint32_t *o = out_data;
  coalesce_result r;
  memset(&r, 0, sizeof r);
  if (d->closed) {
    r.last_errno = EBADF;
  } else {
    coalesce_frame *frames = NULL;
    int64_t n = batch_views(env, argv[0], &frames);
    if (n < 0) return NULL;
    coalesce_batch(frames, (uint32_t)n, d->l2_len, emit_writev, d, &r);
    free(frames);
  }
  o[0] = r.frames_written;
  o[1] = r.bytes_written;
  o[2] = r.writes;
  o[3] = r.coalesced_frames;
  o[4] = r.dropped;
  o[5] = r.gso_refused;
  CHECK(napi_create_int32(env, r.last_errno, &result));
  return result;
}

typedef struct {
  napi_env env;
  napi_value arr;
  uint32_t count;
} preview_ctx;

static int emit_preview(void *ctx, const struct iovec *iov, int iovcnt, uint32_t frames) {
  preview_ctx *p = ctx;
  (void)frames;
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
  void *data;
  napi_value buf;
  if (napi_create_buffer(p->env, total, &data, &buf) != napi_ok) return ENOMEM;
  unsigned char *w = data;
  for (int i = 0; i < iovcnt; i++) {
    memcpy(w, iov[i].iov_base, iov[i].iov_len);
    w += iov[i].iov_len;
  }
  napi_set_element(p->env, p->arr, p->count++, buf);
  return 0;
}

static napi_value js_coalesce_preview(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t l2_len = 0;
  CHECK(napi_get_value_uint32(env, argv[1], &l2_len));
  if (l2_len != 0 && l2_len != 14) {
    napi_throw_range_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "l2Len must be 0 or 14");
    return NULL;
  }
  coalesce_frame *frames = NULL;
  int64_t n = batch_views(env, argv[0], &frames);
  if (n < 0) return NULL;
  preview_ctx p = {env, NULL, 0};
  napi_create_array(env, &p.arr);
  coalesce_result r;
  coalesce_batch(frames, (uint32_t)n, l2_len, emit_preview, &p, &r);
  free(frames);
  return p.arr;
}

// write(u8) -> bytes written, or -errno (EAGAIN: try again when writable).
static napi_value device_write(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  if (d->closed) {
    CHECK(napi_create_int32(env, -EBADF, &result));
    return result;
  }
  ssize_t n = 0;
  int e = write_one(d, env, argv[0], &n);
  CHECK(napi_create_int32(env, e ? -e : (int32_t)n, &result));
  return result;
}

// writeMany(frames, start) -> how many frames from `start` were written; stops at the first
// failure and records its errno (lastWriteErrno). One N-API crossing for a whole batch.
static napi_value device_write_many(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  uint32_t len = 0, start = 0, i;
  CHECK(napi_get_array_length(env, argv[0], &len));
  CHECK(napi_get_value_uint32(env, argv[1], &start));
  d->last_write_errno = d->closed ? EBADF : 0;
  for (i = start; i < len && !d->closed; i++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[0], i, &v));
    ssize_t n = 0;
    int e = write_one(d, env, v, &n);
    if (e) {
      d->last_write_errno = e;
      break;
    }
  }
  CHECK(napi_create_uint32(env, i - start, &result));
  return result;
}

static napi_value device_offload_counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  napi_typedarray_type type;
  size_t len, offset;
  void *data;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset));
  if (type != napi_float64_array || len < 4) {
    napi_throw_type_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "offloadCounters needs a Float64Array(4)");
    return NULL;
  }
  double *o = data;
  o[0] = d->super_packets;
  o[1] = d->segments;
  o[2] = d->invalid;
  o[3] = d->offload_off ? 1 : 0;
  return NULL;
}

// disableOffload() -> errno of TUNSETOFFLOAD(0), 0 on success. Reads stay split-aware (a GSO packet
// already queued in the kernel is still segmented here).
static napi_value device_disable_offload(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  Device *d = unwrap(env, info, &argc, NULL);
  if (!d) return NULL;
  int e = 0;
  if (!d->closed && d->offload && !d->offload_off) {
    if (ioctl(d->fd, TUNSETOFFLOAD, 0UL) == 0)
      d->offload_off = true;
    else
      e = errno;
  }
  CHECK(napi_create_int32(env, e, &result));
  return result;
}

static napi_value js_segment_preview(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t l2_len = 0;
  CHECK(napi_get_value_uint32(env, argv[1], &l2_len));
  napi_typedarray_type type;
  size_t len, offset;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset) != napi_ok ||
      type != napi_uint8_array || (l2_len != 0 && l2_len != 14)) {
    napi_throw_type_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "segmentPreview(Uint8Array, 0 | 14)");
    return NULL;
  }
  if (len < VNET_HDR_LEN) {
    CHECK(napi_create_int32(env, SEGMENT_BAD_HEADER, &result));
    return result;
  }
  read_ctx rc = {env, NULL, 0};
  CHECK(napi_create_array(env, &rc.arr));
  const uint8_t *in = data;
  int r = segment_packet(in, in + VNET_HDR_LEN, len - VNET_HDR_LEN, l2_len, alloc_segment, &rc);
  if (r < 0) {
    CHECK(napi_create_int32(env, r, &result));
    return result;
  }
  return rc.arr;
}

// gsoSelfTest(dstMac: Uint8Array(6) | null) -> errno of one GSO write (0: the kernel took it).
// The packet is a two-segment TCP/IPv4 GSO packet from 192.0.2.1 (TEST-NET-1) to 127.0.0.1: a
// loopback destination arriving on any other device is a martian, dropped by the kernel before
// routing, so nothing is delivered or forwarded. On a TAP the frame is addressed to the TAP's own
// MAC (a bridge delivers that to its own stack, never to another port).
static napi_value device_gso_self_test(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  Device *d = unwrap(env, info, &argc, argv);
  if (!d) return NULL;
  uint8_t mac[6] = {0};
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[0], &t));
  if (t == napi_object) {
    napi_typedarray_type type;
    size_t len, offset;
    void *data;
    napi_value ab;
    CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset));
    if (type == napi_uint8_array && len == 6) memcpy(mac, data, 6);
  }
  int e = EBADF;
  if (!d->closed && d->vnet_hdr) {
    uint8_t pkt[14 + 20 + 20 + 200];
    size_t l2 = d->l2_len;
    memset(pkt, 0, sizeof pkt);
    if (l2) {
      memcpy(pkt, mac, 6);
      pkt[6] = 0x02;  // a locally administered source
      pkt[11] = 0x01;
      put_be16(pkt + 12, 0x0800);
    }
    uint8_t *ip = pkt + l2;
    size_t total = 20 + 20 + 200;
    ip[0] = 0x45;
    put_be16(ip + 2, (uint16_t)total);
    put_be16(ip + 6, 0x4000);
    ip[8] = 1;  // TTL 1: not even a misconfigured kernel would forward it far
    ip[9] = 6;
    ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = 1;
    ip[16] = 127, ip[19] = 1;
    ipv4_header_checksum(ip, 20);
    uint8_t *tcp = ip + 20;
    put_be16(tcp, 9);
    put_be16(tcp + 2, 9);
    put_be32(tcp + 4, 1);
    tcp[12] = 5 << 4;
    tcp[13] = 0x10;  // ACK
    put_be16(tcp + 14, 1024);
    uint16_t ps = fold(pseudo_sum_proto(ip, 0, 6, 20 + 200));
    memcpy(tcp + 16, &ps, 2);
    uint8_t vnet[VNET_HDR_LEN];
    vnet[0] = VNET_F_NEEDS_CSUM;
    vnet[1] = VNET_GSO_TCPV4;
    put_le16(vnet + 2, (uint16_t)(l2 + 40));
    put_le16(vnet + 4, 100);
    put_le16(vnet + 6, (uint16_t)(l2 + 20));
    put_le16(vnet + 8, 16);
    struct iovec iov[2] = {{vnet, VNET_HDR_LEN}, {pkt, l2 + total}};
    ssize_t n;
    do n = writev(d->fd, iov, 2);
    while (n < 0 && errno == EINTR);
    e = n < 0 ? errno : 0;
  }
  CHECK(napi_create_int32(env, e, &result));
  return result;
}

static napi_value device_last_write_errno(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  Device *d = unwrap(env, info, &argc, NULL);
  if (!d) return NULL;
  CHECK(napi_create_int32(env, d->last_write_errno, &result));
  return result;
}

static napi_value device_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *d = unwrap(env, info, &argc, NULL);
  if (!d) return NULL;
  release_device(d);
  return NULL;
}

static napi_value js_errno_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t e = 0;
  CHECK(napi_get_value_int32(env, argv[0], &e));
  CHECK(napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &result));
  return result;
}

// Raises one socket buffer to `bytes` unless it is that large already (the kernel reports twice
// what was set). FORCE ignores net.core.{r,w}mem_max and needs CAP_NET_ADMIN, which the agent has.
static int raise_buffer(int fd, int get_opt, int force_opt, int plain_opt, int bytes) {
  int cur = 0;
  socklen_t l = sizeof cur;
  if (getsockopt(fd, SOL_SOCKET, get_opt, &cur, &l) == 0 && cur >= 2 * bytes) return 1;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) == 0) return 1;
  setsockopt(fd, SOL_SOCKET, plain_opt, &bytes, sizeof bytes);
  l = sizeof cur;
  return getsockopt(fd, SOL_SOCKET, get_opt, &cur, &l) == 0 && cur >= 2 * bytes;
}

static napi_value js_raise_udp_buffers(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t bytes = 0;
  CHECK(napi_get_value_int32(env, argv[0], &bytes));
  if (bytes < 4096 || bytes > (64 << 20)) {
    napi_throw_range_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "bytes must be 4 KiB..64 MiB");
    return NULL;
  }
  uint32_t raised = 0;
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    int self = dirfd(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
      char *end = NULL;
      long fd = strtol(e->d_name, &end, 10);
      if (!end || *end || fd < 0 || fd == self) continue;
      int type = 0, domain = 0;
      socklen_t l = sizeof type;
      if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 || type != SOCK_DGRAM) continue;
      l = sizeof domain;
      if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) != 0 ||
          (domain != AF_INET && domain != AF_INET6))
        continue;
      int ok = raise_buffer((int)fd, SO_RCVBUF, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
      ok &= raise_buffer((int)fd, SO_SNDBUF, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
      if (ok) raised++;
    }
    closedir(dir);
  }
  CHECK(napi_create_uint32(env, raised, &result));
  return result;
}

// limitMallocArenas(n) -> true when glibc took it. glibc gives each thread that meets contention
// its own malloc arena (up to 8 per core), each keeping freed memory; a process whose native
// threads (libdatachannel, libuv) allocate per packet grows RSS that way. Call before threads start.
static napi_value js_limit_malloc_arenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t n = 0;
  CHECK(napi_get_value_int32(env, argv[0], &n));
  bool ok = false;
#ifdef M_ARENA_MAX
  if (n >= 1 && n <= 64) ok = mallopt(M_ARENA_MAX, n) == 1;
#endif
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

// openNetlink(protocol, groups) -> fd: a non-blocking NETLINK_* socket bound to `groups`
// (RTMGRP_NEIGH and the like), its receive buffer raised to 4 MiB so a burst of events does not
// overflow it (ENOBUFS: the reader dumps again). Read and write it with NativeDevice.
static napi_value js_open_netlink(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t protocol = 0, groups = 0;
  CHECK(napi_get_value_uint32(env, argv[0], &protocol));
  CHECK(napi_get_value_uint32(env, argv[1], &groups));
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)protocol);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_NETLINK)");
    return NULL;
  }
  int size = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_nl addr;
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind(AF_NETLINK)");
    return NULL;
  }
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"setReading", NULL, device_set_reading, NULL, NULL, NULL, napi_default, NULL},
      {"setWantWritable", NULL, device_set_want_writable, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, device_write, NULL, NULL, NULL, napi_default, NULL},
      {"writeMany", NULL, device_write_many, NULL, NULL, NULL, napi_default, NULL},
      {"writeCoalesced", NULL, device_write_coalesced, NULL, NULL, NULL, napi_default, NULL},
      {"lastWriteErrno", NULL, device_last_write_errno, NULL, NULL, NULL, napi_default, NULL},
      {"offloadCounters", NULL, device_offload_counters, NULL, NULL, NULL, napi_default, NULL},
      {"disableOffload", NULL, device_disable_offload, NULL, NULL, NULL, napi_default, NULL},
      {"gsoSelfTest", NULL, device_gso_self_test, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, device_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  CHECK(napi_define_class(env, "NativeDevice", NAPI_AUTO_LENGTH, device_ctor, NULL,
                          sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "NativeDevice", cls));
  CHECK(napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "open", fn));
  CHECK(napi_create_function(env, "coalescePreview", NAPI_AUTO_LENGTH, js_coalesce_preview, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "coalescePreview", fn));
  CHECK(napi_create_function(env, "segmentPreview", NAPI_AUTO_LENGTH, js_segment_preview, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "segmentPreview", fn));
  CHECK(napi_create_function(env, "limitMallocArenas", NAPI_AUTO_LENGTH, js_limit_malloc_arenas, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "limitMallocArenas", fn));
  CHECK(napi_create_function(env, "raiseUdpBuffers", NAPI_AUTO_LENGTH, js_raise_udp_buffers, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "raiseUdpBuffers", fn));
  CHECK(napi_create_function(env, "openNetlink", NAPI_AUTO_LENGTH, js_open_netlink, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "openNetlink", fn));
  CHECK(napi_create_function(env, "errnoName", NAPI_AUTO_LENGTH, js_errno_name, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "errnoName", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
