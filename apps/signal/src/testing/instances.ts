import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SignalServerOptions } from '../options.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A signaling instance running in a child process (testing/instance-child.ts). */
export type ChildInstance = {
  url: string;
  wsUrl: string;
  instance: string;
  child: ChildProcess;
  /** SIGKILL: no bye, no cleanup, as a crashed host. */
  kill(): Promise<void>;
  /** SIGTERM: the clean shutdown (bye reconnect-elsewhere). */
  stop(): Promise<void>;
};

type JsonOptions = Partial<Omit<SignalServerOptions, 'logger' | 'bus'>> & { bus?: string };

export async function startChildInstance(options: JsonOptions, timeoutMs = 30_000): Promise<ChildInstance> {
  const child = fork(join(here, 'instance-child.ts'), [], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    env: { ...process.env, RTCMESH_INSTANCE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const started = await new Promise<{ url: string; wsUrl: string; instance: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('signal instance did not start in time')), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as { url: string; wsUrl: string; instance: string });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`signal instance exited with ${code} before listening`));
    });
  });
  return {
    ...started,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
