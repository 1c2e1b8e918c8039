import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, MiddlewareHandler } from 'hono';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The console an installed package carries (`console/` beside `dist/`, `npm run package`), else the
 * monorepo's build (apps/console/dist).
 */
export const DEFAULT_CONSOLE_DIR =
  [resolve(here, '../../console'), resolve(here, '../../../console/dist')].find((d) =>
    existsSync(join(d, 'index.html')),
  ) ?? resolve(here, '../../../console/dist');

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Everything the console needs and nothing else: same-origin scripts, styles, fetch/SSE. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Paths the server answers itself; never shadowed by the console or its SPA fallback. */
const SERVER_PATHS = ['/api/', '/ws', '/healthz', '/metrics'];

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>rtcmesh console not built</title>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;line-height:1.5">
<h1>rtcmesh-signal is running, but the web console was not built</h1>
<p>The API (<code>/api/v1</code>), the agents' WebSocket (<code>/ws</code>), <code>/healthz</code> and
<code>/metrics</code> work. To get the console, build it and restart the server:</p>
<pre>pnpm install &amp;&amp; pnpm run build</pre>
<p>(or point <code>RTCMESH_CONSOLE_DIR</code> at a built <code>apps/console/dist</code>).</p></body>`;

/**
 * Serves the built console (static files) at `/`: correct content types, hashed files under
 * /assets/ cached for a year (immutable), index.html revalidated every time, and an SPA fallback
 * (any other extension-less GET gets index.html, so deep links like /nodes/n-1 work). When the
 * console was not built, `/` explains that with a 503 instead of a bare 404.
 */
export function consoleStatic(dir: string): MiddlewareHandler {
  const root = resolve(dir);
  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if ((method !== 'GET' && method !== 'HEAD') || SERVER_PATHS.some((p) => path.startsWith(p)))
      return next();
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      if (path === '/' || extname(path) === '') return page(c, 503, NOT_BUILT);
      return next();
    }
    const file = safeFile(root, path);
    if (file) return serveFile(c, file, path.startsWith('/assets/'));
    if (extname(path) === '') return serveFile(c, index, false);
    return next();
  };
}

/** The regular file `path` names under `root`, or null (traversal, directories, missing files). */
export function safeFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = normalize(join(root, decoded));
  if (full !== root && !full.startsWith(root + sep)) return null;
  try {
    return statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

function serveFile(c: Context, file: string, immutable: boolean): Response {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  };
  const body = c.req.method === 'HEAD' ? null : readFileSync(file);
  return new Response(body, { status: 200, headers });
}

function page(c: Context, status: number, html: string): Response {
  return new Response(c.req.method === 'HEAD' ? null : html, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS },
  });
}
