import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type LabAgent, type MeshLab, waitFor } from './mesh-lab.js';

/** `rtcmesh status --json` -> `policy`, as far as the ACL tests read it. */
export interface PolicyStatusJson {
  version: number;
  denied: number;
  deniedByPeer: Record<string, number>;
  verdicts: Record<string, number>;
  /** Why the last policy from the server was refused (the previous one stays in force). */
  lastError: string | null;
}

export async function policyStatus(agent: LabAgent): Promise<PolicyStatusJson> {
  const s = (await agent.status()) as unknown as { policy?: PolicyStatusJson };
  if (!s.policy) throw new Error(`${agent.name}: status has no policy (agent without ACLs?)`);
  return s.policy;
}

/** Writes `doc` to a file and runs `policy set`; returns the version the server gave it. */
export async function setPolicy(mesh: MeshLab, doc: Record<string, unknown>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rtm-policy-'));
  const file = join(dir, 'policy.json');
  await writeFile(file, JSON.stringify(doc, null, 2));
  const r = await mesh.admin(['policy', 'set', 'lab', file]);
  expect(r.code, r.stderr).toBe(0);
  const m = /version (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`policy set said: ${r.stdout}`);
  return Number(m[1]);
}

/** Waits until every agent enforces policy `version` (pushed live by the server). */
export async function waitPolicy(agents: LabAgent[], version: number, timeoutMs = 10_000): Promise<void> {
  for (const a of agents)
    await waitFor(
      `${a.name} to enforce policy v${version}`,
      async () => ((await policyStatus(a)).version === version ? true : undefined),
      timeoutMs,
    );
}

export async function tag(mesh: MeshLab, node: string, tags: string): Promise<void> {
  const r = await mesh.admin(['node', 'tag', node, tags]);
  expect(r.code, r.stderr).toBe(0);
}

/** Each peer's link `since` (changes when a link goes down and up again). */
export async function linkSince(agent: LabAgent): Promise<Record<string, string | null>> {
  const s = (await agent.status()) as unknown as {
    peers: { name: string; state: string; since: string | null }[];
  };
  return Object.fromEntries(s.peers.map((p) => [p.name, p.state === 'connected' ? p.since : null]));
}
