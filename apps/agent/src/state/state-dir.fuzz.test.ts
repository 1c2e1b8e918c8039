// Corrupted state files: whatever is in identity.json or node.key (garbage bytes, truncated or
// mutated valid content, a directory in the file's place), loading either succeeds with a valid value
// or fails with a StateDirError that names the file (the CLI prints its message, no stack trace).
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { StateDir, StateDirError } from './state-dir.js';

let state: StateDir;
const validIdentity = JSON.stringify({
  version: 1,
  serverUrl: 'http://127.0.0.1:8080',
  nodeId: 'n-abc',
  networkId: 'net-1',
  name: 'alpha',
});
const validKey = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

beforeAll(async () => {
  state = new StateDir(await mkdtemp(join(tmpdir(), 'rtcmesh-state-fuzz-')));
  await state.ensure();
});

/** Truncated, with some characters overwritten, or with random text spliced in. */
function mutated(valid: string): fc.Arbitrary<string> {
  return fc
    .record({
      cut: fc.nat(valid.length),
      edits: fc.array(fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 })), { maxLength: 4 }),
      splice: fc.option(fc.tuple(fc.nat(), fc.string({ maxLength: 20 })), { nil: undefined }),
    })
    .map(({ cut, edits, splice }) => {
      const chars = [...valid.slice(0, valid.length - cut)];
      for (const [at, ch] of edits) if (chars.length > 0) chars[at % chars.length] = ch;
      let s = chars.join('');
      if (splice)
        s = s.slice(0, splice[0] % (s.length + 1)) + splice[1] + s.slice(splice[0] % (s.length + 1));
      return s;
    });
}

const bytes = (a: fc.Arbitrary<string>) => a.map((s) => Buffer.from(s));
const garbage = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));

async function outcome(load: () => Promise<unknown>, file: string): Promise<'ok' | 'error'> {
  try {
    await load();
    return 'ok';
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(StateDirError);
    expect((err as Error).message).toContain(file);
    return 'error';
  }
}

test('identity.json: garbage, mutated and wrong-typed content load or fail with a StateDirError', async () => {
  const identityFile = join(state.dir, 'identity.json');
  const content = fc.oneof(
    bytes(mutated(validIdentity)),
    bytes(fc.json()),
    fc
      .dictionary(fc.constantFrom('version', 'serverUrl', 'nodeId', 'networkId', 'name'), fc.jsonValue())
      .map((o) => Buffer.from(JSON.stringify({ ...JSON.parse(validIdentity), ...o }))),
    garbage,
  );
  await fc.assert(
    fc.asyncProperty(content, async (data) => {
      await writeFile(identityFile, data);
      if ((await outcome(() => state.readIdentity(), identityFile)) === 'ok') {
        const id = await state.readIdentity();
        // Loaded means usable: what the agent needs to reconnect is there.
        expect(id?.version).toBe(1);
        expect(id?.nodeId.length).toBeGreaterThan(0);
      }
    }),
    { seed: 91, numRuns: 300 },
  );
});

test('node.key: garbage and mutated PEM load as an Ed25519 key or fail with a StateDirError', async () => {
  const keyFile = join(state.dir, 'node.key');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const pub = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const content = fc.oneof(
    bytes(mutated(validKey)),
    bytes(fc.constantFrom(other, pub, '', '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n')),
    garbage,
  );
  await fc.assert(
    fc.asyncProperty(content, async (data) => {
      await writeFile(keyFile, data);
      if ((await outcome(() => state.loadOrCreateKey(), keyFile)) === 'ok') {
        const k = await state.loadOrCreateKey();
        expect(k.created).toBe(false);
        expect(k.privateKey.asymmetricKeyType).toBe('ed25519');
      }
    }),
    { seed: 92, numRuns: 200 },
  );
});

test('a directory where a state file should be is a StateDirError naming it', async () => {
  const s = new StateDir(await mkdtemp(join(tmpdir(), 'rtcmesh-state-fuzz-')));
  await mkdir(join(s.dir, 'identity.json'));
  await mkdir(join(s.dir, 'node.key'));
  await expect(s.readIdentity()).rejects.toThrow(StateDirError);
  await expect(s.readIdentity()).rejects.toThrow(/identity\.json/);
  await expect(s.loadOrCreateKey()).rejects.toThrow(/node\.key/);
  await rm(s.dir, { recursive: true, force: true });
});
