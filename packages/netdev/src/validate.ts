import { isIPv4, isIPv6 } from 'node:net';
import { NetDevInvalidArgumentError } from './errors.js';

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_IFNAME_LENGTH = 15;
/** Smallest MTU Linux accepts for IPv4 (RFC 791); IPv6 needs 1280. */
export const MIN_MTU = 68;
export const MAX_MTU = 65535;

/** Same rules as the kernel's dev_valid_name(); `%d` lets the kernel pick the number. */
export function validateInterfaceName(name: unknown, what = 'interface name'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_IFNAME_LENGTH) {
    throw new NetDevInvalidArgumentError(
      `${what} must be 1..${MAX_IFNAME_LENGTH} characters, got ${show(name)}`,
    );
  }
  if (name === '.' || name === '..' || /[/:\s]/.test(name) || !/^[\x21-\x7e]+$/.test(name)) {
    throw new NetDevInvalidArgumentError(
      `${what} ${show(name)} is not valid (no '/', ':', whitespace or non-ASCII; not '.' or '..')`,
    );
  }
  return name;
}

export function validateMtu(mtu: unknown): number {
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
    throw new NetDevInvalidArgumentError(
      `mtu must be an integer in ${MIN_MTU}..${MAX_MTU}, got ${show(mtu)}`,
    );
  }
  return mtu;
}

/** A unicast, non-zero MAC as six colon-separated hex octets; returned lower-case. */
export function validateMac(mac: unknown): string {
  if (typeof mac !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) {
    throw new NetDevInvalidArgumentError(`mac must look like 02:00:5e:10:00:01, got ${show(mac)}`);
  }
  const lower = mac.toLowerCase();
  const firstOctet = Number.parseInt(lower.slice(0, 2), 16);
  if ((firstOctet & 1) === 1) {
    throw new NetDevInvalidArgumentError(`mac ${lower} is a multicast address; a device needs a unicast MAC`);
  }
  if (lower === '00:00:00:00:00:00') {
    throw new NetDevInvalidArgumentError('mac 00:00:00:00:00:00 is not a usable address');
  }
  return lower;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** `address/prefixLength` as given (what `ip` receives). */
  readonly text: string;
}

/** Parses `10.0.0.1/24` or `fd00::1/64`; the prefix length is required. */
export function parseCidr(cidr: unknown): Cidr {
  if (typeof cidr !== 'string') {
    throw new NetDevInvalidArgumentError(`CIDR must be a string like 10.0.0.1/24, got ${show(cidr)}`);
  }
  const slash = cidr.lastIndexOf('/');
  const address = slash > 0 ? cidr.slice(0, slash) : '';
  const prefixText = slash > 0 ? cidr.slice(slash + 1) : '';
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) {
    throw new NetDevInvalidArgumentError(
      `CIDR ${show(cidr)} is not an IPv4 or IPv6 address with a prefix length (10.0.0.1/24, fd00::1/64)`,
    );
  }
  const prefixLength = Number(prefixText);
  const max = family === 4 ? 32 : 128;
  if (prefixLength > max) {
    throw new NetDevInvalidArgumentError(`CIDR ${cidr}: prefix length ${prefixLength} exceeds ${max}`);
  }
  return { family, address, prefixLength, text: `${address}/${prefixLength}` };
}

/** A gateway address (for routes `via`), IPv4 or IPv6. */
export function validateIp(address: unknown, what = 'address'): string {
  if (typeof address !== 'string' || (!isIPv4(address) && !isIPv6(address))) {
    throw new NetDevInvalidArgumentError(`${what} must be an IPv4 or IPv6 address, got ${show(address)}`);
  }
  return address;
}

/** A name under /run/netns as `ip netns add` creates it. */
export function validateNetnsName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new NetDevInvalidArgumentError(
      `netns must be a network namespace name (ip netns), got ${show(name)}`,
    );
  }
  return name;
}

export function validateRouteMetric(metric: unknown): number {
  if (typeof metric !== 'number' || !Number.isInteger(metric) || metric < 0 || metric > 0xffffffff) {
    throw new NetDevInvalidArgumentError(
      `route metric must be an integer in 0..4294967295, got ${show(metric)}`,
    );
  }
  return metric;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}
