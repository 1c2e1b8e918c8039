import { existsSync } from 'node:fs';
import { ensureCanCreateDevices, isNativeOpenFailure, mapOpenError } from './access.js';
import { NetDevInvalidArgumentError } from './errors.js';
import { runIp } from './ip-command.js';
import { loadNativeAddon } from './native.js';
import { type DeviceKind, NetDevice, type RouteOptions } from './net-device.js';
import { parseCidr, validateInterfaceName, validateMac, validateMtu, validateNetnsName } from './validate.js';

/** Device MTU default: the IPv6 minimum; see README "MTU" for the arithmetic. */
export const DEFAULT_MTU = 1280;
/** Frames per read callback at most (one epoll wake-up); bounds the work per loop turn. */
export const DEFAULT_READ_BATCH = 64;
/** Frames held while the kernel says EAGAIN; beyond this, write() drops and counts. */
export const DEFAULT_WRITE_QUEUE_LIMIT = 256;

export interface OpenDeviceOptions {
  /** Device name; created when absent, attached when a persistent device of this kind exists. Default `tap%d`/`tun%d` (kernel picks). */
  readonly name?: string;
  /** Default 1280. */
  readonly mtu?: number;
  /** Addresses to assign, CIDR strings (`10.99.0.1/24`, `fd00::1/64`). */
  readonly addresses?: readonly string[];
  /** Routes via this device. */
  readonly routes?: readonly (string | ({ readonly cidr: string } & RouteOptions))[];
  /** Bring the link up (default true). */
  readonly up?: boolean;
  /** Create the device inside this network namespace (`ip netns` name; needs CAP_SYS_ADMIN). */
  readonly netns?: string;
  /** Max frames per read callback (default 64). */
  readonly readBatch?: number;
  /** Max frames queued on EAGAIN before write() drops (default 256). */
  readonly writeQueueLimit?: number;
  /**
   * Merge contiguous TCP segments written in one event-loop turn into one write, as the kernel's
   * GRO does for a NIC (IFF_VNET_HDR; see NetDevice). Default true.
   */
  readonly coalesce?: boolean;
  /**
   * Ask the kernel for checksum and segmentation offloads towards us (TUNSETOFFLOAD: checksum,
   * TSO4/6, USO where the kernel has it): one read may then carry up to 64 KiB of one flow, which
   * the device splits into plain packets before `onFrames` sees them (NetDevice, "Offloads").
   * Refused offloads fall back to plain reads. Default true.
   */
  readonly offload?: boolean;
}

export interface OpenTapOptions extends OpenDeviceOptions {
  /** Stable MAC for the TAP (unicast), e.g. derived from the node id. Default: kernel-random. */
  readonly mac?: string;
  /** Enslave the TAP to this existing Linux bridge. */
  readonly bridge?: string;
}

export type OpenTunOptions = OpenDeviceOptions;

/** Creates (or attaches to) a TAP device: Ethernet frames, IFF_TAP | IFF_NO_PI. */
export function openTap(options: OpenTapOptions = {}): Promise<NetDevice> {
  return openDevice('tap', options);
}

/** Creates (or attaches to) a TUN device: IPv4/IPv6 packets, IFF_TUN | IFF_NO_PI. */
export function openTun(options: OpenTunOptions = {}): Promise<NetDevice> {
  return openDevice('tun', options);
}

interface ValidOptions {
  readonly name: string;
  readonly mtu: number;
  readonly mac: string | undefined;
  readonly bridge: string | undefined;
  readonly addresses: string[];
  readonly routes: ({ cidr: string } & RouteOptions)[];
  readonly up: boolean;
  readonly netns: string | undefined;
  readonly readBatch: number;
  readonly writeQueueLimit: number;
  readonly coalesce: boolean;
  readonly offload: boolean;
}

/** Validates every option before touching the system, so a typo never leaves a half-made device. */
export function validateOpenOptions(kind: DeviceKind, options: OpenTapOptions): ValidOptions {
  if (typeof options !== 'object' || options === null) {
    throw new NetDevInvalidArgumentError('options must be an object');
  }
  if (kind === 'tun' && (options.mac !== undefined || options.bridge !== undefined)) {
    throw new NetDevInvalidArgumentError('mac and bridge apply to a TAP device only');
  }
  if (options.coalesce !== undefined && typeof options.coalesce !== 'boolean') {
    throw new NetDevInvalidArgumentError('coalesce must be a boolean');
  }
  if (options.offload !== undefined && typeof options.offload !== 'boolean') {
    throw new NetDevInvalidArgumentError('offload must be a boolean');
  }
  const routes = (options.routes ?? []).map((r) => (typeof r === 'string' ? { cidr: r } : r));
  for (const r of routes) parseCidr(r.cidr);
  return {
    name: validateInterfaceName(options.name ?? `${kind}%d`),
    mtu: validateMtu(options.mtu ?? DEFAULT_MTU),
    mac: options.mac === undefined ? undefined : validateMac(options.mac),
    bridge: options.bridge === undefined ? undefined : validateInterfaceName(options.bridge, 'bridge name'),
    addresses: (options.addresses ?? []).map((a) => parseCidr(a).text),
    routes,
    up: options.up ?? true,
    netns: options.netns === undefined ? undefined : validateNetnsName(options.netns),
    readBatch: positiveInt(options.readBatch ?? DEFAULT_READ_BATCH, 'readBatch', 4096),
    writeQueueLimit: positiveInt(
      options.writeQueueLimit ?? DEFAULT_WRITE_QUEUE_LIMIT,
      'writeQueueLimit',
      65536,
    ),
    coalesce: options.coalesce ?? true,
    offload: options.offload ?? true,
  };
}

async function openDevice(kind: DeviceKind, options: OpenTapOptions): Promise<NetDevice> {
  const opts = validateOpenOptions(kind, options);
  ensureCanCreateDevices();
  const nsPath = opts.netns === undefined ? null : `/run/netns/${opts.netns}`;
  if (nsPath !== null && !existsSync(nsPath)) {
    throw new NetDevInvalidArgumentError(`network namespace ${opts.netns} does not exist (${nsPath})`);
  }
  const addon = loadNativeAddon();
  let opened: { fd: number; name: string; existed: boolean; offload: number };
  try {
    // The virtio-net header carries our GSO writes (coalescing) and the kernel's GSO reads (offload).
    opened = addon.open(opts.name, kind === 'tap', nsPath, opts.coalesce || opts.offload, opts.offload);
  } catch (err) {
    if (isNativeOpenFailure(err)) throw mapOpenError(err, { kind, name: opts.name, netns: opts.netns });
    throw err;
  }
  const name = opened.name;
  const netns = opts.netns;
  const link = ['link', 'set', 'dev', name];
  if (opts.mac) link.push('address', opts.mac);
  link.push('mtu', String(opts.mtu));
  if (opts.bridge) link.push('master', opts.bridge);
  if (opts.up) link.push('up');
  let device: NetDevice | undefined;
  try {
    await runIp(link, { netns });
    const mac = kind === 'tap' ? await readMac(name, netns) : undefined;
    device = new NetDevice({
      addon,
      fd: opened.fd,
      name,
      kind,
      mtu: opts.mtu,
      mac,
      netns,
      created: !opened.existed,
      readBatch: opts.readBatch,
      writeQueueLimit: opts.writeQueueLimit,
      coalesce: opts.coalesce,
      vnetHdr: opts.coalesce || opts.offload,
      offloadFlags: opened.offload,
    });
    if (opts.bridge) device.recordUndo('bridge', ['link', 'set', 'dev', name, 'nomaster']);
    // Known kernel regressions have broken GSO writes to TUN/TAP: find out now, not on real traffic.
    if (opts.up) device.checkGsoWrites();
    for (const address of opts.addresses) await device.addAddress(address);
    for (const { cidr, ...route } of opts.routes) await device.addRoute(cidr, route);
    return device;
  } catch (err) {
    if (device) {
      await device.close().catch(() => undefined); // the configuration error is the one to report
    } else {
      closeFd(addon, opened.fd);
    }
    throw err;
  }
}

/** Closes a raw fd through a throwaway NativeDevice (the addon owns fds from open()). */
function closeFd(addon: ReturnType<typeof loadNativeAddon>, fd: number): void {
  const noop = (): void => undefined;
  new addon.NativeDevice(fd, 64, 1, noop, noop, noop).close();
}

async function readMac(name: string, netns: string | undefined): Promise<string | undefined> {
  const out = await runIp(['-j', 'link', 'show', 'dev', name], { netns });
  const parsed: unknown = JSON.parse(out);
  const first = Array.isArray(parsed) ? (parsed[0] as { address?: unknown } | undefined) : undefined;
  return typeof first?.address === 'string' ? first.address : undefined;
}

function positiveInt(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new NetDevInvalidArgumentError(`${what} must be an integer in 1..${max}, got ${String(value)}`);
  }
  return value;
}
