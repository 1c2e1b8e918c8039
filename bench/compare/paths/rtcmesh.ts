import { access, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LabAgent, MeshLab } from '../../../test/e2e/mesh-lab.js';
import { AGENT_BIN, SIGNAL_BIN } from '../../../test/e2e/mesh-lab.js';
import type { BenchContext, PathUnderTest, RunningPath } from '../types.js';

export const RTCMESH_CIDR = { l2: '10.204.0.0/24', l3: '10.205.0.0/24' } as const;

const keys = new WeakMap<MeshLab, Partial<Record<'l2' | 'l3', string>>>();

/** A join key of a network in `mode` (the MeshLab's own network is L2; the L3 one is created once). */
async function joinKey(mesh: MeshLab, mode: 'l2' | 'l3'): Promise<string> {
  const k = keys.get(mesh) ?? {};
  keys.set(mesh, k);
  if (mode === 'l2') k.l2 ??= mesh.joinKey;
  if (!k[mode]) {
    const net = await mesh.admin([
      'network',
      'create',
      'bench-l3',
      '--mode',
      'l3',
      '--cidr',
      RTCMESH_CIDR.l3,
    ]);
    if (net.code !== 0) throw new Error(`network create failed: ${net.stderr}`);
    const key = await mesh.admin(['key', 'create', 'bench-l3', '--reusable']);
    if (key.code !== 0) throw new Error(`key create failed: ${key.stderr}`);
    k[mode] = key.stdout.trim().split('\n').pop()!.trim();
  }
  return k[mode]!;
}

const UNPATCHED_HOOK = fileURLToPath(new URL('../werift-unpatched.mjs', import.meta.url));

/**
 * rtcmesh: the real signaling server (started by MeshLab in the server namespace) and two real agents.
 * `unpatched`: the agents load werift 0.25.2 without patches/werift@0.25.2.patch (before/after).
 * `ndc`: the agents run `--transport libdatachannel` (node-datachannel instead of werift).
 */
function rtcmeshPath(mode: 'l2' | 'l3', variant: 'werift' | 'unpatched' | 'ndc' = 'werift'): PathUnderTest {
  const unpatchedWerift = variant === 'unpatched';
  const ndc = variant === 'ndc';
  return {
    id: `rtcmesh-${ndc ? 'ndc-' : ''}${mode}${unpatchedWerift ? '-unpatched' : ''}`,
    label: `rtcmesh ${mode.toUpperCase()}${unpatchedWerift ? ' (werift unpatched)' : ''}${ndc ? ' (libdatachannel)' : ''}`,
    layer: mode === 'l2' ? 'L2' : 'L3',
    async unavailable() {
      try {
        await access(AGENT_BIN.replace('bin/rtcmesh.js', 'dist/cli/main.js'));
        await access(SIGNAL_BIN.replace('bin/rtcmesh-signal.js', 'dist/cli.js'));
        return undefined;
      } catch {
        return 'rtcmesh not built (run `npx tsc -b` first)';
      }
    },
    async start(ctx: BenchContext): Promise<RunningPath> {
      ctx.mesh.joinKey = await joinKey(ctx.mesh, mode);
      const tag = `${mode}${unpatchedWerift ? 'u' : ''}${ndc ? 'n' : ''}r${ctx.run}`;
      const names = [`a${tag}`, `b${tag}`];
      const env: Record<string, string> = unpatchedWerift
        ? { NODE_OPTIONS: `--import=${UNPATCHED_HOOK}` }
        : {};
      const transport = ndc ? 'libdatachannel' : 'werift';
      const agents: LabAgent[] = await Promise.all([
        ctx.mesh.startAgent(ctx.a.name, { name: names[0], env, transport }),
        ctx.mesh.startAgent(ctx.b.name, { name: names[1], env, transport }),
      ]);
      const target = await agents[1]!.address();
      return {
        target,
        daemonPids: () => agents.map((x) => x.process.pid ?? 0).filter((p) => p > 0),
        stop: async () => {
          await Promise.all(agents.map((x) => x.process.stop(5000)));
          for (const n of names) ctx.mesh.agents.delete(n);
          for (const x of agents) await rm(x.stateDir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const rtcmeshL2Path = rtcmeshPath('l2');
export const rtcmeshL3Path = rtcmeshPath('l3');
export const rtcmeshL2UnpatchedPath = rtcmeshPath('l2', 'unpatched');
export const rtcmeshL3UnpatchedPath = rtcmeshPath('l3', 'unpatched');
export const rtcmeshNdcL2Path = rtcmeshPath('l2', 'ndc');
export const rtcmeshNdcL3Path = rtcmeshPath('l3', 'ndc');
