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
   * coalescedFrames, dropped]; returns the errno of the last failed write, 0 if none.
   */
  writeCoalesced(frames: readonly Uint8Array[], out: Uint32Array): number;
  lastWriteErrno(): number;
  close(): void;
}

export interface NativeAddon {
  open(
    name: string,
    isTap: boolean,
    netnsPath: string | null,
    vnetHdr?: boolean,
  ): { fd: number; name: string; existed: boolean };
  NativeDevice: new (
    fd: number,
    readBufferSize: number,
    maxBatch: number,
    onFrames: (frames: Buffer[]) => void,
    onWritable: () => void,
    onError: (code: string, errno: number, syscall: string) => void,
    vnetHdr?: boolean,
    l2Len?: number,
  ) => NativeDeviceHandle;
  errnoName(errno: number): string;
  /** What writeCoalesced would write: one Buffer per write, virtio-net header first (tests). */
  coalescePreview(frames: readonly Uint8Array[], l2Len: 0 | 14): Buffer[];
}

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
