import type { ManagedProcess } from '../../../test/lab/index.js';
import type { BenchContext, PathUnderTest } from '../types.js';
import { until, which } from './common.js';

const NET = '10.202.0';
const SUPERNODE_PORT = 7654;

/** n2n (Debian: v1.3 edge/supernode, L2 TAP, Twofish with a shared key); supernode in the server namespace. */
export const n2nPath: PathUnderTest = {
  id: 'n2n',
  label: 'n2n 1.3 (edge)',
  layer: 'L2',
  unavailable: async () =>
    (await which('edge')) && (await which('supernode'))
      ? undefined
      : 'n2n not installed (apt-get install n2n)',
  async start(ctx: BenchContext) {
    const srv = ctx.mesh.world.server;
    const sn = srv.spawn('supernode', ['-l', String(SUPERNODE_PORT)], { label: 'supernode' });
    // An edge that registers before the supernode listens retries only after a long interval
    // (a 60 s first ping once): wait for the UDP socket.
    await until(
      'n2n supernode listening',
      async () => (await srv.exec('ss', ['-Hlun', `sport = :${SUPERNODE_PORT}`])).stdout.trim() !== '',
    );
    const edges: ManagedProcess[] = [ctx.a, ctx.b].map((h, i) =>
      h.spawn(
        'edge',
        [
          '-d',
          'n2n0',
          '-a',
          `${NET}.${i + 1}`,
          '-c',
          'bench',
          '-k',
          'bench-secret',
          '-l',
          `${srv.ip}:${SUPERNODE_PORT}`,
          '-m',
          `02:00:00:00:20:0${i + 1}`,
        ],
        { label: `edge-${i}` },
      ),
    );
    return {
      target: `${NET}.2`,
      daemonPids: () => edges.map((p) => p.pid ?? 0).filter((p) => p > 0),
      stop: async () => {
        await Promise.all(edges.map((p) => p.stop(3000)));
        await sn.stop(3000);
      },
    };
  },
};
