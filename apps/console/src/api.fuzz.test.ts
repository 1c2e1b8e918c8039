// The console's reading of server answers: whatever comes back (JSON of any shape, an HTML error page
// from a reverse proxy, a truncated body, any status), an API call resolves or rejects with an
// ApiFailure carrying a status and a code: never a bare SyntaxError/TypeError the views cannot show.
import fc from 'fast-check';
import { afterEach, expect, test, vi } from 'vitest';
import { ApiFailure, api } from './api.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const bodies = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify({ error: v })),
  fc.record({ code: fc.jsonValue(), message: fc.jsonValue() }).map((e) => JSON.stringify({ error: e })),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('', '<html><body>502 Bad Gateway</body></html>', '{"networks": [', 'null'),
);

test('any answer to any API call resolves or rejects with an ApiFailure', async () => {
  const calls = [
    () => api.session(),
    () => api.networks(),
    () => api.nodes(),
    () => api.keys(),
    () => api.telemetry(),
    () => api.recentEvents(),
    () => api.signIn('t'),
    () => api.removeNode('n-1'),
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.nat(calls.length - 1),
      fc.constantFrom(200, 201, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503),
      bodies,
      async (which, status, body) => {
        vi.stubGlobal('fetch', async () => new Response(body, { status }));
        try {
          await calls[which]!();
          expect(status).toBeLessThan(300);
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ApiFailure);
          const f = err as ApiFailure;
          expect(f.status).toBe(status);
          expect(f.code.length).toBeGreaterThan(0);
          expect(f.message.length).toBeGreaterThan(0);
        }
      },
    ),
    { seed: 61, numRuns: 400 },
  );
});

test('a non-JSON success answer is a bad-answer failure, a non-JSON error keeps its HTTP status', async () => {
  vi.stubGlobal('fetch', async () => new Response('<html>proxy</html>', { status: 200 }));
  await expect(api.networks()).rejects.toMatchObject({ status: 200, code: 'bad-answer' });
  vi.stubGlobal('fetch', async () => new Response('<html>Bad Gateway</html>', { status: 502 }));
  await expect(api.networks()).rejects.toMatchObject({ status: 502, code: 'http', message: 'HTTP 502' });
});
