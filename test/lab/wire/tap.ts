import { closeSync, openSync, read, writeSync } from 'node:fs';
import koffi from 'koffi';

// <linux/if_tun.h>
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

let ioctl: ((fd: number, req: number, arg: Buffer) => number) | undefined;

function loadIoctl(): (fd: number, req: number, arg: Buffer) => number {
  if (!ioctl) {
    const libc = koffi.load('libc.so.6');
    ioctl = libc.func('int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)') as (
      fd: number,
      req: number,
      arg: Buffer,
    ) => number;
  }
  return ioctl;
}

/** An attached TAP device (in the calling process's network namespace): one read = one Ethernet frame. */
export class Tap {
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly fd: number,
  ) {}

  /** Attaches to the TAP `name` (created beforehand with `ip tuntap add mode tap`). */
  static open(name: string): Tap {
    if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`tap name too long: ${name}`);
    const fd = openSync('/dev/net/tun', 'r+');
    const ifr = Buffer.alloc(IFREQ_SIZE);
    ifr.write(name, 0, 'utf8');
    ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI, IFNAMSIZ);
    if (loadIoctl()(fd, TUNSETIFF, ifr) !== 0) {
      closeSync(fd);
      throw new Error(`TUNSETIFF ${name} failed (errno ${koffi.errno()})`);
    }
    return new Tap(name, fd);
  }

  /** Reads frames forever (each read blocks one libuv pool thread) and hands each to `onFrame`. */
  readLoop(onFrame: (frame: Buffer) => void, onError: (e: Error) => void): void {
    const buf = Buffer.allocUnsafe(65_536);
    const next = (): void => {
      if (this.closed) return;
      read(this.fd, buf, 0, buf.length, null, (err, n) => {
        if (err) {
          if (!this.closed) onError(err);
          return;
        }
        if (n > 0) onFrame(Buffer.from(buf.subarray(0, n)));
        next();
      });
    };
    next();
  }

  /** Writes one frame; the kernel drops it if the device queue is full (like a real wire). */
  write(frame: Buffer): void {
    try {
      writeSync(this.fd, frame);
    } catch {
      // EIO while the device is going down, or ENOBUFS: the frame is lost, as on a real link.
    }
  }

  close(): void {
    this.closed = true;
    closeSync(this.fd);
  }
}
