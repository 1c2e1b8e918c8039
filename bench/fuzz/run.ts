// Bench-sized fuzz run (issue 7, hostile input): 100 000 generated signaling messages against a live
// in-process signaling server (valid, mutated-valid and garbage; several authenticated sessions plus
// a stream of unauthenticated connections) and 1 000 000 random/mutated frames through an L2Switch and
// 1 000 000 packets through an L3Router (and every packet parser). Passes when nothing threw, the
// server answered every batch and still serves a fresh node afterwards, and the heap after GC is back
// within a few % of its baseline. Writes bench/results/fuzz.json; exits 1 on any finding.
//
// Run: npx tsx bench/fuzz/run.ts [--messages N] [--frames N] [--seed S]
// (re-executes itself with --expose-gc when needed; about a minute on 2 cores)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFrameFuzz } from './frame-phase.js';
import { checkStillServing, normalizeServerState, runSignalFuzz, SignalTarget } from './signal-phase.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  // Heap figures only mean something after a full collection.
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '20261126' },
    tolerance: { type: 'string', default: '5' },
  },
});
const MESSAGES = Number(values.messages);
const FRAMES = Number(values.frames);
const SEED = Number(values.seed);
const TOLERANCE_PCT = Number(values.tolerance);
const here = dirname(fileURLToPath(import.meta.url));

const uncaught: string[] = [];
process.on('uncaughtException', (err) => uncaught.push(`uncaughtException: ${err.stack ?? err}`));
process.on('unhandledRejection', (err) =>
  uncaught.push(`unhandledRejection: ${(err as Error)?.stack ?? err}`),
);

async function heapAfterGc(): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    gc?.();
    // Let sockets' close handlers and finalizers run between collections.
    await new Promise((r) => setTimeout(r, 30));
    best = Math.min(best, process.memoryUsage().heapUsed);
  }
  return best;
}

const mb = (b: number) => Math.round((b / 1048576) * 100) / 100;
const log = (s: string) => process.stdout.write(`${s}\n`);

const dataDir = mkdtempSync(join(tmpdir(), 'rtcmesh-fuzz-'));
const target = await SignalTarget.start(dataDir);
log(`signal server ${target.server.url}; warming up`);

// Warm-up: the same code paths once (JIT, schema caches, metric label sets), so the baseline is
// the steady state and not the cold start.
await runSignalFuzz(target, 4000, SEED + 999);
runFrameFuzz(20_000, SEED + 998);
await normalizeServerState(target);
const baseline = await heapAfterGc();
log(`baseline heap after GC: ${mb(baseline)} MB`);

log(`signaling: ${MESSAGES} messages...`);
const signal = await runSignalFuzz(target, MESSAGES, SEED);
const stillServing = await checkStillServing(target);
await normalizeServerState(target);
const afterSignal = await heapAfterGc();
log(
  `  ${signal.messages} messages in ${signal.seconds.toFixed(1)} s (${signal.generationSeconds.toFixed(1)} s generating): ${signal.messagesPerSecond} msg/s; heap ${mb(afterSignal)} MB`,
);

log(`data plane: ${FRAMES} frames + ${FRAMES} packets...`);
const frames = runFrameFuzz(FRAMES, SEED);
log(
  `  ${(2 * FRAMES).toLocaleString('en')} inputs in ${frames.seconds.toFixed(1)} s: ${frames.inputsPerSecond} inputs/s`,
);

await normalizeServerState(target);
const final = await heapAfterGc();
const deltaPct = Math.round(((final - baseline) / baseline) * 1000) / 10;
await target.server.close();
rmSync(dataDir, { recursive: true, force: true });

const failures: string[] = [];
if (uncaught.length > 0) failures.push(...uncaught.slice(0, 10));
if (signal.internalErrors > 0)
  failures.push(`${signal.internalErrors} 'internal' errors from the server (a handler threw)`);
if (signal.invalidServerMessages > 0)
  failures.push(`${signal.invalidServerMessages} server messages failed the protocol schema`);
failures.push(...signal.hangs);
if (stillServing) failures.push(stillServing);
for (const t of frames.throws)
  failures.push(`${t.where} threw: ${t.error.split('\n')[0]} (input ${t.input})`);
failures.push(...frames.invariantViolations);
if (deltaPct > TOLERANCE_PCT)
  failures.push(`heap after GC ${mb(final)} MB is ${deltaPct} % above the ${mb(baseline)} MB baseline`);

const result = {
  bench: 'fuzz',
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  seed: SEED,
  ok: failures.length === 0,
  failures,
  signaling: { ...signal, stillServing: stillServing === null },
  dataplane: frames,
  memory: {
    baselineHeapMB: mb(baseline),
    afterSignalingHeapMB: mb(afterSignal),
    finalHeapMB: mb(final),
    deltaPct,
    tolerancePct: TOLERANCE_PCT,
  },
};
mkdirSync(join(here, '../results'), { recursive: true });
writeFileSync(join(here, '../results/fuzz.json'), `${JSON.stringify(result, null, 2)}\n`);
log(
  `heap after GC: baseline ${mb(baseline)} MB, final ${mb(final)} MB (${deltaPct >= 0 ? '+' : ''}${deltaPct} %)`,
);
log(
  failures.length === 0
    ? 'PASS: no crash, no hang, memory back to baseline'
    : `FAIL:\n  ${failures.join('\n  ')}`,
);
log('wrote bench/results/fuzz.json');
process.exit(failures.length === 0 ? 0 : 1);
