import type { LabHost, ManagedProcess } from '../lab/index.js';

/**
 * A long `ping` in the background, for tests that break something while traffic flows. `ping -D`
 * stamps every reply, so gaps are measured from what the kernel saw, not from test timing.
 */
export class PingRun {
  private constructor(
    private readonly proc: ManagedProcess,
    readonly intervalS: number,
  ) {}

  static start(host: LabHost, ip: string, count: number, intervalS = 0.1): PingRun {
    const proc = host.spawn(
      'ping',
      ['-n', '-D', '-i', String(intervalS), '-c', String(count), '-W', '1', ip],
      {
        label: `ping-${host.name}`,
      },
    );
    return new PingRun(proc, intervalS);
  }

  /** Waits until ping has printed a reply after `afterMs` (epoch ms); returns its time. */
  async waitReplyAfter(afterMs: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.replies().find((r) => r.at > afterMs);
      if (t) return t.at;
      if (Date.now() > deadline)
        throw new Error(`no ping reply after ${new Date(afterMs).toISOString()}\n${this.proc.tail(10)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Replies so far: sequence number and arrival (epoch ms). */
  replies(): { seq: number; at: number }[] {
    // Replies only: "From … icmp_seq=N Destination Host Unreachable" carries a sequence number too.
    return [...this.proc.output('stdout').matchAll(/^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)/gm)].map(
      (m) => ({
        seq: Number(m[2]),
        at: Math.round(Number(m[1]) * 1000),
      }),
    );
  }

  /** Longest run of consecutive missing sequence numbers, in seconds (0 = no loss). */
  longestGapS(): number {
    const seqs = this.replies().map((r) => r.seq);
    let worst = 0;
    for (let i = 1; i < seqs.length; i++) worst = Math.max(worst, seqs[i]! - seqs[i - 1]! - 1);
    return worst * this.intervalS;
  }

  async finish(timeoutMs = 120_000): Promise<{ sent: number; received: number; output: string }> {
    await Promise.race([
      this.proc.exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping run did not finish')), timeoutMs)),
    ]);
    const out = this.proc.output('stdout');
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), output: out };
  }
}
