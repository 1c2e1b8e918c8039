import { createRequire } from 'node:module';
import { NetDevAddonError } from './errors.js';

/** The shape of build/Release/netdev.node (native/netdev.c). */
export interface NativeDeviceHandle {
  setReading(on: boolean): void;
  setWantWritable(on: boolean): void;
  /** Bytes written, or -errno (-11 = EAGAIN). */
  write(frame: Uint8Array): number;
  /** Frames written from `start` before the first failure (see lastWriteErrno). */
  writeMany(frames: readonly Uint8Array[], start: number): number;
  /**
   * Writes a batch, merging contiguous TCP segments of a flow into one GSO write (vnetHdr devices
   * only; native/coalesce.h). Fills `out` with [framesWritten, bytesWritten, writes,
   * coalescedFrames, dropped, gsoRefused]; returns the errno of the last failed write, 0 if none.
   */
  writeCoalesced(frames: readonly Uint8Array[], out: Uint32Array): number;
  lastWriteErrno(): number;
  /** Fills `out` with [GSO packets read, segments made of them, reads refused as invalid, offload off (0/1)]. */
  offloadCounters(out: Float64Array): void;
  /** TUNSETOFFLOAD(0): the kernel segments and checksums again. Returns an errno, 0 on success. */
  disableOffload(): number;
  /** One harmless GSO write (a martian the kernel drops); the errno, 0 when the kernel took it. */
  gsoSelfTest(dstMac: Uint8Array | null): number;
  close(): void;
}

export interface NativeAddon {
  open(
    name: string,
    isTap: boolean,
    netnsPath: string | null,
    vnetHdr?: boolean,
    offload?: boolean,
  ): { fd: number; name: string; existed: boolean; offload: number };
  NativeDevice: new (
    fd: number,
    readBufferSize: number,
    maxBatch: number,
    onFrames: (frames: Buffer[]) => void,
    onWritable: () => void,
    onError: (code: string, errno: number, syscall: string) => void,
    vnetHdr?: boolean,
    l2Len?: number,
    offload?: boolean,
  ) => NativeDeviceHandle;
  errnoName(errno: number): string;
  /** A non-blocking netlink socket of `protocol` bound to multicast `groups`; read it with NativeDevice. */
  openNetlink(protocol: number, groups: number): number;
  /** Raises the buffers of every UDP socket of the process to `bytes`; returns how many are that big. */
  raiseUdpBuffers(bytes: number): number;
  /** glibc mallopt(M_ARENA_MAX, n); false where it is not glibc or it refused. */
  limitMallocArenas(n: number): boolean;
  /** What writeCoalesced would write: one Buffer per write, virtio-net header first (tests). */
  coalescePreview(frames: readonly Uint8Array[], l2Len: 0 | 14): Buffer[];
  /**
   * What a read of `vnetAndPacket` (virtio-net header, then the packet) delivers on an offload
   * device: the packets it is split into, or a negative SegmentError (tests).
   */
  segmentPreview(vnetAndPacket: Uint8Array, l2Len: 0 | 14): Buffer[] | number;
}

/** Why a read was refused (native/segment.h). */
export const SEGMENT_ERRORS: Readonly<Record<number, string>> = {
  [-1]: 'bad virtio-net header',
  [-2]: 'bad packet',
  [-3]: 'unsupported',
  [-4]: 'too many segments',
  [-5]: 'no memory',
};

/** TUN_F_* bits of TUNSETOFFLOAD (linux/if_tun.h). */
export const TUN_F = {
  CSUM: 0x01,
  TSO4: 0x02,
  TSO6: 0x04,
  TSO_ECN: 0x08,
  UFO: 0x10,
  USO4: 0x20,
  USO6: 0x40,
} as const;

export const EAGAIN = 11;

let cached: NativeAddon | undefined;

/** Loads the addon once; src/ and dist/ both sit one level below the package root. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require('../build/Release/netdev.node') as NativeAddon;
  } catch (err) {
    throw new NetDevAddonError(
      '@rtcmesh/netdev native addon is not built (build/Release/netdev.node): run `pnpm install` ' +
        'or `pnpm --filter @rtcmesh/netdev run build:native` (needs python3, make, a C compiler, Node headers)',
      { cause: err },
    );
  }
  return cached;
}
