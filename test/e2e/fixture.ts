import { afterAll, beforeAll } from 'vitest';
import { type AgentOptions, MeshLab, type MeshSpec } from './mesh-lab.js';

export interface MeshFixture extends MeshSpec {
  /** Agents to start, in order: a host name, or a host with `rtcmesh up` options. */
  agents: ReadonlyArray<string | ({ host: string } & AgentOptions)>;
  /** Runs once the server is up, before the agents start (bridges, sysctls, firewall rules). */
  prepare?: (mesh: MeshLab) => Promise<void>;
  /** How long to wait until every agent links with every other one; false: don't wait. */
  fullMeshTimeoutMs?: number | false;
}

/**
 * Declares the mesh of a `describe` block: built in beforeAll, torn down in afterAll (also when a
 * test fails). Returns an accessor for the tests.
 */
export function useMeshLab(f: MeshFixture): () => MeshLab {
  let mesh: MeshLab | undefined;
  beforeAll(async () => {
    mesh = await MeshLab.start(f);
    await f.prepare?.(mesh);
    for (const a of f.agents) {
      if (typeof a === 'string') await mesh.startAgent(a);
      else await mesh.startAgent(a.host, a);
    }
    if (f.fullMeshTimeoutMs !== false) await mesh.waitFullMesh(f.fullMeshTimeoutMs ?? 60_000);
  }, 180_000);
  afterAll(async () => {
    await mesh?.teardown();
  });
  return () => {
    if (!mesh) throw new Error('the mesh was not built (see the beforeAll error)');
    return mesh;
  };
}
