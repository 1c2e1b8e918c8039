import { expect, test } from 'vitest';
import { ConsoleSessions } from './sessions.js';

test('a session is valid until it expires, and only its hash is stored', () => {
  let now = 1_000_000;
  let saved = '';
  const s = new ConsoleSessions({
    ttlMs: 60_000,
    now: () => now,
    persist: { load: () => undefined, save: (v) => (saved = v) },
  });
  const { id, expiresAt } = s.create();
  expect(expiresAt).toBe(now + 60_000);
  expect(s.check(id)).toBe(expiresAt);
  expect(s.check('not-a-session')).toBeNull();
  expect(s.check(undefined)).toBeNull();
  expect(saved).not.toContain(id);
  expect(saved).toMatch(/[0-9a-f]{64}/);
  now += 60_000;
  expect(s.check(id)).toBeNull();
});

test('sessions survive a restart through the persisted hashes; sign-out revokes', () => {
  let saved: string | undefined;
  const persist = { load: () => saved, save: (v: string) => (saved = v) };
  const first = new ConsoleSessions({ persist });
  const { id } = first.create();
  const second = new ConsoleSessions({ persist });
  expect(second.check(id)).not.toBeNull();
  second.revoke(id);
  expect(second.check(id)).toBeNull();
  expect(new ConsoleSessions({ persist }).check(id)).toBeNull();
});

test('a damaged persisted record signs people out instead of crashing', () => {
  for (const bad of ['{', '[["nothex", 5]]', '{"a":1}', '[[1,2]]'])
    expect(new ConsoleSessions({ persist: { load: () => bad, save: () => undefined } }).size).toBe(0);
});

test('beyond the maximum the oldest session is evicted', () => {
  const s = new ConsoleSessions({ max: 2 });
  const a = s.create();
  const b = s.create();
  const c = s.create();
  expect(s.check(a.id)).toBeNull();
  expect(s.check(b.id)).not.toBeNull();
  expect(s.check(c.id)).not.toBeNull();
});
