import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

export type StreamName = 'stdout' | 'stderr';

export interface OutputLine {
  stream: StreamName;
  line: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Prefix for echoing output to the test's stderr (off unless LAB_VERBOSE=1 or set here). */
  echo?: boolean;
  /** Label used in error messages and echoed output. Defaults to the command name. */
  label?: string;
  /** Keep stdin open (for commands that read control lines); otherwise stdin is /dev/null. */
  stdin?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Lines kept per process; older lines are discarded (the count of discarded lines is kept). */
const MAX_LINES = 20_000;

/**
 * A child process owned by a lab world: output captured line by line, killed with SIGTERM then
 * SIGKILL at teardown. It runs in its own process group so helpers it forks die with it.
 */
export class ManagedProcess {
  readonly label: string;
  readonly lines: OutputLine[] = [];
  droppedLines = 0;
  exitInfo: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly events = new EventEmitter();

  constructor(cmd: string, args: readonly string[], opts: SpawnOptions = {}) {
    this.label = opts.label ?? cmd;
    this.events.setMaxListeners(0);
    this.child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const echo = opts.echo ?? process.env.LAB_VERBOSE === '1';
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.child[stream];
      if (!readable) continue;
      createInterface({ input: readable, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (this.lines.length >= MAX_LINES) {
          this.lines.shift();
          this.droppedLines++;
        }
        const entry = { stream, line };
        this.lines.push(entry);
        if (echo) process.stderr.write(`[${this.label}] ${line}\n`);
        this.events.emit('line', entry);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.lines.push({ stream: 'stderr', line: `spawn error: ${e.message}` });
        this.exitInfo ??= { code: null, signal: null };
        this.events.emit('exit', this.exitInfo);
        resolve(this.exitInfo);
      });
      this.child.on('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        this.events.emit('exit', this.exitInfo);
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** All captured output as text (both streams, in arrival order). */
  output(stream?: StreamName): string {
    return this.lines
      .filter((l) => stream === undefined || l.stream === stream)
      .map((l) => l.line)
      .join('\n');
  }

  /** Writes to the process's stdin (only when spawned with `stdin: true`). */
  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /**
   * Resolves with the first line (already captured or future) matching `re`; rejects on timeout or
   * when the process exits first, with the tail of its output in the message.
   */
  waitForLine(re: RegExp, timeoutMs = 10_000, stream?: StreamName): Promise<RegExpMatchArray> {
    const test = (l: OutputLine): RegExpMatchArray | null =>
      stream !== undefined && l.stream !== stream ? null : l.line.match(re);
    for (const l of this.lines) {
      const m = test(l);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('line', onLine);
        this.events.off('exit', onExit);
      };
      const onLine = (l: OutputLine): void => {
        const m = test(l);
        if (m) {
          cleanup();
          resolve(m);
        }
      };
      const onExit = (info: ExitInfo): void => {
        cleanup();
        reject(
          new Error(
            `${this.label} exited (${info.code ?? info.signal}) before printing ${re}:\n${this.tail()}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.label}: no line matching ${re} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.events.on('line', onLine);
      if (this.exitInfo) onExit(this.exitInfo);
      else this.events.on('exit', onExit);
    });
  }

  /** The last `n` captured lines, for error messages. */
  tail(n = 20): string {
    return this.lines
      .slice(-n)
      .map((l) => `  ${l.stream === 'stderr' ? '!' : '>'} ${l.line}`)
      .join('\n');
  }

  /** Sends `signal` to the process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 3000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous last resort for process 'exit' hooks. */
  killNow(): void {
    this.signal('SIGKILL');
  }
}
