import { dnsSuffixProblem } from '@rtcmesh/protocol';
import { InvalidArgumentError } from 'commander';
import { type ListenAddress, parseListenAddress } from '../metrics/metrics-server.js';
import { type MobilitySpec, parseMobilitySpec } from '../mobility/mobility-spec.js';
import { parseDuration } from '../state/network-map.js';

/** Option values as the commands take them; a bad one is an InvalidArgumentError (commander says which flag). */

export function splitUrls(value: string): string[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
}

export function parseDurationOption(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function collectMobility(v: string, previous: MobilitySpec[] | undefined): MobilitySpec[] {
  try {
    const spec = parseMobilitySpec(v);
    const list = previous ?? [];
    if (list.some((m) => m.bridge === spec.bridge || m.prefix === spec.prefix))
      throw new Error(`--mobility ${v}: one prefix per bridge, one bridge per prefix`);
    return [...list, spec];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `rtcmesh set --mobility ""` clears the list. */
export function collectMobilityOrNone(v: string, previous: MobilitySpec[] | undefined): MobilitySpec[] {
  return v.trim() === '' ? (previous ?? []) : collectMobility(v, previous);
}

export function parseDnsSuffix(v: string): string {
  const suffix = v.trim().toLowerCase().replace(/\.$/, '');
  const problem = dnsSuffixProblem(suffix);
  if (problem) throw new InvalidArgumentError(problem);
  return suffix;
}

export function parseListenOption(v: string): ListenAddress {
  try {
    return parseListenAddress(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port 0..65535');
  return n;
}

export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function parseMtu(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 576 || n > 9000) throw new InvalidArgumentError('MTU must be 576..9000');
  return n;
}

export function parseCidrListOrNone(v: string): string[] {
  return v.trim() === '' ? [] : parseCidrList(v);
}

export function parseCidrList(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const cidr of list) {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr)) throw new InvalidArgumentError(`not a CIDR: ${cidr}`);
  }
  return list;
}
