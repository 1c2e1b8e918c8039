import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MeshLab } from '../e2e/mesh-lab.js';
import { labSkipReason } from '../lab/index.js';
import type { ManagedProcess } from '../lab/managed-process.js';
import { browserSkipReason, launchChromium, shot } from './browser.js';

/**
 * Issue 20, the browser as a member: an operator's Chromium behind a symmetric NAT (site b, no
 * agent there) opens a web app that runs on node a1's loopback (a1 behind a symmetric NAT too, so
 * the path is relayed by TURN) from the console's "Open in browser". The page, its image, its form
 * POST, its redirect and its WebSocket work through the node; a target the policy does not name for
 * `browser:admin` shows the refusal; the proxied page can neither read the console's session cookie
 * nor call its API. A second Chromium on the internet side measures the direct path.
 */
// Evaluated in the page (this file is compiled without the DOM library).
declare const document: { cookie: string };
declare const location: { origin: string; href: string };

const PROXY_PORT = 8090;
const FIXTURE = join(import.meta.dirname, 'fixtures/web-app.mjs');
const skip = (await labSkipReason()) ?? browserSkipReason();

describe.skipIf(skip !== undefined)('open a node service in the browser', { timeout: 240_000 }, () => {
  let mesh: MeshLab;
  let ctx: BrowserContext;
  let console_: Page;
  let app: ManagedProcess;
  let a1Id = '';
  const contexts: BrowserContext[] = [];

  const proxyOrigin = () => `http://${mesh.world.server.ip}:${PROXY_PORT}`;
  // Service workers need a secure context: a production proxy origin is HTTPS (--tls-cert); here plain HTTP is declared secure.
  const chromiumIn = async (ns: string) => {
    const c = await launchChromium(ns, [`--unsafely-treat-insecure-origin-as-secure=${proxyOrigin()}`]);
    contexts.push(c);
    return c;
  };

  beforeAll(async () => {
    mesh = await MeshLab.start({
      world: {
        sites: {
          a: { nat: 'symmetric', hosts: ['a1'] },
          b: { nat: 'symmetric', hosts: ['b1'] },
        },
      },
      network: { mode: 'l3', cidr: '10.96.0.0/24' },
      browserProxyPort: PROXY_PORT,
    });
    const policy = join(mesh.dataDir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        rules: [{ action: 'accept', src: ['browser:admin'], dst: ['a1:3000', 'a1:3002'], proto: 'tcp' }],
      }),
    );
    const set = await mesh.admin(['policy', 'set', 'lab', policy]);
    expect(set.code, set.stderr).toBe(0);
    await mesh.startAgent('a1');
    a1Id = (await mesh.agent('a1').status()).node.id;
    app = mesh.world.host('a1').spawn('node', [FIXTURE, '3000'], { label: 'web-app' });
    await app.waitForLine(/"msg":"listening"/, 10_000);
    ctx = await chromiumIn(mesh.world.host('b1').ns);
    if (process.env.RTCMESH_TEST_DEBUG)
      ctx.on('page', (p) => p.on('console', (m) => console.log(`[tab] ${m.text()}`)));
    console_ = ctx.pages()[0] ?? (await ctx.newPage());
    const token = (await readFile(join(mesh.dataDir, 'admin-token'), 'utf8')).trim();
    await console_.goto(`${mesh.serverUrl}/`);
    await console_.getByLabel('Admin token').fill(token);
    await console_.getByRole('button', { name: 'Sign in' }).click();
    await console_.getByTestId('feed-state').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await app?.stop(3000).catch(() => undefined);
    await mesh?.teardown();
  });

  /** Mints a session from the signed-in console (its cookie and CSRF header), as the button does. */
  const mint = (target: string): Promise<string> =>
    console_.evaluate(
      async ([id, t]) => {
        const res = await fetch(`/api/v1/nodes/${id}/browser-sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-rtcmesh-csrf': '1' },
          body: JSON.stringify({ target: t }),
        });
        return ((await res.json()) as { url: string }).url;
      },
      [a1Id, target] as const,
    );

  const proxiedFrame = async (tab: Page): Promise<Frame> => {
    await tab
      .locator('#frame')
      .waitFor({ timeout: 30_000 })
      .catch(async (err: Error) => {
        await shot(tab, 'open-in-browser-failed');
        throw new Error(
          `${err.message}; the tab holds: ${(await tab.content().catch(() => '?')).slice(0, 2000)}`,
        );
      });
    // The frame starts as about:blank; its document comes from the service worker.
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      const frame = tab.frames().find((f) => f.url().includes('/p/'));
      if (frame) return frame;
    }
    throw new Error(`no proxied frame in ${tab.url()}`);
  };

  /** A new tab on a fresh session of the app, its page shown. */
  const openApp = async (c: BrowserContext): Promise<{ tab: Page; frame: Frame }> => {
    const tab = await c.newPage();
    await tab.goto(await mint('http://127.0.0.1:3000/'));
    const frame = await proxiedFrame(tab);
    await tab
      .frameLocator('#frame')
      .getByRole('heading', { name: 'rtcmesh test app' })
      .waitFor({ timeout: 45_000 });
    return { tab, frame };
  };

  test('"Open in browser" shows the app with its image, WebSocket, redirect and form, relayed', async () => {
    await console_.locator('tr[data-node="a1"] .status.online').waitFor({ timeout: 15_000 });
    await console_.locator('tr[data-node="a1"] a').first().click();
    await console_.getByLabel('Target').fill('http://127.0.0.1:3000/');
    const started = Date.now();
    const [tab] = await Promise.all([
      ctx.waitForEvent('page'),
      console_.getByRole('button', { name: 'Open in browser' }).click(),
    ]);
    const frame = tab.frameLocator('#frame');
    await frame.getByRole('heading', { name: 'rtcmesh test app' }).waitFor({ timeout: 45_000 });
    const firstPaintMs = Date.now() - started;
    await frame.locator('#img-ok', { hasText: 'yes' }).waitFor({ timeout: 15_000 });
    await frame.locator('#ws', { hasText: 'echo:hello' }).waitFor({ timeout: 15_000 });
    expect(await tab.locator('#bar').getAttribute('data-path')).toBe('relay');
    // The app's cookie lives in the session's jar on the node: the page does not see it, the app does.
    expect(await frame.locator('#cookies').textContent()).toBe('');
    await shot(tab, 'open-in-browser-app');
    // A form POST answered with 303: the app sees its own cookie (from the node's jar) and the body.
    await frame.getByLabel('who').fill('operator');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#thanks', { hasText: 'thanks operator' }).waitFor({ timeout: 15_000 });
    expect(await frame.locator('#sent-cookie').textContent()).toBe('app=1');
    // A link to a redirect (302 to a root-relative path) stays in the session.
    await (await proxiedFrame(tab)).goto(`${tab.url()}p/`);
    await frame.locator('#go').click();
    await frame.locator('#landed').waitFor({ timeout: 15_000 });
    expect((await proxiedFrame(tab)).url()).toBe(`${tab.url()}p/landed`);
    // The console lists the session on the node's page (from the agent's event).
    await console_
      .locator('table.browser-sessions tr[data-session-state="open"]')
      .first()
      .waitFor({ timeout: 15_000 });
    console.log(
      `open-in-browser: click to the first page ${firstPaintMs} ms (relayed, incl. ICE and the service worker)`,
    );
  });

  test('the proxied page cannot read the console session cookie nor call the console API', async () => {
    const { tab, frame } = await openApp(ctx);
    const seen = await frame.evaluate(async (server) => {
      const api = (init: { method?: string; headers?: Record<string, string>; body?: string }) =>
        fetch(`${server}/api/v1/networks`, { credentials: 'include', ...init })
          .then((r) => `status ${r.status}`)
          .catch(() => 'blocked');
      return {
        cookie: document.cookie,
        get: await api({}),
        post: await api({
          method: 'POST',
          headers: { 'x-rtcmesh-csrf': '1', 'content-type': 'application/json' },
          body: '{}',
        }),
        origin: location.origin,
      };
    }, mesh.serverUrl);
    expect(seen.cookie).not.toContain('rtcmesh_session');
    expect(seen.get).toBe('blocked');
    expect(seen.post).toBe('blocked');
    expect(seen.origin).toBe(proxyOrigin());
    await tab.close();
  });

  test('a tcp:// target is a plain terminal: lines typed go to the service, its answers show', async () => {
    const tab = await ctx.newPage();
    await tab.goto(await mint('tcp://127.0.0.1:3002'));
    await tab.locator('#term[data-state="open"]').waitFor({ timeout: 30_000 });
    await tab.locator('#term', { hasText: 'ready' }).waitFor({ timeout: 10_000 });
    await tab.getByLabel('input').fill('PING');
    await tab.getByLabel('input').press('Enter');
    await tab.locator('#term', { hasText: '+PING' }).waitFor({ timeout: 10_000 });
    await shot(tab, 'open-in-browser-terminal');
    await tab.close();
  });

  test('a target the policy does not name for browser:admin shows the refusal', async () => {
    const tab = await ctx.newPage();
    await tab.goto(await mint('http://127.0.0.1:3001/'));
    await tab
      .getByRole('alert')
      .getByRole('heading', { name: 'Refused by the network policy' })
      .waitFor({ timeout: 30_000 });
    expect(await tab.getByRole('alert').textContent()).toContain(
      'no rule accepts browser:admin to 127.0.0.1:3001',
    );
    await shot(tab, 'open-in-browser-refused');
    await tab.close();
  });

  test('50 MB through the relayed and the direct path (figures for the note)', async () => {
    const download = async (c: BrowserContext, label: string) => {
      const { tab, frame } = await openApp(c);
      const path = await tab.locator('#bar').getAttribute('data-path');
      const r = await frame.evaluate(async () => {
        const t0 = performance.now();
        const res = await fetch('/big?mb=50');
        const reader = (
          res.body as unknown as { getReader(): { read(): Promise<{ done: boolean; value: Uint8Array }> } }
        ).getReader();
        let n = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.byteLength;
        }
        return { n, ms: performance.now() - t0 };
      });
      expect(r.n).toBe(50 * 1024 * 1024);
      console.log(
        `open-in-browser: 50 MB ${label} (${path}) in ${(r.ms / 1000).toFixed(1)} s = ${((r.n * 8) / r.ms / 1000).toFixed(0)} Mbit/s`,
      );
      await tab.close();
      return path;
    };
    expect(await download(ctx, 'behind a symmetric NAT')).toBe('relay');
    // An operator on the internet side: a path straight to the node's NAT.
    const outside = await chromiumIn(mesh.world.server.ns);
    expect(await download(outside, 'from the internet side')).toBe('direct');
  });
});
