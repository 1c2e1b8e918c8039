import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Static build served by rtcmesh-signal at `/`: hashed files under /assets/ (cached immutable by the
// server), no CDN, no runtime fetches other than the server's own API and feed. Besides the console,
// the proxy origin's files ("Open in browser", issue 20): its shell page, its service worker and the
// WebSocket shim, the last two at fixed names (a worker's URL and an injected script cannot be hashed).
const FIXED = new Set(['sw', 'ws-shim']);
export default defineConfig({
  base: '/',
  resolve: { conditions: ['source', 'browser', 'import', 'module', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        proxy: resolve(import.meta.dirname, 'proxy.html'),
        sw: resolve(import.meta.dirname, 'src/proxy/sw.ts'),
        'ws-shim': resolve(import.meta.dirname, 'src/proxy/ws-shim.ts'),
      },
      output: {
        entryFileNames: (chunk) => (FIXED.has(chunk.name) ? '[name].js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
