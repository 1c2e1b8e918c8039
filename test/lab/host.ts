import { type ExecOptions, type ExecResult, execCommand } from './exec.js';
import { ManagedProcess, type SpawnOptions } from './managed-process.js';
import { scriptCommand } from './shaper.js';

/** Where a host's processes are registered, so the world can stop them at teardown. */
export interface ProcessRegistry {
  adopt(p: ManagedProcess): void;
}

/** A namespace of the lab that runs processes: a LAN host, a site router, or the server. */
export class LabHost {
  constructor(
    /** Declared name (`a1`, `server`, `router-a`). */
    readonly name: string,
    /** Network namespace name (for `ip netns exec`). */
    readonly ns: string,
    /** The host's own address: LAN address behind a NAT, public address otherwise. */
    readonly ip: string,
    /** Site the host belongs to (undefined for the server). */
    readonly site: string | undefined,
    private readonly registry: ProcessRegistry,
  ) {}

  /** Runs a command in the namespace to completion (default timeout 10 s); never rejects on exit codes. */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return execCommand('ip', ['netns', 'exec', this.ns, cmd, ...args], opts);
  }

  /** Starts a long-running command in the namespace; it is stopped (SIGTERM, then SIGKILL) at teardown. */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ManagedProcess {
    const p = new ManagedProcess('ip', ['netns', 'exec', this.ns, cmd, ...args], {
      ...opts,
      label: opts.label ?? `${this.name}:${cmd.split('/').pop()}`,
    });
    this.registry.adopt(p);
    return p;
  }

  /** Starts a TypeScript script (node + tsx) in the namespace. */
  spawnScript(script: string, args: readonly string[] = [], opts: SpawnOptions = {}): ManagedProcess {
    const [node, ...rest] = scriptCommand(script, args);
    return this.spawn(node!, rest, {
      ...opts,
      label: opts.label ?? `${this.name}:${script.split('/').pop()}`,
    });
  }

  /** Runs a TypeScript script (node + tsx) in the namespace to completion. */
  execScript(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    const [node, ...rest] = scriptCommand(script, args);
    return this.exec(node!, rest, opts);
  }
}

/** The public server namespace: signaling server and coturn live here. */
export class LabServer extends LabHost {
  constructor(
    ns: string,
    ip: string,
    /** A second public address on the same interface (a second reflector endpoint, STUN tests). */
    readonly altIp: string,
    /** TCP port that `cutServer('signaling')` drops. */
    readonly signalingPort: number,
    registry: ProcessRegistry,
  ) {
    super('server', ns, ip, undefined, registry);
  }
}
