import { performance } from 'node:perf_hooks';
import type { PeerTransport } from '../../packages/peer/src/link-connection.js';
import { linkPair, waitForState } from '../../packages/peer/src/testing/link-pair.js';

export interface FloodOptions {
  messageBytes: number;
  sctpMtu: number;
  /** PeerLink's packet-channel buffered cap (frames over it are dropped, as in the agent). */
  cap: number;
  seconds: number;
  /** WebRTC stack under the PeerLinks (default werift). */
  transport?: PeerTransport;
}

export interface FloodResult {
  sent: number;
  /** Received by the time the sender stopped (the rate's numerator). */
  receivedAtStop: number;
  /** Received after in-flight messages landed (the loss's numerator). */
  received: number;
  elapsedS: number;
  /** CPU of this process (both ends) while sending, in microseconds. */
  cpuUs: number;
}

/**
 * Two PeerLinks in one process over loopback; the sender refills the packet channel to its cap every
 * loop turn (64 frames at most, then yields so the stack can flush) for `seconds`.
 */
export async function floodLinkPair(o: FloodOptions): Promise<FloodResult> {
  const pair = linkPair({
    sctpMtu: o.sctpMtu,
    maxBufferedBytes: o.cap,
    keepaliveIntervalMs: 1000,
    transport: o.transport ?? 'werift',
  });
  const { a, b } = pair;
  try {
    a.start();
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    let received = 0;
    b.onPacket(() => {
      received++;
    });
    const frame = Buffer.alloc(o.messageBytes, 0x5a);
    let sent = 0;
    let running = true;
    const pump = () => {
      if (!running) return;
      for (let i = 0; i < 64 && a.sendPacket(frame); i++) sent++;
      setImmediate(pump);
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    pump();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    running = false;
    const receivedAtStop = received;
    const cpu = process.cpuUsage(cpu0);
    const elapsedS = (performance.now() - t0) / 1000;
    // Let in-flight messages land before counting loss.
    await new Promise((r) => setTimeout(r, 300));
    return { sent, receivedAtStop, received, elapsedS, cpuUs: cpu.user + cpu.system };
  } finally {
    await pair.close();
  }
}

export function lossPct(r: FloodResult): number {
  return r.sent === 0 ? 0 : Math.round(((r.sent - r.received) / r.sent) * 1000) / 10;
}
