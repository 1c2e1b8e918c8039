import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execCommand, run } from './exec.js';
import { ManagedProcess } from './managed-process.js';
import type { LinkShape } from './spec.js';

/**
 * Link impairment. `tc netem` on both ends of a veth when the kernel has sch_netem; otherwise a
 * userspace wire (wire/main.ts) between two TAP devices spliced into the link at build time.
 * LAB_SHAPER=netem|wire forces one.
 */
export type ShaperKind = 'netem' | 'wire';

export interface Shaper {
  readonly kind: ShaperKind;
  apply(shape: LinkShape): Promise<void>;
  stop(): Promise<void>;
}

let netemProbe: Promise<boolean> | undefined;

/** Whether `tc qdisc ... netem` works here (probed once, on the loopback of a lab namespace). */
export function netemAvailable(ns: string): Promise<boolean> {
  netemProbe ??= (async () => {
    const add = await execCommand('ip', [
      'netns',
      'exec',
      ns,
      'tc',
      'qdisc',
      'add',
      'dev',
      'lo',
      'root',
      'netem',
      'delay',
      '0ms',
    ]);
    if (add.code !== 0) return false;
    await execCommand('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
    return true;
  })();
  return netemProbe;
}

export async function chooseShaper(ns: string): Promise<ShaperKind> {
  const forced = process.env.LAB_SHAPER;
  if (forced === 'netem' || forced === 'wire') return forced;
  return (await netemAvailable(ns)) ? 'netem' : 'wire';
}

function netemArgs(shape: LinkShape): string[] {
  const args = ['netem', 'limit', '10000', 'delay', `${shape.delayMs ?? 0}ms`];
  if ((shape.jitterMs ?? 0) > 0) args.push(`${shape.jitterMs}ms`);
  if ((shape.lossPct ?? 0) > 0) args.push('loss', `${shape.lossPct}%`);
  if ((shape.rateMbit ?? 0) > 0) args.push('rate', `${shape.rateMbit}mbit`);
  return args;
}

/** netem on the egress of each end of a link, so both directions are impaired. */
export class NetemShaper implements Shaper {
  readonly kind = 'netem';
  constructor(private readonly ends: ReadonlyArray<{ ns: string; dev: string }>) {}

  async apply(shape: LinkShape): Promise<void> {
    for (const { ns, dev } of this.ends) {
      await run('ip', [
        'netns',
        'exec',
        ns,
        'tc',
        'qdisc',
        'replace',
        'dev',
        dev,
        'root',
        ...netemArgs(shape),
      ]);
    }
  }

  async stop(): Promise<void> {}
}

const require = createRequire(import.meta.url);

/** argv to run one of the lab's TypeScript scripts with node + tsx. */
export function scriptCommand(script: string, args: readonly string[]): string[] {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return [process.execPath, '--import', tsx, script, ...args];
}

export const WIRE_SCRIPT = fileURLToPath(new URL('./wire/main.ts', import.meta.url));

/**
 * Batch lines (`ip -n NS -batch`) that splice a wire into `port` on its way to `bridge`: tapB joins
 * the bridge in place of the port, and tapA is joined to the port by `wireTc` (no bridge: a bridge
 * device would be an L3 interface of the namespace and answer ARP itself, short-cutting the wire).
 */
export function wireLinks(port: string, bridge: string, wire: { tapA: string; tapB: string }): string[] {
  return [
    `tuntap add dev ${wire.tapA} mode tap`,
    `tuntap add dev ${wire.tapB} mode tap`,
    `link set ${port} up`,
    `link set ${wire.tapA} up`,
    `link set ${wire.tapB} master ${bridge} up`,
  ];
}

/** `tc -batch` lines that redirect every frame between `port` and tapA, both ways (mirred). */
export function wireTc(port: string, tapA: string): string[] {
  const redirect = (from: string, to: string): string[] => [
    `qdisc add dev ${from} ingress`,
    `filter add dev ${from} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${to}`,
  ];
  return [...redirect(port, tapA), ...redirect(tapA, port)];
}

/** The userspace wire process between two taps in `ns`. */
export class WireShaper implements Shaper {
  readonly kind = 'wire';
  private seq = 0;
  private constructor(private readonly proc: ManagedProcess) {}

  static async start(ns: string, tapA: string, tapB: string, shape: LinkShape): Promise<WireShaper> {
    const [cmd, ...args] = scriptCommand(WIRE_SCRIPT, [
      tapA,
      tapB,
      String(shape.delayMs ?? 0),
      String(shape.lossPct ?? 0),
      String(shape.rateMbit ?? 0),
      String(shape.queueMs ?? 50),
    ]);
    const proc = new ManagedProcess('ip', ['netns', 'exec', ns, cmd!, ...args], {
      label: `wire ${tapA}`,
      stdin: true,
    });
    try {
      await proc.waitForLine(/^wire ready$/, 15_000);
    } catch (e) {
      await proc.stop(500);
      throw e;
    }
    return new WireShaper(proc);
  }

  async apply(shape: LinkShape): Promise<void> {
    const { delayMs = 0, lossPct = 0, rateMbit = 0, queueMs = 50 } = shape;
    const seq = ++this.seq;
    this.proc.write(`${seq} ${delayMs} ${lossPct} ${rateMbit} ${queueMs}\n`);
    await this.proc.waitForLine(new RegExp(`^wire set ${seq} `), 5000);
  }

  async stop(): Promise<void> {
    await this.proc.stop(1000);
  }

  killNow(): void {
    this.proc.killNow();
  }
}
