import { networkInterfaces } from 'node:os';
import type { CandidateAddressOptions } from '../address-filter.js';
import type { LinkSignal } from '../link-signal.js';
import { type LinkState, PeerLink, type PeerLinkOptions } from '../peer-link.js';

/**
 * Test-only: ICE restricted to 127.0.0.1 (every non-loopback address of this machine is excluded),
 * so tests never send traffic anywhere but loopback.
 */
export function loopbackOnly(): CandidateAddressOptions {
  const excludeCidrs: string[] = [];
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      const address = info.address.split('%')[0]!;
      excludeCidrs.push(`${address}/${info.family === 'IPv4' ? 32 : 128}`);
    }
  }
  return { additionalHostAddresses: ['127.0.0.1'], bindAddress: '127.0.0.1', excludeCidrs };
}

type Deliver = (signal: LinkSignal) => void;

/** An in-memory, ordered, asynchronous signaling path in one direction; can be held and released. */
export class SignalPipe {
  private held: LinkSignal[] | null = null;
  readonly sent: LinkSignal[] = [];
  private target: Deliver | null = null;

  connect(target: Deliver): void {
    this.target = target;
  }

  send = (signal: LinkSignal): void => {
    // Round-trip through JSON like the real server relay does.
    const copy = JSON.parse(JSON.stringify(signal)) as LinkSignal;
    this.sent.push(copy);
    if (this.held) {
      this.held.push(copy);
      return;
    }
    setImmediate(() => this.target?.(copy));
  };

  hold(): void {
    this.held ??= [];
  }

  /** Loses everything held (as a signaling server restart would) and delivers again from now on. */
  discard(): void {
    this.held = null;
  }

  release(): void {
    const queued = this.held ?? [];
    this.held = null;
    for (const s of queued) setImmediate(() => this.target?.(s));
  }
}

export interface LinkPair {
  a: PeerLink;
  b: PeerLink;
  aToB: SignalPipe;
  bToA: SignalPipe;
  close(): Promise<void>;
}

export function linkPair(
  shared: Partial<PeerLinkOptions> = {},
  perSide: { a?: Partial<PeerLinkOptions>; b?: Partial<PeerLinkOptions> } = {},
): LinkPair {
  const aToB = new SignalPipe();
  const bToA = new SignalPipe();
  const base = { iceServers: [], candidateAddresses: loopbackOnly(), ...shared };
  const a = new PeerLink({
    ...base,
    localId: 'node-a',
    remoteId: 'node-b',
    sendSignal: aToB.send,
    ...perSide.a,
  });
  const b = new PeerLink({
    ...base,
    localId: 'node-b',
    remoteId: 'node-a',
    sendSignal: bToA.send,
    ...perSide.b,
  });
  aToB.connect((s) => b.handleSignal(s));
  bToA.connect((s) => a.handleSignal(s));
  return {
    a,
    b,
    aToB,
    bToA,
    close: async () => {
      await Promise.all([a.close('test done'), b.close('test done')]);
    },
  };
}

/** Resolves when `link` reaches `state`; rejects after `timeoutMs`. */
export function waitForState(link: PeerLink, state: LinkState, timeoutMs = 15_000): Promise<void> {
  if (link.currentState === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`${link.localId}: state ${state} not reached in ${timeoutMs} ms (is ${link.currentState})`),
      );
    }, timeoutMs);
    const off = link.onState((s) => {
      if (s !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Resolves with the first value `accept` returns (not undefined) from emitted items. */
export function waitFor<T, V>(
  subscribe: (cb: (v: T) => void) => () => void,
  accept: (v: T) => V | undefined,
  timeoutMs: number,
  what: string,
): Promise<V> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((v) => {
      const r = accept(v);
      if (r === undefined) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

/** Re-evaluates `check` (errors count as false) every 100 ms until true; rejects after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
