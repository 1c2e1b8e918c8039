import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../lab/index.js';

const TCP_TOOL = join(dirname(fileURLToPath(import.meta.url)), 'tools/tcp-stream.mjs');
export const STREAM_BYTES = 50 * 1024 * 1024;

interface StreamEnd {
  bytes: number;
  sha256: string;
  /** The sender's time from connect to end (tcp-stream.mjs send). */
  ms?: number;
}

/**
 * Sends `bytes` of random data over TCP from host `from` to `toIp:port` on host `to` (the overlay);
 * both ends hash what they saw, so equal hashes mean the stream crossed intact.
 */
export async function streamIntact(
  from: { host: LabHost },
  to: { host: LabHost; name: string },
  toIp: string,
  port: number,
  bytes = STREAM_BYTES,
  /** Spread the bytes evenly over this many seconds (a flow that lasts while the test looks at it). */
  seconds?: number,
): Promise<{ sent: StreamEnd; received: StreamEnd }> {
  const server = to.host.spawn('node', [TCP_TOOL, 'serve', String(port)], { label: `tcp-serve-${to.name}` });
  await server.waitForLine(/listening/, 10_000, 'stderr');
  const args = seconds
    ? ['paced', toIp, String(port), String(bytes), String(seconds)]
    : ['send', toIp, String(port), String(bytes)];
  const sent = await from.host.exec('node', [TCP_TOOL, ...args], { timeoutMs: 240_000 });
  const received = await server.waitForLine(/^\{.*"sha256".*\}$/, 30_000);
  return {
    sent: JSON.parse(sent.stdout.trim()) as StreamEnd,
    received: JSON.parse(received[0]!) as StreamEnd,
  };
}
