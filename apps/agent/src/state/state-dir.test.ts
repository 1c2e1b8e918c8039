import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { StateDir, StateDirError } from './state-dir.js';

async function tempState(): Promise<StateDir> {
  return new StateDir(await mkdtemp(join(tmpdir(), 'rtcmesh-state-')));
}

describe('StateDir', () => {
  test('creates the node key once and keeps it across restarts', async () => {
    const state = await tempState();
    const first = await state.loadOrCreateKey();
    expect(first.created).toBe(true);
    const mode = (await stat(join(state.dir, 'node.key'))).mode & 0o777;
    expect(mode).toBe(0o600);
    const second = await new StateDir(state.dir).loadOrCreateKey();
    expect(second.created).toBe(false);
    expect(second.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
      first.publicKey.export({ format: 'der', type: 'spki' }),
    );
  });

  test('round-trips the identity and rejects a corrupt file with a clear error', async () => {
    const state = await tempState();
    expect(await state.readIdentity()).toBeUndefined();
    await state.writeIdentity({ version: 1, serverUrl: 'http://127.0.0.1:8080', nodeId: 'n1' });
    expect((await state.readIdentity())?.nodeId).toBe('n1');
    await writeFile(join(state.dir, 'identity.json'), '{"version":1,');
    await expect(state.readIdentity()).rejects.toBeInstanceOf(StateDirError);
    await writeFile(join(state.dir, 'identity.json'), '{"version":2}');
    await expect(state.readIdentity()).rejects.toThrow(/invalid/);
    expect(await readFile(join(state.dir, 'identity.json'), 'utf8')).toContain('version');
  });

  test('refuses a key file that is not Ed25519', async () => {
    const state = await tempState();
    await writeFile(join(state.dir, 'node.key'), 'garbage');
    await expect(state.loadOrCreateKey()).rejects.toThrow(/unreadable/);
  });
});
