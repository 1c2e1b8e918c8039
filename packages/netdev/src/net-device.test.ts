// NetDevice's queueing, counting and error delivery against a scripted stand-in for the addon,
// so the EAGAIN paths (rare on a real TAP) are exercised without root.
import { describe, expect, it } from 'vitest';
import { NetDevIoError } from './errors.js';
import type { NativeAddon, NativeDeviceHandle } from './native.js';
import { NetDevice } from './net-device.js';

const EAGAIN = 11;
const EIO = 5;

class FakeNative implements NativeDeviceHandle {
  reading = false;
  wantWritable = false;
  closed = false;
  /** What the "kernel" answers to each write attempt, in order; empty = accept. */
  script: number[] = [];
  written: Uint8Array[] = [];
  #lastErrno = 0;
  constructor(
    readonly onFrames: (frames: Buffer[]) => void,
    readonly onWritable: () => void,
    readonly onError: (code: string, errno: number, syscall: string) => void,
  ) {}
  setReading(on: boolean): void {
    this.reading = on;
  }
  setWantWritable(on: boolean): void {
    this.wantWritable = on;
  }
  write(frame: Uint8Array): number {
    const errno = this.script.shift();
    if (errno) return -errno;
    this.written.push(frame);
    return frame.length;
  }
  writeMany(frames: readonly Uint8Array[], start: number): number {
    this.#lastErrno = 0;
    let n = 0;
    for (let i = start; i < frames.length; i++) {
      const r = this.write(frames[i] as Uint8Array);
      if (r < 0) {
        this.#lastErrno = -r;
        break;
      }
      n++;
    }
    return n;
  }
  /** No merging here: each frame is one "kernel write" answered by the script. */
  writeCoalesced(frames: readonly Uint8Array[], out: Uint32Array): number {
    out.fill(0);
    let last = 0;
    for (const f of frames) {
      const r = this.write(f);
      if (r < 0) {
        out[4]!++;
        last = -r;
      } else {
        out[0]!++;
        out[1]! += r;
        out[2]!++;
      }
    }
    if (this.refuseGso) {
      out[5] = 1;
      this.refuseGso = false;
    }
    this.batches.push(frames.length);
    return last;
  }
  batches: number[] = [];
  /** Answer the next writeCoalesced as a kernel that refused a merged (GSO) write. */
  refuseGso = false;
  offloadOff = 0;
  offloadCounters(out: Float64Array): void {
    out.fill(0);
    out[3] = this.offloadOff;
  }
  disableOffload(): number {
    this.offloadOff = 1;
    return 0;
  }
  /** What the next gsoSelfTest answers. */
  gsoSelfTestErrno = 0;
  gsoSelfTest(): number {
    return this.gsoSelfTestErrno;
  }
  lastWriteErrno(): number {
    return this.#lastErrno;
  }
  close(): void {
    this.closed = true;
  }
}

function makeDevice(
  kind: 'tap' | 'tun' = 'tap',
  writeQueueLimit = 3,
  coalesce = false,
): { dev: NetDevice; native: FakeNative } {
  let native: FakeNative | undefined;
  const addon = {
    NativeDevice: class {
      constructor(
        _fd: number,
        _buf: number,
        _batch: number,
        onFrames: (f: Buffer[]) => void,
        onWritable: () => void,
        onError: (code: string, errno: number, syscall: string) => void,
      ) {
        native = new FakeNative(onFrames, onWritable, onError);
        // biome-ignore lint/correctness/noConstructorReturn: the fake stands in for the native class
        return native;
      }
    },
    open: () => ({ fd: 3, name: 'x', existed: false }),
    errnoName: (e: number) => (e === EIO ? 'EIO' : `E${e}`),
  } as unknown as NativeAddon;
  const dev = new NetDevice({
    addon,
    fd: 3,
    name: 'tap9',
    kind,
    mtu: 1280,
    mac: undefined,
    netns: undefined,
    created: true,
    readBatch: 64,
    writeQueueLimit,
    coalesce,
  });
  return { dev, native: native as FakeNative };
}

const frame = (n: number): Buffer => Buffer.alloc(60, n);

describe('NetDevice writes', () => {
  it('queues on EAGAIN up to the limit, drops and counts beyond it, flushes in order when writable', () => {
    const { dev, native } = makeDevice('tap', 3);
    native.script = [EAGAIN];
    expect(dev.write(frame(1))).toBe(true); // EAGAIN: queued
    expect(native.wantWritable).toBe(true);
    expect(dev.write(frame(2))).toBe(true); // behind the queue, not written out of order
    expect(dev.write(frame(3))).toBe(true);
    expect(dev.write(frame(4))).toBe(false); // queue full
    expect(dev.stats()).toMatchObject({ writeQueueLength: 3, writeQueueDrops: 1, framesWritten: 0 });

    native.script = [0, EAGAIN]; // one frame goes, then full again
    native.onWritable();
    expect(dev.stats()).toMatchObject({ writeQueueLength: 2, framesWritten: 1 });
    expect(native.wantWritable).toBe(true);

    native.onWritable();
    expect(native.written.map((f) => f[0])).toEqual([1, 2, 3]);
    expect(dev.stats()).toMatchObject({ writeQueueLength: 0, framesWritten: 3, bytesWritten: 180 });
    expect(native.wantWritable).toBe(false);
  });

  it('counts kernel errors without throwing, and drops the refused frame from the queue', () => {
    const { dev, native } = makeDevice();
    native.script = [EIO];
    expect(dev.write(frame(1))).toBe(false);
    expect(dev.stats()).toMatchObject({ writeErrors: 1, lastWriteError: 'EIO', writeQueueLength: 0 });

    native.script = [EAGAIN];
    dev.write(frame(2));
    dev.write(frame(3));
    native.script = [EIO]; // frame 2 refused while flushing; frame 3 still goes
    native.onWritable();
    expect(native.written.map((f) => f[0])).toEqual([3]);
    expect(dev.stats()).toMatchObject({ writeErrors: 2, framesWritten: 1, writeQueueLength: 0 });
  });

  it('refuses invalid frames before the kernel sees them', () => {
    const tap = makeDevice('tap');
    expect(tap.dev.write(Buffer.alloc(13))).toBe(false);
    expect(tap.dev.write(Buffer.alloc(65536))).toBe(false);
    expect(tap.dev.write('not bytes' as unknown as Uint8Array)).toBe(false);
    expect(tap.dev.stats().writeInvalid).toBe(3);
    const tun = makeDevice('tun');
    expect(tun.dev.write(Buffer.from([0x45, ...Buffer.alloc(19)]))).toBe(true);
    expect(tun.dev.write(Buffer.from([0x60, ...Buffer.alloc(39)]))).toBe(true);
    expect(tun.dev.write(Buffer.from([0x45, 0, 0]))).toBe(false); // truncated IPv4 header
    expect(tun.dev.write(Buffer.from([0x60, ...Buffer.alloc(20)]))).toBe(false); // truncated IPv6 header
    expect(tun.dev.write(Buffer.alloc(0))).toBe(false);
    expect(tun.dev.stats()).toMatchObject({ writeInvalid: 3, framesWritten: 2 });
    expect(tap.native.written).toEqual([]);
  });

  it('drops writes after close and clears the queue', async () => {
    const { dev, native } = makeDevice();
    native.script = [EAGAIN];
    dev.write(frame(1));
    await dev.close();
    expect(native.closed).toBe(true);
    expect(dev.write(frame(2))).toBe(false);
    expect(dev.stats().writeQueueLength).toBe(0);
  });
});

describe('NetDevice writes with coalescing', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  it('holds the frames of one loop turn and writes them in one call at its end', async () => {
    const { dev, native } = makeDevice('tap', 3, true);
    for (let i = 0; i < 5; i++) expect(dev.write(frame(i))).toBe(true);
    expect(native.written).toHaveLength(0);
    await turn();
    expect(native.batches).toEqual([5]);
    expect(native.written.map((f) => f[0])).toEqual([0, 1, 2, 3, 4]);
    expect(dev.stats()).toMatchObject({
      framesWritten: 5,
      writes: 5,
      bytesWritten: 300,
      writeQueueLength: 0,
    });
  });

  it('writes at once when a turn brings a full batch, bounding what is held', async () => {
    const { dev, native } = makeDevice('tap', 3, true);
    for (let i = 0; i < 70; i++) dev.write(frame(i));
    expect(native.batches).toEqual([64]);
    await turn();
    expect(native.batches).toEqual([64, 6]);
  });

  it('counts the frames of refused writes as write errors, and still writes held frames on close', async () => {
    const { dev, native } = makeDevice('tap', 3, true);
    native.script = [0, EIO];
    dev.write(frame(1));
    dev.write(frame(2));
    await turn();
    expect(dev.stats()).toMatchObject({ framesWritten: 1, writeErrors: 1, lastWriteError: 'EIO' });
    dev.write(frame(3));
    await dev.close();
    expect(native.written.map((f) => f[0])).toEqual([1, 3]);
    expect(dev.write(frame(4))).toBe(false);
  });

  it('a GSO write refused by the start-up self-test turns merging off before any traffic', () => {
    const ok = makeDevice('tun', 3, true);
    expect(ok.dev.checkGsoWrites()).toBe('ok');
    expect(ok.dev.coalescing).toBe(true);
    const bad = makeDevice('tun', 3, true);
    bad.native.gsoSelfTestErrno = 22;
    expect(bad.dev.checkGsoWrites()).toBe('refused: E22');
    expect(bad.dev.coalescing).toBe(false);
    expect(bad.dev.stats().gsoWritesRefused).toBe(1);
  });

  it('stops merging once the kernel refuses a GSO write (its frames went out one by one)', async () => {
    const { dev, native } = makeDevice('tun', 3, true);
    const packet = Buffer.from([0x45, ...Buffer.alloc(19)]);
    native.refuseGso = true;
    dev.write(packet);
    dev.write(packet);
    await turn();
    expect(dev.stats()).toMatchObject({ gsoWritesRefused: 1, framesWritten: 2 });
    expect(dev.coalescing).toBe(false);
    // From now on every write goes straight to the kernel, none is held for a turn.
    dev.write(packet);
    expect(native.written).toHaveLength(3);
    expect(native.batches).toEqual([2]);
  });
});

describe('NetDevice reads', () => {
  it('starts reading on onFrames, stops on pause, resumes; counts batches', () => {
    const { dev, native } = makeDevice();
    expect(native.reading).toBe(false);
    const got: number[] = [];
    dev.onFrames((frames) => got.push(frames.length));
    expect(native.reading).toBe(true);
    dev.pause();
    expect(native.reading).toBe(false);
    expect(dev.paused).toBe(true);
    dev.resume();
    expect(native.reading).toBe(true);
    native.onFrames([frame(1), frame(2)]);
    native.onFrames([frame(3)]);
    expect(got).toEqual([2, 1]);
    expect(dev.stats()).toMatchObject({ framesRead: 3, bytesRead: 180, readBatches: 2 });
  });

  it('does not start reading while paused, even when a handler is set', () => {
    const { dev, native } = makeDevice();
    dev.pause();
    dev.onFrames(() => undefined);
    expect(native.reading).toBe(false);
  });

  it('delivers read errors as NetDevIoError, and throws them when nobody listens', () => {
    const { dev, native } = makeDevice();
    expect(() => native.onError('EBADFD', 77, 'read')).toThrow(NetDevIoError);
    const errors: NetDevIoError[] = [];
    dev.onError((e) => errors.push(e));
    native.onError('EBADFD', 77, 'read');
    expect(errors[0]).toMatchObject({ code: 'ERR_NETDEV_IO', errno: 'EBADFD', syscall: 'read' });
    expect(errors[0]?.message).toBe('read on tap tap9 failed: EBADFD');
  });
});
