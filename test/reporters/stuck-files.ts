import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** Exit code of a run stopped because a file hung (scripts/vitest-passes.mjs runs that pass once more). */
export const STUCK_EXIT_CODE = 75;

/**
 * Says which test files are still running after a while, and stops the run when one has run far
 * longer than any file should (its tests all have timeouts, so only a worker whose event loop is
 * blocked, or a worker vitest lost, gets there): it prints the process tree and where each node
 * process sleeps in the kernel, then exits with STUCK_EXIT_CODE. Without it such a hang holds CI
 * until its 90 minutes run out and says nothing about where (what happened once, in a unit pass).
 */
export default class StuckFilesReporter implements Reporter {
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly noticeMs = Number(process.env.RTCMESH_STUCK_NOTICE_MS ?? 180_000),
    private readonly stopMs = Number(process.env.RTCMESH_STUCK_STOP_MS ?? 900_000),
  ) {}

  onInit(): void {
    this.timer = setInterval(() => this.check(), 30_000);
    this.timer.unref();
  }

  onTestModuleStart(m: TestModule): void {
    this.running.set(m.moduleId, Date.now());
  }

  onTestModuleEnd(m: TestModule): void {
    this.running.delete(m.moduleId);
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    for (const [file, since] of this.running) {
      const ms = now - since;
      if (ms >= this.stopMs) {
        this.stop(file, ms);
        return;
      }
      if (ms >= this.noticeMs)
        console.error(`[stuck-files] still running after ${Math.round(ms / 1000)} s: ${file}`);
    }
  }

  private stop(file: string, ms: number): void {
    console.error(
      `[stuck-files] ${file} has run ${Math.round(ms / 1000)} s: stopping the run. Running files:`,
    );
    for (const [f, since] of this.running)
      console.error(`  ${f} (${Math.round((Date.now() - since) / 1000)} s)`);
    try {
      console.error(
        execFileSync('ps', ['-eo', 'pid,ppid,etimes,stat,wchan:32,args', '--forest'], { encoding: 'utf8' }),
      );
    } catch (err) {
      console.error(`ps failed: ${(err as Error).message}`);
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        if (!cmd.includes('node')) continue;
        const stack = readFileSync(`/proc/${pid}/stack`, 'utf8').split('\n').slice(0, 6).join(' | ');
        console.error(`[stuck-files] ${pid} ${cmd.slice(0, 160)}\n    kernel: ${stack}`);
      } catch {
        // gone, or not ours to read
      }
    }
    // The workers are this process's children: a stuck one would outlive the run and hold a core.
    try {
      execFileSync('pkill', ['-KILL', '-P', String(process.pid)]);
    } catch {
      // none left
    }
    process.exit(STUCK_EXIT_CODE);
  }
}
