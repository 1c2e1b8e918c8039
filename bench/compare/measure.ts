import { readdir, readFile } from 'node:fs/promises';
import type { LabHost, ManagedProcess } from '../../test/lab/index.js';

export const IPERF_PORT = 5299;
let nextPort = IPERF_PORT;

const TICKS_PER_S = 100; // USER_HZ on Linux

/** Round-trip times (ms) of `count` pings from `from` to `ip`, `intervalS` apart. */
export async function pingRtts(
  from: LabHost,
  ip: string,
  count: number,
  intervalS: number,
): Promise<number[]> {
  const r = await from.exec('ping', ['-n', '-c', String(count), '-i', String(intervalS), '-W', '2', ip], {
    timeoutMs: (count * intervalS + 15) * 1000,
  });
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

/** Pings every 100 ms until a reply; ms since `startedAt`. Throws after `timeoutMs`. */
export async function firstPing(
  from: LabHost,
  ip: string,
  startedAt: number,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    const t = Date.now();
    const r = await from.exec('ping', ['-n', '-c', '1', '-W', '1', ip], { timeoutMs: 3000 });
    if (r.code === 0) return Date.now() - startedAt;
    if (Date.now() - startedAt > timeoutMs) throw new Error(`no ping reply from ${ip} in ${timeoutMs} ms`);
    const wait = 100 - (Date.now() - t);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}

/**
 * A one-test iperf3 server on a fresh port: a test over a tunnel that queues (SCTP is reliable)
 * can still be draining on the server when the client is done, and a busy server refuses the next.
 */
async function withIperfServer<T>(host: LabHost, body: (port: number) => Promise<T>): Promise<T> {
  const port = nextPort++;
  if (nextPort > IPERF_PORT + 500) nextPort = IPERF_PORT;
  const s: ManagedProcess = host.spawn('iperf3', ['-s', '-1', '-p', String(port), '--forceflush'], {
    label: 'iperf3-s',
  });
  try {
    await s.waitForLine(/Server listening/, 10_000);
    return await body(port);
  } finally {
    await s.stop(1000);
  }
}

interface IperfTcpJson {
  start?: { timestamp?: { timesecs: number } };
  intervals?: Array<{ sum: { start: number; seconds: number; bytes: number } }>;
  end: { sum_received: { bits_per_second: number; bytes: number } };
  error?: string;
}
interface IperfUdpJson {
  end: { sum_received: { seconds: number; bytes: number } };
  error?: string;
}

export interface TcpResult {
  mbps: number;
  bytes: number;
  /** The sender's per-second intervals: epoch seconds at their start, bytes sent in them. */
  intervals: Array<{ at: number; seconds: number; bytes: number }>;
}

export async function iperfTcp(
  from: LabHost,
  to: LabHost,
  ip: string,
  seconds: number,
  streams: number,
): Promise<TcpResult> {
  const r = await withIperfServer(to, (port) =>
    from.exec('iperf3', ['-c', ip, '-p', String(port), '-t', String(seconds), '-P', String(streams), '-J'], {
      timeoutMs: (seconds + 20) * 1000,
    }),
  );
  const j = JSON.parse(r.stdout) as IperfTcpJson;
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  const t0 = j.start?.timestamp?.timesecs ?? 0;
  return {
    mbps: j.end.sum_received.bits_per_second / 1e6,
    bytes: j.end.sum_received.bytes,
    intervals: (j.intervals ?? []).map((i) => ({
      at: t0 + i.sum.start,
      seconds: i.sum.seconds,
      bytes: i.sum.bytes,
    })),
  };
}

/** Packets per second received of `payload`-byte UDP datagrams (default 64), sender unthrottled. */
export async function iperfUdpPps(
  from: LabHost,
  to: LabHost,
  ip: string,
  seconds: number,
  payload = 64,
): Promise<{ pps: number; bytes: number }> {
  const r = await withIperfServer(to, (port) =>
    from.exec(
      'iperf3',
      ['-c', ip, '-p', String(port), '-u', '-l', String(payload), '-b', '0', '-t', String(seconds), '-J'],
      {
        timeoutMs: (seconds + 20) * 1000,
      },
    ),
  );
  const j = JSON.parse(r.stdout) as IperfUdpJson;
  if (j.error) throw new Error(`iperf3: ${j.error}`);
  // What the server received (bytes / payload), not what the client sent.
  const s = j.end.sum_received;
  return { pps: s.bytes / payload / s.seconds, bytes: s.bytes };
}

/** A process and its descendants (a daemon may fork workers). */
async function withDescendants(pids: readonly number[]): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out = new Set(pids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (out.has(ppid) && !out.has(pid)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

/** CPU seconds (user + system) used so far by the processes. */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of await withDescendants(pids)) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after ')' start at field 3 (state); utime is field 14, stime field 15
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / TICKS_PER_S;
}

/** Peak resident set (VmHWM, MiB) of the biggest of the processes. */
export async function peakRssMiB(pids: readonly number[]): Promise<number> {
  let peak = 0;
  for (const pid of await withDescendants(pids)) {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // exited
    }
  }
  return peak;
}
