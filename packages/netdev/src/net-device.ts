import { DeviceConfig } from './device-config.js';
import { NetDevIoError } from './errors.js';
import { EAGAIN, type NativeAddon, type NativeDeviceHandle, TUN_F } from './native.js';
import type {
  DeviceErrorHandler,
  DeviceKind,
  DeviceOffloads,
  FramesHandler,
  NetDeviceInit,
  NetDeviceStats,
  RouteOptions,
} from './net-device-types.js';

export * from './net-device-types.js';

/** Largest frame a TAP/TUN write or read can carry (the kernel caps at 64 KiB). */
export const MAX_FRAME_BYTES = 65535;
const ETHERNET_HEADER_BYTES = 14;
/**
 * Read buffer: any frame the kernel can hand us fits (a 64 KiB GSO packet with an Ethernet and a
 * VLAN header behind the virtio-net header), so nothing is ever truncated.
 */
const READ_BUFFER_BYTES = 65536 + 256;
/**
 * Coalescing mode writes what accumulated in one loop turn, or at this many frames: enough for one
 * 64 KiB merged write of 1.3 KB segments, and a bound on the frames held (and their memory).
 */
const COALESCE_BATCH = 64;

/**
 * An open TAP (Ethernet frames) or TUN (IP packets) device, both without packet info header.
 *
 * I/O runs on the main loop via uv_poll (epoll), never on the libuv thread pool:
 * - Reads: level-triggered readiness; each wake-up reads up to `readBatch` frames (or until
 *   EAGAIN) and calls the handler once. pause() stops polling, so the kernel queues (txqueuelen,
 *   default 500 frames) and then drops, counted in the device's tx_dropped.
 * - Writes: nonblocking write(). On EAGAIN, frames wait in a FIFO of at most `writeQueueLimit`
 *   frames, flushed when the fd becomes writable; beyond that limit new frames are dropped and
 *   counted (writeQueueDrops). write() returns false for a dropped or refused frame.
 * - Coalescing (`coalesce`, the default): frames written during one event-loop turn are held (at
 *   most COALESCE_BATCH, then written at once) and written at the end of the turn (setImmediate),
 *   contiguous TCP segments of one flow merged into one write with a virtio-net GSO header, as GRO
 *   does for a NIC: one syscall and one pass through the receiving stack instead of many, and the
 *   TCP receiver sends one ACK per merged write instead of one per two segments, so fewer ACKs cross
 *   the overlay. Frames of different flows may be reordered relative to each other, never within a
 *   flow. A TUN/TAP write does not block (the kernel never says EAGAIN to it); a write the kernel
 *   refuses drops the frames it carries, counted in writeErrors. write() returns true for a held
 *   frame.
 */
export class NetDevice {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly mtu: number;
  /** The TAP's MAC (lower-case hex); undefined for a TUN. */
  readonly mac: string | undefined;
  readonly netns: string | undefined;
  /** True when this process created the device (it vanishes on close); false when it attached. */
  readonly created: boolean;

  readonly #native: NativeDeviceHandle;
  readonly #offloadFlags: number;
  readonly #offloadCounters = new Float64Array(4);
  readonly #addon: NativeAddon;
  readonly #writeQueueLimit: number;
  readonly #queue: Uint8Array[] = [];
  #coalesce: boolean;
  /** Coalescing mode: frames of this loop turn, written by #writeHeld. */
  #held: Uint8Array[] = [];
  #heldScheduled = false;
  readonly #batchResult = new Uint32Array(6);
  #framesHandler: FramesHandler | undefined;
  #errorHandler: DeviceErrorHandler | undefined;
  #paused = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Its addresses and routes, and how to undo them on an attached device (device-config.ts). */
  readonly #config: DeviceConfig;
  #stats = {
    framesRead: 0,
    bytesRead: 0,
    readBatches: 0,
    framesWritten: 0,
    bytesWritten: 0,
    writeQueueDrops: 0,
    writeInvalid: 0,
    writeErrors: 0,
    lastWriteError: undefined as string | undefined,
    writes: 0,
    framesCoalesced: 0,
    gsoWritesRefused: 0,
  };

  constructor(init: NetDeviceInit) {
    this.name = init.name;
    this.kind = init.kind;
    this.mtu = init.mtu;
    this.mac = init.mac;
    this.netns = init.netns;
    this.created = init.created;
    this.#addon = init.addon;
    this.#writeQueueLimit = init.writeQueueLimit;
    this.#coalesce = init.coalesce ?? false;
    this.#offloadFlags = init.offloadFlags ?? 0;
    this.#config = new DeviceConfig(init.name, init.netns, () => this.#closed);
    this.#native = new init.addon.NativeDevice(
      init.fd,
      READ_BUFFER_BYTES,
      init.readBatch,
      (frames) => this.#deliver(frames),
      () => this.#flush(),
      (code, _errno, syscall) => this.#fail(code, syscall),
      init.vnetHdr ?? this.#coalesce,
      init.kind === 'tap' ? 14 : 0,
      this.#offloadFlags !== 0,
    );
  }

  /** Sets the frame handler and starts reading (unless paused). One handler; a new call replaces it. */
  onFrames(handler: FramesHandler): void {
    this.#framesHandler = handler;
    if (!this.#closed && !this.#paused) this.#native.setReading(true);
  }

  /**
   * Read errors (e.g. the device was deleted). Reading stops after one. Without a handler the
   * error is thrown from the event loop (an uncaught exception), like an EventEmitter 'error'.
   */
  onError(handler: DeviceErrorHandler): void {
    this.#errorHandler = handler;
  }

  /** Stops reading; frames queue in the kernel (then drop there) until resume(). */
  pause(): void {
    this.#paused = true;
    if (!this.#closed) this.#native.setReading(false);
  }

  resume(): void {
    this.#paused = false;
    if (!this.#closed && this.#framesHandler) this.#native.setReading(true);
  }

  get paused(): boolean {
    return this.#paused;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one frame (TAP: Ethernet frame; TUN: IPv4/IPv6 packet) to the kernel.
   * Returns true when it was written or queued, false when it was dropped (invalid, queue
   * full, kernel error, closed); every drop is counted in stats().
   */
  write(frame: Uint8Array): boolean {
    if (this.#closed) return false;
    if (!this.#isValidFrame(frame)) {
      this.#stats.writeInvalid++;
      return false;
    }
    if (this.#coalesce) return this.#hold(frame);
    if (this.#queue.length > 0) return this.#enqueue(frame);
    const n = this.#native.write(frame);
    if (n >= 0) {
      this.#stats.writes++;
      this.#stats.framesWritten++;
      this.#stats.bytesWritten += n;
      return true;
    }
    if (-n === EAGAIN) {
      this.#native.setWantWritable(true);
      return this.#enqueue(frame);
    }
    this.#countWriteError(-n);
    return false;
  }

  stats(): NetDeviceStats {
    const o = this.#offloadCounters;
    if (!this.#closed) this.#native.offloadCounters(o);
    return {
      ...this.#stats,
      writeQueueLength: this.#queue.length,
      offloadSuperPackets: o[0]!,
      offloadSegments: o[1]!,
      offloadInvalid: o[2]!,
    };
  }

  /**
   * Offloads the kernel applies for us on reads. All false when none were asked for, the kernel
   * refused them, or they were turned off (disableOffload, or after 16 invalid reads in a row).
   */
  get offloads(): DeviceOffloads {
    const f = this.offloadActive ? this.#offloadFlags : 0;
    return {
      checksum: (f & TUN_F.CSUM) !== 0,
      tso4: (f & TUN_F.TSO4) !== 0,
      tso6: (f & TUN_F.TSO6) !== 0,
      uso: (f & (TUN_F.USO4 | TUN_F.USO6)) !== 0,
    };
  }

  /** Whether reads may be GSO packets (split here) right now. */
  get offloadActive(): boolean {
    if (this.#offloadFlags === 0) return false;
    if (!this.#closed) this.#native.offloadCounters(this.#offloadCounters);
    return this.#offloadCounters[3] === 0;
  }

  /** Merging of written TCP segments into GSO writes is on (it goes off if the kernel refuses one). */
  get coalescing(): boolean {
    return this.#coalesce;
  }

  /**
   * The start-up self-test of merged writes: one harmless GSO write (a two-segment TCP packet to
   * 127.0.0.1, which the kernel drops as a martian). When the kernel refuses it, merging goes off on
   * this device before any real traffic depends on it. Returns what happened ('ok', 'off', or
   * 'refused: <errno>').
   */
  checkGsoWrites(): string {
    if (this.#closed || !this.#coalesce) return 'off';
    const mac = this.mac ? Buffer.from(this.mac.split(':').map((h) => Number.parseInt(h, 16))) : null;
    const errno = this.#native.gsoSelfTest(mac);
    if (errno === 0) return 'ok';
    this.#coalesce = false;
    this.#stats.gsoWritesRefused++;
    return `refused: ${this.#addon.errnoName(errno)}`;
  }

  /** Turns read offloads off (TUNSETOFFLOAD 0); the kernel segments and checksums again. */
  disableOffload(): void {
    if (this.#closed || this.#offloadFlags === 0) return;
    const errno = this.#native.disableOffload();
    if (errno !== 0)
      throw new NetDevIoError(
        `TUNSETOFFLOAD(0) on ${this.name} failed: ${this.#addon.errnoName(errno)}`,
        this.#addon.errnoName(errno),
        'ioctl',
      );
  }

  /** Adds (or keeps) an IPv4/IPv6 address, e.g. `10.99.0.1/24` or `fd00::1/64`. */
  addAddress(cidr: string): Promise<void> {
    return this.#config.addAddress(cidr);
  }

  removeAddress(cidr: string): Promise<void> {
    return this.#config.removeAddress(cidr);
  }

  /** Routes `cidr` via this device (replacing an existing route to the same prefix). */
  addRoute(cidr: string, options: RouteOptions = {}): Promise<void> {
    return this.#config.addRoute(cidr, options);
  }

  removeRoute(cidr: string): Promise<void> {
    return this.#config.removeRoute(cidr);
  }

  /** @internal Records an undo step for a link change made while opening an attached device. */
  recordUndo(key: string, args: string[]): void {
    this.#config.recordUndo(key, args);
  }

  /**
   * Stops I/O and closes the fd. A device we created disappears with its addresses and routes.
   * For a device we attached to, the addresses, routes and bridge membership we added are
   * removed (MTU and MAC are left as set). Rejects with the first failed undo command after
   * trying them all. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#closed) this.#writeHeld(); // frames accepted before close still go out
    this.#closed = true;
    this.#queue.length = 0;
    this.#native.close();
    if (this.created) return;
    await this.#config.undo();
  }

  #isValidFrame(frame: Uint8Array): boolean {
    if (!(frame instanceof Uint8Array) || frame.length > MAX_FRAME_BYTES) return false;
    if (this.kind === 'tap') return frame.length >= ETHERNET_HEADER_BYTES;
    const version = (frame[0] ?? 0) >> 4;
    return (version === 4 && frame.length >= 20) || (version === 6 && frame.length >= 40);
  }

  #hold(frame: Uint8Array): boolean {
    this.#held.push(frame);
    if (this.#held.length >= COALESCE_BATCH) {
      this.#writeHeld();
    } else if (!this.#heldScheduled) {
      this.#heldScheduled = true;
      setImmediate(() => {
        this.#heldScheduled = false;
        this.#writeHeld();
      });
    }
    return true;
  }

  #writeHeld(): void {
    const frames = this.#held;
    if (frames.length === 0 || this.#closed) return;
    this.#held = [];
    const r = this.#batchResult;
    const errno = this.#native.writeCoalesced(frames, r);
    this.#stats.framesWritten += r[0]!;
    this.#stats.bytesWritten += r[1]!;
    this.#stats.writes += r[2]!;
    this.#stats.framesCoalesced += r[3]!;
    if (r[4]! > 0) {
      this.#stats.writeErrors += r[4]!;
      this.#stats.lastWriteError = this.#addon.errnoName(errno);
    }
    if (r[5]! > 0) {
      // The kernel takes no GSO writes on this device: its frames went out one by one; stop merging.
      this.#stats.gsoWritesRefused += r[5]!;
      this.#coalesce = false;
    }
  }

  #enqueue(frame: Uint8Array): boolean {
    if (this.#queue.length >= this.#writeQueueLimit) {
      this.#stats.writeQueueDrops++;
      return false;
    }
    this.#queue.push(frame);
    return true;
  }

  #flush(): void {
    const queue = this.#queue;
    while (queue.length > 0 && !this.#closed) {
      const written = this.#native.writeMany(queue, 0);
      for (let i = 0; i < written; i++) {
        this.#stats.writes++;
        this.#stats.framesWritten++;
        this.#stats.bytesWritten += queue[i]?.length ?? 0;
      }
      queue.splice(0, written);
      const errno = this.#native.lastWriteErrno();
      if (errno === EAGAIN) return; // still full: stay subscribed to writability
      if (errno !== 0) {
        queue.shift(); // the kernel refused this frame; drop it and go on with the rest
        this.#countWriteError(errno);
      }
    }
    if (!this.#closed) this.#native.setWantWritable(false);
  }

  #countWriteError(errno: number): void {
    this.#stats.writeErrors++;
    this.#stats.lastWriteError = this.#addon.errnoName(errno);
  }

  #deliver(frames: Buffer[]): void {
    this.#stats.readBatches++;
    this.#stats.framesRead += frames.length;
    for (const f of frames) this.#stats.bytesRead += f.length;
    this.#framesHandler?.(frames);
  }

  #fail(code: string, syscall: string): void {
    const error = new NetDevIoError(`${syscall} on ${this.kind} ${this.name} failed: ${code}`, code, syscall);
    if (!this.#errorHandler) throw error;
    this.#errorHandler(error);
  }
}
