// Why the MAC table is keyed by a number: cost of deriving a Map key from the 6 frame bytes and
// looking it up, for number, 12-hex string and bigint keys (1000 MACs, hits only).
// Run: npx tsx bench/dataplane/mac-keys.ts. Writes bench/results/dataplane-mac-keys.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { macAt } from '../../packages/dataplane/src/index.js';

const N = 1000;
const frames = Array.from({ length: N }, (_, i) => {
  const f = Buffer.alloc(64);
  f.writeUIntBE(0x02_00_00_00_00_00 + i * 7919, 0, 6);
  return f;
});
const byNumber = new Map<number, number>();
const byHex = new Map<string, number>();
const byBig = new Map<bigint, number>();
for (let i = 0; i < N; i++) {
  const f = frames[i]!;
  byNumber.set(macAt(f, 0), i);
  byHex.set(f.toString('hex', 0, 6), i);
  byBig.set(BigInt(`0x${f.toString('hex', 0, 6)}`), i);
}
const keyFns: Record<string, (f: Buffer) => number | undefined> = {
  'number (u16*2^32+u32)': (f) => byNumber.get(macAt(f, 0)),
  "string (toString('hex',0,6))": (f) => byHex.get(f.toString('hex', 0, 6)),
  'bigint (readUIntBE -> BigInt)': (f) => byBig.get(BigInt(f.readUIntBE(0, 6))),
};
const results: { key: string; nsPerLookup: number }[] = [];
for (const [key, fn] of Object.entries(keyFns)) {
  let hits = 0;
  for (let i = 0; i < 200_000; i++) if (fn(frames[i % N]!) !== undefined) hits++;
  const rounds = 3_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) if (fn(frames[i % N]!) !== undefined) hits++;
  const ns = Number(process.hrtime.bigint() - t0) / rounds;
  if (hits === 0) throw new Error('no hits');
  results.push({ key, nsPerLookup: Math.round(ns * 10) / 10 });
  console.log(`${key.padEnd(32)} ${ns.toFixed(1)} ns/lookup`);
}
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'dataplane-mac-keys.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, macs: N, results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
