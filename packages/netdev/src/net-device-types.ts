import type { NetDevIoError } from './errors.js';
import type { NativeAddon } from './native.js';

export type DeviceKind = 'tap' | 'tun';

/** Called with every frame the kernel sent since the last call (1..readBatch frames, each its own Buffer). */
export type FramesHandler = (frames: Buffer[]) => void;
export type DeviceErrorHandler = (error: NetDevIoError) => void;

export interface RouteOptions {
  /** Next hop; omit for an on-link route (the usual case for a TUN). */
  readonly via?: string;
  readonly metric?: number;
}

export interface NetDeviceStats {
  readonly framesRead: number;
  readonly bytesRead: number;
  /** Read callbacks delivered; framesRead / readBatches is the mean batch size. */
  readonly readBatches: number;
  readonly framesWritten: number;
  readonly bytesWritten: number;
  /** Frames waiting because the kernel said EAGAIN. */
  readonly writeQueueLength: number;
  /** Frames dropped because the write queue was full. */
  readonly writeQueueDrops: number;
  /** Frames refused before reaching the kernel (too short/long, TUN packet not IPv4/IPv6). */
  readonly writeInvalid: number;
  /** Frames the kernel refused (errno other than EAGAIN, e.g. EIO while the link is down). */
  readonly writeErrors: number;
  readonly lastWriteError: string | undefined;
  /** Kernel writes (syscalls); framesWritten / writes is the mean number of frames per write. */
  readonly writes: number;
  /** Frames that went out merged with others into one TCP segmentation-offload write. */
  readonly framesCoalesced: number;
  /** Merged writes the kernel refused (EINVAL); their frames went out one by one, merging stopped. */
  readonly gsoWritesRefused: number;
  /** Offloaded reads: GSO packets (up to 64 KiB) the kernel handed us, and the packets made of them. */
  readonly offloadSuperPackets: number;
  readonly offloadSegments: number;
  /** Reads refused as invalid (bad virtio-net header or packet); 16 in a row turn offloads off. */
  readonly offloadInvalid: number;
}

/** What the kernel segments and checksums for us on reads (TUNSETOFFLOAD), as it accepted it. */
export interface DeviceOffloads {
  readonly checksum: boolean;
  readonly tso4: boolean;
  readonly tso6: boolean;
  readonly uso: boolean;
}

export interface NetDeviceInit {
  readonly addon: NativeAddon;
  readonly fd: number;
  readonly name: string;
  readonly kind: DeviceKind;
  readonly mtu: number;
  readonly mac: string | undefined;
  readonly netns: string | undefined;
  readonly created: boolean;
  readonly readBatch: number;
  readonly writeQueueLimit: number;
  /** Writes are batched per loop turn and TCP is merged (needs vnetHdr). */
  readonly coalesce?: boolean;
  /** The fd was opened with IFF_VNET_HDR. Default: `coalesce`. */
  readonly vnetHdr?: boolean;
  /** TUN_F_* flags TUNSETOFFLOAD accepted (0: none; reads are plain packets). */
  readonly offloadFlags?: number;
}
