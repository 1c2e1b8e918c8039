// Child process for the relay bench: runs one signaling server so that the bench's clients do not share
// its event loop. Talks to the parent over IPC: sends { url } when listening, answers 'mem' with memory
// usage after a full GC (needs --expose-gc), exits on 'stop'.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSignalServer } from '../../apps/signal/src/index.js';
import { BENCH_ADMIN_TOKEN } from './sim-agent.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rtcmesh-bench-'));
const server = await startSignalServer({
  dataDir,
  port: 0,
  logLevel: 'warn',
  adminToken: BENCH_ADMIN_TOKEN,
  // The bench measures throughput, not the per-connection limit.
  rateLimitPerSecond: 1_000_000,
  rateLimitBurst: 1_000_000,
  // Thousands of simulated agents share one loopback address: the per-address limits (0 = off) would
  // refuse them by design.
  maxSessionsPerIp: 0,
  maxHandshakesPerIp: 0,
  joinRatePerMinute: 0,
  defaultMetrics: false,
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', async (msg: unknown) => {
  if (msg === 'mem') {
    for (let i = 0; i < 3; i++) gc?.();
    await new Promise((r) => setTimeout(r, 50));
    gc?.();
    const m = process.memoryUsage();
    process.send?.({
      mem: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers },
    });
  } else if (msg === 'stop') {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
process.send?.({ url: server.url, wsUrl: server.wsUrl });
