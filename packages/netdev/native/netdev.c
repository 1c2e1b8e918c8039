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
//   open(name, isTap, netnsPath|null, vnetHdr) -> { fd, name, existed }
//   NativeDevice(fd, readBufSize, maxBatch, onFrames, onWritable, onError, vnetHdr, l2Len)
//     .setReading(bool) .setWantWritable(bool) .write(u8) -> bytes | -errno
//     .writeMany(u8[], start) -> count written (stops at first EAGAIN/error; see lastWriteErrno)
//     .writeCoalesced(u8[], out: Uint32Array(5)) -> errno of the last failed write, 0 if none;
//       out = [framesWritten, bytesWritten, writes, coalescedFrames, dropped] (coalesce.h)
//     .lastWriteErrno() -> errno of the failure that stopped writeMany, 0 if none
//     .close()
//   errnoName(n) -> 'EPERM' etc.
//   coalescePreview(u8[], l2Len) -> Buffer[]: what writeCoalesced would write (virtio-net header
//     + packet per write), for tests.
//
// With vnetHdr (IFF_VNET_HDR, no offloads enabled) every read starts with a virtio-net header,
// which is stripped here (a partial checksum is completed first), and every write gets one.

#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <node_api.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "coalesce.h"

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

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool vnet_hdr = false;
  if (argc >= 4) CHECK(napi_get_value_bool(env, argv[3], &vnet_hdr));
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
    } else if (vnet_hdr && ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
      // No offloads towards us: the kernel segments and checksums what it sends to the device,
      // so reads are plain packets; only our writes use GSO.
      err = errno;
      failed = "ioctl(TUNSETOFFLOAD)";
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
  size_t l2_len;
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
  size_t argc = 8;
  napi_value argv[8], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t fd, buf_size;
  uint32_t max_batch, l2_len = 0;
  bool vnet_hdr = false;
  if (argc >= 8) {
    CHECK(napi_get_value_bool(env, argv[6], &vnet_hdr));
    CHECK(napi_get_value_uint32(env, argv[7], &l2_len));
  }
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &buf_size));
  CHECK(napi_get_value_uint32(env, argv[2], &max_batch));
  if (fd < 0 || buf_size < 64 || buf_size > 262144 || max_batch < 1 || (l2_len != 0 && l2_len != 14)) {
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
  if (type != napi_uint32_array || out_len < 5 || !d->vnet_hdr) {
    napi_throw_type_error(env, "ERR_NETDEV_INVALID_ARGUMENT", "writeCoalesced needs a vnet-header device and a Uint32Array(5)");
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"setReading", NULL, device_set_reading, NULL, NULL, NULL, napi_default, NULL},
      {"setWantWritable", NULL, device_set_want_writable, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, device_write, NULL, NULL, NULL, napi_default, NULL},
      {"writeMany", NULL, device_write_many, NULL, NULL, NULL, napi_default, NULL},
      {"writeCoalesced", NULL, device_write_coalesced, NULL, NULL, NULL, napi_default, NULL},
      {"lastWriteErrno", NULL, device_last_write_errno, NULL, NULL, NULL, napi_default, NULL},
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
  CHECK(napi_create_function(env, "errnoName", NAPI_AUTO_LENGTH, js_errno_name, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "errnoName", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
