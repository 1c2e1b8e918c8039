import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SignedPolicy } from '../policy/signed-policy.js';

/**
 * The agent's state directory: its node key and the identity the server gave it.
 * A restart with the same directory rejoins as the same node without a join key.
 * Several agents on one machine use one directory each (one per namespace).
 */
export const DEFAULT_STATE_DIR = '/var/lib/rtcmesh';

const identitySchema = z.object({
  version: z.literal(1),
  serverUrl: z.string().url(),
  nodeId: z.string().min(1).max(128),
  networkId: z.string().min(1).max(128).optional(),
  name: z.string().max(128).optional(),
});
export type NodeIdentity = z.infer<typeof identitySchema>;

const lockPinsSchema = z.object({
  version: z.literal(1),
  networkId: z.string().min(1).max(128),
  keys: z.array(z.base64().max(64)).max(8),
});

/** What `rtcmesh set` changed, kept for the next start (flags given to `rtcmesh up` win over it). */
const savedSettingsSchema = z.object({
  version: z.literal(1),
  advertiseRoutes: z.array(z.string().max(64)).max(64).optional(),
  acceptRoutes: z.boolean().optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  /** `--mobility` values (checked again with parseMobilitySpec when applied). */
  mobility: z.array(z.string().max(128)).max(8).optional(),
});
export type SavedSettings = Omit<z.infer<typeof savedSettingsSchema>, 'version'>;

const signedPolicySchema = z.object({
  version: z.literal(1),
  networkId: z.string().min(1).max(128),
  policy: z.looseObject({ version: z.number().int().nonnegative() }),
  signature: z.base64().max(128),
});

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export class StateDirError extends Error {
  override readonly name = 'StateDirError';
}

/** A JSON file of the state directory checked against `schema`; undefined when it does not exist. */
async function readStateFile<T>(path: string, schema: z.ZodType<T>, fix: string): Promise<T | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = schema.safeParse(safeJson(raw));
  if (!parsed.success) throw new StateDirError(`${path} is invalid; ${fix}`);
  return parsed.data;
}

export class StateDir {
  constructor(readonly dir: string) {}

  get socketPath(): string {
    return join(this.dir, 'rtcmesh.sock');
  }
  private get keyPath(): string {
    return join(this.dir, 'node.key');
  }
  private get settingsPath(): string {
    return join(this.dir, 'settings.json');
  }

  async readSettings(): Promise<SavedSettings> {
    const saved = await readStateFile(
      this.settingsPath,
      savedSettingsSchema,
      'remove it to start from the command line flags alone',
    );
    if (!saved) return {};
    const { version: _v, ...rest } = saved;
    return rest;
  }

  async writeSettings(settings: SavedSettings): Promise<void> {
    await this.ensure();
    const text = JSON.stringify({ version: 1, ...settings }, null, 2);
    await writeAtomic(this.settingsPath, `${text}\n`, 0o600);
  }

  /** The cached network map (state/network-map.ts). */
  get networkMapPath(): string {
    return join(this.dir, 'network-map.json');
  }
  private get identityPath(): string {
    return join(this.dir, 'identity.json');
  }
  /** A rotated key the server may or may not have taken yet (`rtcmesh rekey` in flight). */
  private get pendingKeyPath(): string {
    return join(this.dir, 'node.key.next');
  }
  private get lockPath(): string {
    return join(this.dir, 'lock.json');
  }
  /** The last operator-signed access policy of a locked network (see SignedPolicyGate). */
  private get signedPolicyPath(): string {
    return join(this.dir, 'signed-policy.json');
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Loads the node's Ed25519 private key, creating it (mode 0600) on first use. */
  async loadOrCreateKey(): Promise<{ privateKey: KeyObject; publicKey: KeyObject; created: boolean }> {
    await this.ensure();
    let pem: string | undefined;
    try {
      pem = await readFile(this.keyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StateDirError(`cannot read node key ${this.keyPath}: ${(err as Error).message}`);
    }
    if (pem !== undefined) {
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey(pem);
      } catch (err) {
        throw new StateDirError(`node key ${this.keyPath} is unreadable: ${(err as Error).message}`);
      }
      if (privateKey.asymmetricKeyType !== 'ed25519') {
        throw new StateDirError(`node key ${this.keyPath} is not an Ed25519 key`);
      }
      return { privateKey, publicKey: createPublicKey(privateKey), created: false };
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await writeAtomic(this.keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    return { privateKey, publicKey, created: true };
  }

  /** Creates the next node key (mode 0600) before the server is asked to take it. */
  async createPendingKey(): Promise<KeyObject> {
    await this.ensure();
    const { privateKey } = generateKeyPairSync('ed25519');
    await writeAtomic(
      this.pendingKeyPath,
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      0o600,
    );
    return privateKey;
  }

  /** The pending key of a rotation that never finished, if any. */
  async loadPendingKey(): Promise<KeyObject | undefined> {
    let pem: string;
    try {
      pem = await readFile(this.pendingKeyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const key = createPrivateKey(pem);
      return key.asymmetricKeyType === 'ed25519' ? key : undefined;
    } catch {
      // A torn write of a key the server never saw: forget it.
      await this.discardPendingKey();
      return undefined;
    }
  }

  /** The server took the rotation: the pending key becomes the node key (one atomic rename). */
  async promotePendingKey(): Promise<void> {
    await rename(this.pendingKeyPath, this.keyPath);
  }

  async discardPendingKey(): Promise<void> {
    await rm(this.pendingKeyPath, { force: true });
  }

  /** Operator lock keys pinned for a network (empty when never seen); see links/network-lock.ts. */
  async readLockPins(networkId: string): Promise<string[]> {
    const pins = await readStateFile(
      this.lockPath,
      lockPinsSchema,
      'restore it or remove it to trust the server again',
    );
    return pins?.networkId === networkId ? pins.keys : [];
  }

  async writeLockPins(networkId: string, keys: string[]): Promise<void> {
    await this.ensure();
    await writeAtomic(this.lockPath, `${JSON.stringify({ version: 1, networkId, keys }, null, 2)}\n`, 0o600);
  }

  async readSignedPolicy(networkId: string): Promise<SignedPolicy | null> {
    const saved = await readStateFile(
      this.signedPolicyPath,
      signedPolicySchema,
      "remove it to take the server's signed policy",
    );
    return saved?.networkId === networkId ? { policy: saved.policy, signature: saved.signature } : null;
  }

  async writeSignedPolicy(networkId: string, signed: SignedPolicy): Promise<void> {
    await this.ensure();
    const text = JSON.stringify({ version: 1, networkId, ...signed }, null, 2);
    await writeAtomic(this.signedPolicyPath, `${text}\n`, 0o600);
  }

  async readIdentity(): Promise<NodeIdentity | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.identityPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // EISDIR/EACCES messages do not name the file: say which one.
      throw new StateDirError(`cannot read ${this.identityPath}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new StateDirError(`${this.identityPath} is not valid JSON; remove it to join again with a key`);
    }
    const parsed = identitySchema.safeParse(json);
    if (!parsed.success) {
      throw new StateDirError(
        `${this.identityPath} is invalid (${parsed.error.issues[0]?.message ?? 'schema'})`,
      );
    }
    return parsed.data;
  }

  /** Forgets the registration (the node was removed); the key stays, the next join uses it. */
  async clearIdentity(): Promise<void> {
    await rm(this.identityPath, { force: true });
  }

  async writeIdentity(identity: NodeIdentity): Promise<void> {
    await this.ensure();
    await writeAtomic(
      this.identityPath,
      `${JSON.stringify(identitySchema.parse(identity), null, 2)}\n`,
      0o600,
    );
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
