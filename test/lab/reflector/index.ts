import { fileURLToPath } from 'node:url';
import type { LabHost } from '../host.js';
import type { ManagedProcess } from '../managed-process.js';

export const NETTOOL_SCRIPT = fileURLToPath(new URL('./nettool.ts', import.meta.url));

export interface Endpoint {
  ip: string;
  port: number;
}

const fmt = (e: Endpoint): string => `${e.ip}:${e.port}`;

/**
 * Starts a UDP (and TCP) mapping reflector in `host` on each endpoint: every datagram is answered
 * with `seen IP:PORT`, the source address it arrived from (what a STUN server would report).
 */
export async function startReflector(host: LabHost, endpoints: readonly Endpoint[]): Promise<ManagedProcess> {
  const p = host.spawnScript(NETTOOL_SCRIPT, ['reflect', ...endpoints.map(fmt)], {
    label: `${host.name}:reflector`,
  });
  await p.waitForLine(/^reflector ready$/, 15_000);
  return p;
}

export interface MappingProbe {
  /** The probing socket's local address (0.0.0.0:PORT). */
  local: string;
  /** What each reflector endpoint saw as the source, or null when it did not answer. */
  mappings: Array<{ target: string; mapped: string | null }>;
}

/** Sends from ONE UDP socket in `host` to every reflector endpoint and reports the mapped addresses. */
export async function probeMapping(
  host: LabHost,
  targets: readonly Endpoint[],
  opts: { bindPort?: number; timeoutMs?: number } = {},
): Promise<MappingProbe> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const args = [
    'probe',
    '--timeout',
    String(timeoutMs),
    ...(opts.bindPort ? ['--bind', String(opts.bindPort)] : []),
  ];
  const r = await host.execScript(NETTOOL_SCRIPT, [...args, ...targets.map(fmt)], {
    timeoutMs: timeoutMs + 15_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{'))
    throw new Error(`probe in ${host.name} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(line) as MappingProbe;
}

/** Connects over TCP to a reflector endpoint; resolves with what it saw, or undefined when unreachable. */
export async function probeTcp(
  host: LabHost,
  target: Endpoint,
  timeoutMs = 3000,
): Promise<string | undefined> {
  const r = await host.execScript(
    NETTOOL_SCRIPT,
    ['tcp-probe', '--timeout', String(timeoutMs), fmt(target)],
    {
      timeoutMs: timeoutMs + 15_000,
    },
  );
  const m = /^seen (\S+)$/m.exec(r.stdout);
  return r.code === 0 && m ? m[1] : undefined;
}

/** STUN Binding request from `host` to `server`; resolves with the XOR-MAPPED-ADDRESS, or undefined. */
export async function stunBinding(
  host: LabHost,
  server: Endpoint,
  timeoutMs = 3000,
): Promise<string | undefined> {
  const r = await host.execScript(NETTOOL_SCRIPT, ['stun', '--timeout', String(timeoutMs), fmt(server)], {
    timeoutMs: timeoutMs + 15_000,
  });
  const m = /^mapped (\S+)$/m.exec(r.stdout);
  return r.code === 0 && m ? m[1] : undefined;
}

/** An interactive UDP socket in a host: send datagrams, wait for received ones. */
export class UdpPeer {
  private constructor(
    readonly process: ManagedProcess,
    /** Local address the socket is bound to. */
    readonly local: string,
  ) {}

  static async start(host: LabHost, bindPort: number): Promise<UdpPeer> {
    const p = host.spawnScript(NETTOOL_SCRIPT, ['peer', '--bind', String(bindPort)], {
      label: `${host.name}:udp-peer`,
      stdin: true,
    });
    const m = await p.waitForLine(/^peer ready (\S+)$/, 15_000);
    return new UdpPeer(p, m[1]!);
  }

  send(to: Endpoint | string, text: string): void {
    this.process.write(`send ${typeof to === 'string' ? to : fmt(to)} ${text}\n`);
  }

  /** Waits for a datagram whose text matches `re`; resolves with its source and text. */
  async receive(re: RegExp, timeoutMs = 3000): Promise<{ from: string; text: string }> {
    const m = await this.process.waitForLine(new RegExp(`^recv (\\S+) (${re.source})$`), timeoutMs, 'stdout');
    return { from: m[1]!, text: m[2]! };
  }

  /** Every datagram text received so far. */
  received(): Array<{ from: string; text: string }> {
    return this.process.lines.flatMap((l) => {
      const m = /^recv (\S+) (.*)$/.exec(l.line);
      return l.stream === 'stdout' && m ? [{ from: m[1]!, text: m[2]! }] : [];
    });
  }

  /** Asks the reflector at `reflector` what this socket's public mapping is. */
  async mappedVia(reflector: Endpoint, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    // Resend a few times: the lab may impose loss.
    for (;;) {
      this.send(reflector, 'whoami');
      try {
        const r = await this.receive(/seen \S+/, Math.min(500, Math.max(1, deadline - Date.now())));
        return r.text.slice('seen '.length);
      } catch (e) {
        if (Date.now() >= deadline) throw e;
      }
    }
  }
}
