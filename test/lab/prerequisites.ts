import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { execCommand } from './exec.js';

async function hasCommand(cmd: string): Promise<boolean> {
  const r = await execCommand('sh', ['-c', `command -v ${cmd}`]).catch(() => undefined);
  return r?.code === 0;
}

/** Kernel features the lab needs. Most kernels build them in; `/proc/config.gz` tells when present. */
function kernelGaps(): string[] {
  const gaps: string[] = [];
  if (!existsSync('/proc/sys/net/netfilter')) gaps.push('kernel: netfilter conntrack (nf_conntrack module)');
  if (!existsSync('/proc/self/ns/net')) gaps.push('kernel: network namespaces');
  let config = '';
  try {
    if (existsSync('/proc/config.gz')) config = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    config = '';
  }
  if (config) {
    for (const opt of ['CONFIG_VETH', 'CONFIG_BRIDGE', 'CONFIG_NF_NAT', 'CONFIG_TUN']) {
      if (!new RegExp(`^${opt}=[ym]$`, 'm').test(config))
        gaps.push(`kernel: ${opt} (module ${opt.slice(7).toLowerCase()})`);
    }
  }
  return gaps;
}

/** What is missing for the lab on this machine (empty when everything is there). */
export async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  if (process.platform !== 'linux') return ['Linux (network namespaces)'];
  if (process.getuid?.() !== 0) missing.push('root (run the tests as root: they create network namespaces)');
  const commands: Array<[string, string]> = [
    ['ip', 'iproute2'],
    ['tc', 'iproute2'],
    ['iptables', 'iptables'],
    ['iptables-restore', 'iptables'],
    ['turnserver', 'coturn'],
    ['openssl', 'openssl'],
    ['ss', 'iproute2'],
    ['ping', 'iputils-ping'],
  ];
  for (const [cmd, pkg] of commands) {
    if (!(await hasCommand(cmd))) missing.push(`${cmd} (apt-get install ${pkg})`);
  }
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    missing.push('/dev/net/tun (kernel tun module, and the device in the container)');
  }
  missing.push(...kernelGaps());
  return missing;
}

/** Throws one error that lists everything missing for the lab. */
export async function requirePrerequisites(): Promise<void> {
  const missing = await missingPrerequisites();
  if (missing.length > 0) {
    throw new Error(`network lab prerequisites missing:\n  - ${missing.join('\n  - ')}`);
  }
}

/**
 * For test files: resolves to undefined when the lab can run, or to a skip reason when it cannot.
 * With `CI` set a missing prerequisite is an error (CI must never skip silently), so it throws.
 *
 *   const skip = await labSkipReason();
 *   describe.skipIf(skip !== undefined)('...', () => { ... });
 */
export async function labSkipReason(): Promise<string | undefined> {
  const missing = await missingPrerequisites();
  if (missing.length === 0) return undefined;
  const reason = `network lab prerequisites missing: ${missing.join('; ')}`;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so this fails instead of skipping)`);
  return reason;
}
