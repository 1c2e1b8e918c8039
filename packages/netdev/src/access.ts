import { closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import {
  FIX_NO_TUN,
  FIX_PERMISSION,
  NetDevBusyError,
  type NetDevError,
  NetDevInvalidArgumentError,
  NetDevPermissionError,
  NetDevUnavailableError,
} from './errors.js';

export const TUN_PATH = '/dev/net/tun';
/** Bit number of CAP_NET_ADMIN in the capability sets (linux/capability.h). */
const CAP_NET_ADMIN = 12;

/** What the environment looks like, gathered once (pure inputs for diagnoseDeviceAccess). */
export interface DeviceAccessProbe {
  /** 'char' = a character device, 'missing', or 'other' (exists but is not a device node). */
  readonly tun: 'char' | 'missing' | 'other';
  /** The CapEff line of /proc/self/status as hex, or undefined when unreadable. */
  readonly capEffHex: string | undefined;
  /** errno code from opening /dev/net/tun read-write, or undefined when it opened. */
  readonly openError: string | undefined;
}

export function hasCapability(capEffHex: string, bit: number): boolean {
  if (!/^[0-9a-fA-F]{1,16}$/.test(capEffHex)) return false;
  return ((BigInt(`0x${capEffHex}`) >> BigInt(bit)) & 1n) === 1n;
}

/** Turns a probe into the first blocking problem, with what is missing and how to fix it. */
export function diagnoseDeviceAccess(probe: DeviceAccessProbe): NetDevError | undefined {
  if (probe.tun === 'missing') {
    return new NetDevUnavailableError(`${TUN_PATH} does not exist: ${FIX_NO_TUN}`);
  }
  if (probe.tun === 'other') {
    return new NetDevUnavailableError(`${TUN_PATH} is not a character device: ${FIX_NO_TUN}`);
  }
  if (probe.capEffHex !== undefined && !hasCapability(probe.capEffHex, CAP_NET_ADMIN)) {
    return new NetDevPermissionError(`this process lacks CAP_NET_ADMIN: ${FIX_PERMISSION}`);
  }
  if (probe.openError === 'ENODEV' || probe.openError === 'ENXIO') {
    return new NetDevUnavailableError(`${TUN_PATH} exists but the tun driver is not loaded: ${FIX_NO_TUN}`);
  }
  if (probe.openError === 'EACCES' || probe.openError === 'EPERM') {
    return new NetDevPermissionError(
      `cannot open ${TUN_PATH} (${probe.openError}): ${FIX_PERMISSION}; in a container also pass --device /dev/net/tun`,
    );
  }
  if (probe.openError !== undefined) {
    return new NetDevUnavailableError(`cannot open ${TUN_PATH} (${probe.openError}): ${FIX_NO_TUN}`);
  }
  return undefined;
}

export function probeDeviceAccess(): DeviceAccessProbe {
  let tun: DeviceAccessProbe['tun'] = 'char';
  try {
    tun = statSync(TUN_PATH).isCharacterDevice() ? 'char' : 'other';
  } catch {
    tun = 'missing';
  }
  let capEffHex: string | undefined;
  try {
    capEffHex = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    capEffHex = undefined;
  }
  let openError: string | undefined;
  if (tun === 'char') {
    try {
      closeSync(openSync(TUN_PATH, constants.O_RDWR | constants.O_NONBLOCK));
    } catch (err) {
      openError = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    }
  }
  return { tun, capEffHex, openError };
}

/**
 * Throws at once, with what is missing and how to fix it, unless this process can create
 * TAP/TUN devices (/dev/net/tun present and openable, CAP_NET_ADMIN effective).
 */
export function ensureCanCreateDevices(): void {
  const problem = diagnoseDeviceAccess(probeDeviceAccess());
  if (problem) throw problem;
}

/** An error thrown by the addon's open(): .code is the errno name, .syscall what failed. */
export interface NativeOpenFailure {
  readonly code: string;
  readonly syscall: string;
  readonly message: string;
}

export function isNativeOpenFailure(err: unknown): err is NativeOpenFailure {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { syscall?: unknown }).syscall === 'string'
  );
}

/** Maps a failed open/TUNSETIFF/setns to an error that says what to do about it. */
export function mapOpenError(
  err: NativeOpenFailure,
  ctx: { readonly kind: 'tap' | 'tun'; readonly name: string; readonly netns?: string | undefined },
): NetDevError {
  const { code, syscall } = err;
  const where = ctx.netns ? ` in network namespace ${ctx.netns}` : '';
  if (syscall === 'open(netns)') {
    return new NetDevInvalidArgumentError(`network namespace ${ctx.netns} cannot be opened (${code})`, {
      cause: err,
    });
  }
  if (syscall === 'setns') {
    return new NetDevPermissionError(
      `cannot enter network namespace ${ctx.netns} (${code}): needs CAP_SYS_ADMIN`,
      {
        cause: err,
      },
    );
  }
  if (syscall.startsWith('open(/dev/net/tun')) {
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') {
      return new NetDevUnavailableError(`${TUN_PATH} is not available (${code}): ${FIX_NO_TUN}`, {
        cause: err,
      });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return new NetDevPermissionError(`cannot open ${TUN_PATH} (${code}): ${FIX_PERMISSION}`, {
        cause: err,
      });
    }
  }
  if (syscall === 'ioctl(TUNSETIFF)') {
    if (code === 'EPERM' || code === 'EACCES') {
      return new NetDevPermissionError(
        `creating ${ctx.kind.toUpperCase()} ${ctx.name}${where} was refused (${code}): ${FIX_PERMISSION}; ` +
          'attaching to a persistent device owned by another user also needs CAP_NET_ADMIN',
        { cause: err },
      );
    }
    if (code === 'EBUSY') {
      return new NetDevBusyError(`device ${ctx.name}${where} is already open in another process`, {
        cause: err,
      });
    }
    if (code === 'EINVAL') {
      return new NetDevInvalidArgumentError(
        `device ${ctx.name}${where} exists and is not a ${ctx.kind.toUpperCase()} device (or has other flags)`,
        { cause: err },
      );
    }
  }
  return new NetDevUnavailableError(`opening ${ctx.kind} ${ctx.name}${where} failed: ${err.message}`, {
    cause: err,
  });
}
