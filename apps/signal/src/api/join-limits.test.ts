import { type CreateKeyResponse, ErrorCode, generateNodeKey, signJoinRequest } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServerOptions } from '../options.js';
import type { SignalServer } from '../server.js';
import { adminFetch, createNetworkWithKey, metricValue } from '../testing/test-client.js';
import { useServerPerTest } from '../testing/use-test-server.js';

const fixture = useServerPerTest();

async function start(extra: Partial<SignalServerOptions>): Promise<{ s: SignalServer; key: string }> {
  const s = await fixture.start(extra);
  return { s, key: (await createNetworkWithKey(s, 'alpha', { mode: 'l2' })).key };
}

async function join(s: SignalServer, key: string, from?: string) {
  const res = await fetch(`${s.url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify(
      signJoinRequest(generateNodeKey().privateKey, { key, name: 'n', agentVersion: 't' }),
    ),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code ?? 'ok' };
}

const metric = (s: SignalServer, limit: string): Promise<number> =>
  metricValue(s, 'rtcmesh_limit_hits_total', 'limit', limit);

test('join attempts per address: the burst passes, then 429 rate-limited with Retry-After', async () => {
  const { s, key } = await start({ joinRatePerMinute: 6, joinBurst: 3 });
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await join(s, key));
  expect(results.map((r) => r.code)).toEqual(['ok', 'ok', 'ok']);
  // Any attempt is limited, a key-guessing one included (it is not even looked at).
  const limited = await join(s, 'rtcmesh-key-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb');
  expect(limited).toMatchObject({ status: 429, code: ErrorCode.RateLimited });
  expect(Number(limited.retryAfter)).toBe(10); // 6/min = one every 10 s
  expect(await metric(s, 'join-per-ip')).toBe(1);
});

test('join attempts per key: another address with the same key is limited too', async () => {
  const { s, key } = await start({ joinRatePerMinute: 6, joinBurst: 2, trustProxy: ['127.0.0.1'] });
  expect((await join(s, key, '198.51.100.1')).code).toBe('ok');
  expect((await join(s, key, '198.51.100.2')).code).toBe('ok');
  const third = await join(s, key, '198.51.100.3');
  expect(third).toMatchObject({ status: 429, code: ErrorCode.RateLimited });
  expect(third.retryAfter).not.toBeNull();
  expect(await metric(s, 'join-per-key')).toBe(1);
  // A different key from a fresh address still works.
  const { body } = await adminFetch<CreateKeyResponse>(s, 'POST', '/api/v1/keys', { network: 'alpha' });
  expect((await join(s, body.key, '198.51.100.4')).code).toBe('ok');
});

test('REST bodies over the cap: 413 too-large, counted', async () => {
  const { s } = await start({ maxBodyBytes: 1024 });
  const res = await fetch(`${s.url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: 'x'.repeat(2000) }),
  });
  expect(res.status).toBe(413);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.TooLarge);
  expect(await metric(s, 'rest-body-size')).toBe(1);
});
