import { join } from 'node:path';
import type { ManagedProcess } from '../../../test/lab/index.js';
import type { BenchContext, PathUnderTest } from '../types.js';
import { mustRun, which, writeFiles } from './common.js';

const NET = '10.201.0';

/** tinc 1.0 in switch mode (L2, TAP), default cipher and digest (as a user gets them). */
export const tincPath: PathUnderTest = {
  id: 'tinc',
  label: 'tinc 1.0 (switch)',
  layer: 'L2',
  unavailable: async () =>
    (await which('tincd')) ? undefined : 'tincd not installed (apt-get install tinc)',
  async start(ctx: BenchContext) {
    const nodes = [
      { name: 'a', host: ctx.a, ip: `${NET}.1` },
      { name: 'b', host: ctx.b, ip: `${NET}.2` },
    ];
    const dirs = nodes.map((n) => join(ctx.tmp, `tinc-${n.name}`));
    const pub: string[] = [];
    for (const [i, n] of nodes.entries()) {
      const d = dirs[i]!;
      await writeFiles({ [`${d}/.keep`]: '' });
      await mustRun('openssl', ['genrsa', '-out', `${d}/rsa_key.priv`, '2048']);
      pub.push(await mustRun('openssl', ['rsa', '-in', `${d}/rsa_key.priv`, '-RSAPublicKey_out']));
      void n;
    }
    for (const [i, n] of nodes.entries()) {
      const d = dirs[i]!;
      const hosts: Record<string, string> = {};
      for (const [j, m] of nodes.entries())
        hosts[`${d}/hosts/${m.name}`] = `Address = ${m.host.ip}\nPort = 655\n\n${pub[j]}`;
      await writeFiles(
        {
          [`${d}/tinc.conf`]: `Name = ${n.name}\nMode = switch\nInterface = tinc0\nDevice = /dev/net/tun\nAddressFamily = ipv4\n${
            i === 0 ? 'ConnectTo = b\n' : ''
          }`,
          [`${d}/tinc-up`]: `#!/bin/sh\nip link set "$INTERFACE" up\nip addr add ${n.ip}/24 dev "$INTERFACE"\n`,
          ...hosts,
        },
        [`${d}/tinc-up`],
      );
    }
    const procs: ManagedProcess[] = nodes.map((n, i) =>
      n.host.spawn(
        'tincd',
        ['-c', dirs[i]!, '-D', '--pidfile', `${dirs[i]}/pid`, '--logfile', `${dirs[i]}/log`],
        {
          label: `tincd-${n.name}`,
        },
      ),
    );
    return {
      target: `${NET}.2`,
      daemonPids: () => procs.map((p) => p.pid ?? 0).filter((p) => p > 0),
      stop: async () => {
        await Promise.all(procs.map((p) => p.stop(3000)));
      },
    };
  },
};
