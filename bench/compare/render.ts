/**
 * Re-renders the Markdown table and the SVG chart from a results JSON of bench/compare/main.ts
 * (no measurement, no root). Run: npx tsx bench/compare/render.ts bench/results/compare.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import { markdownTable, type PathResult, svgChart } from './report.js';

const file = process.argv[2] ?? 'bench/results/compare.json';
const doc = JSON.parse(await readFile(file, 'utf8')) as {
  date: string;
  machine: string;
  profile: string;
  runs: number;
  results: PathResult[];
};
const title = `rtcmesh vs tinc, n2n, wireguard-go — ${
  doc.profile === 'wan' ? '20 ms RTT, 0.5 % loss (userspace wire)' : 'lab LAN (veth + bridge)'
}, ${doc.runs} run${doc.runs > 1 ? 's' : ''}`;
const table = markdownTable(doc.results, doc.runs);
await writeFile(file.replace(/\.json$/, '.md'), `# ${title}\n\n${doc.date}, ${doc.machine}\n\n${table}\n`);
await writeFile(file.replace(/\.json$/, '.svg'), svgChart(doc.results, title));
console.log(table);
