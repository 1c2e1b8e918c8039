/** Stable error codes, so callers can branch without parsing messages. */
export type NetDevErrorCode =
  | 'ERR_NETDEV_NO_TUN'
  | 'ERR_NETDEV_PERMISSION'
  | 'ERR_NETDEV_INVALID_ARGUMENT'
  | 'ERR_NETDEV_BUSY'
  | 'ERR_NETDEV_COMMAND'
  | 'ERR_NETDEV_ADDON'
  | 'ERR_NETDEV_IO'
  | 'ERR_NETDEV_CLOSED';

/** Base class of every error this package throws. */
export class NetDevError extends Error {
  readonly code: NetDevErrorCode;
  constructor(code: NetDevErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** `/dev/net/tun` is missing or the tun driver is not loaded. */
export class NetDevUnavailableError extends NetDevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETDEV_NO_TUN', message, options);
  }
}

/** The process lacks CAP_NET_ADMIN (or the device cgroup forbids /dev/net/tun). */
export class NetDevPermissionError extends NetDevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETDEV_PERMISSION', message, options);
  }
}

/** A bad option: malformed name, CIDR, MAC, MTU, or a device of the wrong kind. */
export class NetDevInvalidArgumentError extends NetDevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETDEV_INVALID_ARGUMENT', message, options);
  }
}

/** The device exists and another process holds it open. */
export class NetDevBusyError extends NetDevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETDEV_BUSY', message, options);
  }
}

/** The native addon is not built or cannot load. */
export class NetDevAddonError extends NetDevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETDEV_ADDON', message, options);
  }
}

/** A read on the device failed (e.g. the device was deleted underneath us). */
export class NetDevIoError extends NetDevError {
  readonly errno: string;
  readonly syscall: string;
  constructor(message: string, errno: string, syscall: string) {
    super('ERR_NETDEV_IO', message);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** An operation on a device that was already closed. */
export class NetDevClosedError extends NetDevError {
  constructor(message: string) {
    super('ERR_NETDEV_CLOSED', message);
  }
}

/** An `ip` (iproute2) command failed: carries the exact argv, exit code and stderr. */
export class NetDevCommandError extends NetDevError {
  readonly command: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: readonly string[], exitCode: number | null, stderr: string, hint?: string) {
    const detail = stderr.trim() || (exitCode === null ? 'no exit code' : `exit code ${exitCode}`);
    super('ERR_NETDEV_COMMAND', `\`${command.join(' ')}\` failed: ${detail}${hint ? ` (${hint})` : ''}`);
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** How to get device access, appended to permission/availability errors. */
export const FIX_PERMISSION =
  'run as root or grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN; ' +
  'setcap cap_net_admin+ep on the node binary; docker: --cap-add NET_ADMIN)';
export const FIX_NO_TUN =
  'load the tun driver (`modprobe tun`) and make sure /dev/net/tun exists ' +
  '(`mkdir -p /dev/net && mknod /dev/net/tun c 10 200`; docker: --device /dev/net/tun)';
