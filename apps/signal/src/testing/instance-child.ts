// One signaling instance in a child process, for the scale-out tests and bench: the parent can
// SIGKILL it like a crashed server. Options come as JSON in RTCMESH_INSTANCE_OPTIONS (merged over
// loopback-friendly defaults); the child answers on IPC: { url, wsUrl, instance } once listening,
// 'mem' → memory usage, 'stop' → clean shutdown and exit. SIGTERM also shuts down cleanly.
// Run with: node --conditions=source --import tsx instance-child.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignalServerOptions } from '../options.js';
import { startSignalServer } from '../server.js';

const extra = JSON.parse(process.env.RTCMESH_INSTANCE_OPTIONS ?? '{}') as Partial<SignalServerOptions>;
const dataDir = mkdtempSync(join(tmpdir(), 'rtcmesh-instance-'));
const server = await startSignalServer({
  dataDir,
  port: 0,
  logLevel: 'warn',
  adminSocket: false,
  consoleDir: null,
  defaultMetrics: false,
  // Many simulated agents share one loopback address: the per-address limits would refuse them.
  maxSessionsPerIp: 0,
  maxHandshakesPerIp: 0,
  joinRatePerMinute: 0,
  ...extra,
});

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (msg: unknown) => {
  if (msg === 'stop') void stop();
  else if (msg === 'mem') {
    const m = process.memoryUsage();
    process.send?.({ mem: { rss: m.rss, heapUsed: m.heapUsed } });
  }
});
process.send?.({ url: server.url, wsUrl: server.wsUrl, instance: server.cluster.instanceId });
