import { join } from 'node:path';
import type { ManagedProcess } from '../../../test/lab/index.js';
import type { BenchContext, PathUnderTest } from '../types.js';
import { mustRun, until, which, writeFiles } from './common.js';

const NET = '10.203.0';
const PORT = 51820;

/** wireguard-go (Debian package wireguard-go) configured with `wg` (wireguard-tools); L3, MTU 1420. */
export const wireguardPath: PathUnderTest = {
  id: 'wireguard-go',
  label: 'wireguard-go',
  layer: 'L3',
  unavailable: async () =>
    (await which('wireguard-go')) && (await which('wg'))
      ? undefined
      : 'wireguard-go or wg not installed (apt-get install wireguard-go wireguard-tools)',
  async start(ctx: BenchContext) {
    const hosts = [ctx.a, ctx.b];
    const keys: { priv: string; pub: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const priv = (await mustRun('wg', ['genkey'])).trim();
      const file = join(ctx.tmp, `wg-${i}.key`);
      await writeFiles({ [file]: `${priv}\n` });
      const r = await import('node:child_process').then(
        (cp) =>
          new Promise<string>((res, rej) => {
            const c = cp.execFile('wg', ['pubkey'], (err, out) => (err ? rej(err) : res(out.trim())));
            c.stdin?.end(`${priv}\n`);
          }),
      );
      keys.push({ priv: file, pub: r });
    }
    // The UAPI socket (/var/run/wireguard/<dev>.sock) is on the shared filesystem: one name per host.
    const dev = (i: number) => `wgbench${ctx.run}${i}`;
    const procs: ManagedProcess[] = hosts.map((h, i) =>
      h.spawn('wireguard-go', ['-f', dev(i)], {
        label: `wireguard-go-${i}`,
        env: { ...process.env, LOG_LEVEL: 'error' },
      }),
    );
    for (const [i, h] of hosts.entries()) {
      await until(`${dev(i)} device`, async () => (await h.exec('ip', ['link', 'show', dev(i)])).code === 0);
      const other = hosts[1 - i]!;
      await mustRun(
        'wg',
        [
          'set',
          dev(i),
          'private-key',
          keys[i]!.priv,
          'listen-port',
          String(PORT),
          'peer',
          keys[1 - i]!.pub,
          'allowed-ips',
          `${NET}.${2 - i}/32`,
          'endpoint',
          `${other.ip}:${PORT}`,
        ],
        h,
      );
      await mustRun('ip', ['addr', 'add', `${NET}.${i + 1}/24`, 'dev', dev(i)], h);
      await mustRun('ip', ['link', 'set', dev(i), 'up'], h);
    }
    return {
      target: `${NET}.2`,
      daemonPids: () => procs.map((p) => p.pid ?? 0).filter((p) => p > 0),
      stop: async () => {
        await Promise.all(procs.map((p) => p.stop(3000)));
      },
    };
  },
};
