import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { runCli as cli, useServe } from '../testing/cli-runner.js';
import { joinNode } from '../testing/test-client.js';

// Every step spawns the CLI from source (tsx compiles it per process): seconds each on a loaded CI machine.
vi.setConfig({ testTimeout: 90_000 });

const t = useServe();

test('policy set refuses an invalid file with every issue, stores a valid one, policy get prints it', async () => {
  await t.serve();
  expect((await cli('network', 'create', 'lab', '--mode', 'l3', '--data', t.dir.path)).code).toBe(0);
  const bad = join(t.dir.path, 'bad.json');
  writeFileSync(bad, JSON.stringify({ rules: [{ action: 'accept', src: ['group:x'], dst: ['tag:db'] }] }));
  const refused = await cli('policy', 'set', 'lab', bad, '--data', t.dir.path);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('rules[0].src[0]: group "group:x" is not defined');
  expect(refused.stderr).toContain('rules[0].dst[0]: "tag:db" needs ports');

  const good = join(t.dir.path, 'good.json');
  const doc = { rules: [{ action: 'accept', src: ['tag:admin'], dst: ['tag:db:22'], proto: 'tcp' }] };
  writeFileSync(good, JSON.stringify(doc));
  const set = await cli('policy', 'set', 'lab', good, '--data', t.dir.path);
  expect(set.stdout, set.stderr).toMatch(/version 1$/m);
  // The older form (--network) still works.
  const again = await cli('policy', 'set', good, '--network', 'lab', '--data', t.dir.path);
  expect(again.stdout).toMatch(/version 2$/m);
  // A file that says which version it edited gets 409 when that is outdated.
  writeFileSync(good, JSON.stringify({ ...doc, version: 1 }));
  const stale = await cli('policy', 'set', 'lab', good, '--data', t.dir.path);
  expect(stale.code).toBe(1);
  expect(stale.stderr).toMatch(/changed meanwhile.*conflict/);
  const got = await cli('policy', 'get', 'lab', '--data', t.dir.path);
  expect(JSON.parse(got.stdout)).toEqual({ ...doc, version: 2 });
  const both = await cli('policy', 'get', 'lab', '--network', 'other', '--data', t.dir.path);
  expect(both.stderr).toMatch(/two networks given: lab and --network other/);
});

test('a node name in two networks: node tag|remove refuse to guess, --network picks the right one', async () => {
  const url = await t.serve();
  for (const net of ['prod', 'lab']) {
    expect((await cli('network', 'create', net, '--mode', 'l3', '--data', t.dir.path)).code).toBe(0);
    const key = (await cli('key', 'create', net, '--data', t.dir.path)).stdout
      .trim()
      .split('\n')
      .pop()!
      .trim();
    await joinNode({ url }, key, 'web');
  }
  const ambiguous = await cli('node', 'tag', 'web', 'tag:db', '--data', t.dir.path);
  expect(ambiguous.code).not.toBe(0);
  expect(ambiguous.stderr).toMatch(/node name web is in networks (prod, lab|lab, prod)/);
  const removeAmbiguous = await cli('node', 'remove', 'web', '--data', t.dir.path);
  expect(removeAmbiguous.code).not.toBe(0);

  expect((await cli('node', 'tag', 'web', 'tag:db', '--network', 'lab', '--data', t.dir.path)).code).toBe(0);
  const removed = await cli('node', 'remove', 'web', '--network', 'prod', '--data', t.dir.path);
  expect(removed.code, removed.stderr).toBe(0);
  const list = JSON.parse((await cli('node', 'list', '--json', '--data', t.dir.path)).stdout) as {
    name: string;
    networkId: string;
    tags?: string[];
  }[];
  // prod's web is gone; lab's web stays, with the tag.
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({ name: 'web', tags: ['tag:db'] });
});
