import { defineConfig } from 'vite';

// Static build served by rtcmesh-signal at `/`: hashed files under /assets/ (cached immutable by the
// server), no CDN, no runtime fetches other than the server's own API and feed.
export default defineConfig({
  base: '/',
  resolve: { conditions: ['source', 'browser', 'import', 'module', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
