import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/index.js';
import { hashSecret, randomToken, secretMatches } from './secrets.js';

const META_KEY = 'admin_token_hash';
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Ensures an admin token exists. On first start it is generated, its hash stored, and the plain token
 * written to `<dataDir>/admin-token` (mode 0600) and returned so the caller prints it once. Later starts
 * return null: the server never knows the plain token again.
 */
export async function ensureAdminToken(
  store: Store,
  dataDir: string,
  preset?: string,
): Promise<string | null> {
  if (await store.meta.get(META_KEY)) return null;
  const token = preset ?? `rta_${randomToken(32)}`;
  // Several instances may start together on one new PostgreSQL database: only the first one's token counts.
  if (!(await store.meta.setIfAbsent(META_KEY, hashSecret(token)))) return null;
  writeAdminTokenFile(dataDir, token);
  return token;
}

export async function checkAdminToken(store: Store, token: string): Promise<boolean> {
  const hash = await store.meta.get(META_KEY);
  return hash !== undefined && secretMatches(token, hash);
}

/**
 * Replaces the admin token: the new hash takes effect at once (the old token is refused from the next
 * request on), the plain token is written to `<dataDir>/admin-token` (0600) and returned, shown once.
 * Callers also sign out console sessions (they were opened with the old token).
 */
export async function rotateAdminToken(store: Store, dataDir: string): Promise<string> {
  const token = `rta_${randomToken(32)}`;
  await store.meta.set(META_KEY, hashSecret(token));
  writeAdminTokenFile(dataDir, token);
  return token;
}

function writeAdminTokenFile(dataDir: string, token: string): void {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file: make sure it is 0600 either way.
  chmodSync(file, 0o600);
}
