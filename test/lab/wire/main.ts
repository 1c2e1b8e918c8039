/**
 * The userspace wire: joins two TAP devices and impairs the frames between them (delay, loss, a
 * bottleneck rate with a bounded buffer). Used instead of `tc netem` when the kernel has no
 * sch_netem. Run inside the namespace that holds both taps:
 * `wire/main.ts TAP_A TAP_B DELAY_MS LOSS_PCT [RATE_MBIT [QUEUE_MS]]`. Each stdin line
 * `SEQ DELAY_MS LOSS_PCT [RATE_MBIT [QUEUE_MS]]` changes the impairment and is acknowledged with
 * `wire set SEQ ...`. Prints `wire ready` once both taps are attached. Exits on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { openTap } from '@rtcmesh/netdev';
import { DelayLine, type Impairment } from './delay-line.js';

function parseImpairment(
  delay: string | undefined,
  loss: string | undefined,
  rate = '0',
  queue = '50',
): Impairment | undefined {
  const delayMs = Number(delay);
  const lossPct = Number(loss);
  const rateMbit = Number(rate);
  const queueMs = Number(queue);
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 10_000) return undefined;
  if (!Number.isFinite(lossPct) || lossPct < 0 || lossPct > 100) return undefined;
  if (!Number.isFinite(rateMbit) || rateMbit < 0 || rateMbit > 100_000) return undefined;
  if (!Number.isFinite(queueMs) || queueMs < 1 || queueMs > 10_000) return undefined;
  return { delayMs, lossPct, rateMbit, queueMs };
}

const [nameA, nameB, delay, loss, rate, queue] = process.argv.slice(2);
const initial = parseImpairment(delay, loss, rate, queue);
if (!nameA || !nameB || !initial) {
  process.stderr.write('usage: wire TAP_A TAP_B DELAY_MS LOSS_PCT [RATE_MBIT [QUEUE_MS]]\n');
  process.exit(2);
}
// The taps exist already (`ip tuntap add`): netdev attaches to them and reads on epoll readiness.
// A full device queue drops the frame, as a real wire would. No read offloads: the kernel hands us
// every packet on its own, so loss hits each packet independently as on a real path (with offloads
// one read could be 45 TCP segments, all lost together).
const a = await openTap({ name: nameA, mtu: 1500, offload: false });
const b = await openTap({ name: nameB, mtu: 1500, offload: false });
const aToB = new DelayLine(initial, (f) => b.write(f));
const bToA = new DelayLine(initial, (f) => a.write(f));
const fail = (e: Error): void => {
  process.stderr.write(`wire: ${e.message}\n`);
  die();
};
a.onError(fail);
b.onError(fail);
a.onFrames((frames) => {
  for (const f of frames) aToB.push(f);
});
b.onFrames((frames) => {
  for (const f of frames) bToA.push(f);
});

const control = createInterface({ input: process.stdin });
/** Exits at once: the taps are persistent (the world deletes them); nothing needs flushing. */
function die(): never {
  process.stdout.write(
    `wire stop dropped=${aToB.dropped + bToA.dropped} overflow=${aToB.overflowed + bToA.overflowed} queue-dropped=${aToB.queueDropped + bToA.queueDropped}\n`,
  );
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
// The parent holds our stdin; when it dies, stop too (no orphaned wires).
control.on('close', die);
control.on('line', (line) => {
  const [seq, d, l, r, q] = line.trim().split(/\s+/);
  const next = parseImpairment(d, l, r, q);
  if (!next || !/^\d{1,9}$/.test(seq ?? '')) {
    process.stderr.write(`wire: ignored bad impairment line: ${line.slice(0, 100)}\n`);
    return;
  }
  aToB.set(next);
  bToA.set(next);
  process.stdout.write(`wire set ${seq} ${next.delayMs} ${next.lossPct} ${next.rateMbit} ${next.queueMs}\n`);
});

process.on('SIGTERM', die);
process.stdout.write('wire ready\n');
