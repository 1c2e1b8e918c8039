import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { tempDir } from './test-client.js';

/**
 * Runs `rtcmesh-signal` from source (tsx + the "source" export condition), so the CLI tests need no
 * build: one-shot commands, and `serve` as a child process stopped with SIGTERM.
 */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
const cliArgs = ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/signal/src/cli.ts')];

export type CliResult = { code: number; stdout: string; stderr: string };

export function runCli(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export type ServeLog = { msg?: string; url?: string };

/** One `rtcmesh-signal serve` child: started on 127.0.0.1:0, every JSON log line kept in `logs`. */
export class ServeProcess {
  proc: ChildProcess | undefined;
  readonly logs: ServeLog[] = [];

  /** Starts `serve` with `args` and resolves with the bound URL from its "listening" log line. */
  start(args: string[]): Promise<string> {
    const p = spawn(process.execPath, [...cliArgs, 'serve', '--listen', '127.0.0.1:0', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = p;
    return new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error('serve did not print its listening line in time')),
        15_000,
      );
      p.once('exit', (code) => fail(new Error(`serve exited early with ${code}`)));
      createInterface({ input: p.stdout! }).on('line', (line) => {
        const log = JSON.parse(line) as ServeLog;
        this.logs.push(log);
        if (log.msg === 'listening' && log.url) {
          clearTimeout(timer);
          ok(log.url);
        }
      });
    });
  }

  /** SIGTERM, and waits for the exit, if it still runs. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
}

/**
 * The CLI tests' fixture: before each test a fresh data dir (`dir`) and a `ServeProcess` (`server`);
 * `serve()` starts it on that dir and resolves with the bound URL. After the test it is stopped and
 * the dir removed.
 */
export function useServe(): {
  readonly dir: ReturnType<typeof tempDir>;
  readonly server: ServeProcess;
  serve(): Promise<string>;
} {
  let dir: ReturnType<typeof tempDir>;
  let server: ServeProcess;
  beforeEach(() => {
    dir = tempDir();
    server = new ServeProcess();
  });
  afterEach(async () => {
    await server.stop();
    dir.remove();
  });
  return {
    get dir() {
      return dir;
    },
    get server() {
      return server;
    },
    serve: () => server.start(['--data', dir.path]),
  };
}
