/**
 * Small network tool run inside lab namespaces (node + tsx). Modes:
 *
 *   reflect IP:PORT...        UDP mapping reflector: answers each datagram with `seen IP:PORT`, the
 *                             source it saw (a STUN binding in one line). Also answers TCP on the same
 *                             ports with `seen IP:PORT\n`. Prints `reflector ready` once bound.
 *   probe [--bind PORT] [--timeout MS] IP:PORT...
 *                             sends from ONE UDP socket to every target (retrying), prints one JSON line:
 *                             {"local":"IP:PORT","mappings":[{"target":..,"mapped":..|null}]}.
 *   tcp-probe [--timeout MS] IP:PORT
 *                             connects over TCP, prints the reflector's answer line, exit 0 (1 on failure).
 *   stun [--timeout MS] IP:PORT
 *                             sends a STUN Binding request (RFC 5389) and prints `mapped IP:PORT` from
 *                             the XOR-MAPPED-ADDRESS of the answer; exit 1 without an answer.
 *   peer --bind PORT          interactive UDP socket: stdin `send IP:PORT TEXT` sends TEXT; every
 *                             datagram received prints `recv IP:PORT TEXT`. Prints `peer ready IP:PORT`.
 *
 * Datagrams are treated as untrusted: at most 512 bytes are read as text; anything else is ignored.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const MAX_TEXT = 512;

interface Endpoint {
  ip: string;
  port: number;
}

function parseEndpoint(s: string | undefined): Endpoint {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(s ?? '');
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65_535) throw new Error(`expected IPv4:PORT, got ${s}`);
  return { ip: m[1]!, port };
}

const fmt = (e: Endpoint): string => `${e.ip}:${e.port}`;

function text(b: Buffer): string {
  return b
    .subarray(0, MAX_TEXT)
    .toString('utf8')
    .replace(/[^\x20-\x7e]/g, '?');
}

function takeFlag(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}

function bindUdp(sock: Socket, port: number, ip?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, ip, () => {
      sock.off('error', reject);
      resolve();
    });
  });
}

async function reflect(targets: Endpoint[]): Promise<void> {
  for (const t of targets) {
    const sock = createSocket('udp4');
    sock.on('message', (_msg, rinfo) =>
      sock.send(`seen ${rinfo.address}:${rinfo.port}`, rinfo.port, rinfo.address),
    );
    sock.on('error', (e) => process.stderr.write(`reflector udp ${fmt(t)}: ${e.message}\n`));
    await bindUdp(sock, t.port, t.ip);
    const tcp = createServer((c) => {
      c.on('error', () => undefined);
      c.end(`seen ${c.remoteAddress}:${c.remotePort}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(t.port, t.ip, () => resolve());
    });
  }
  process.stdout.write('reflector ready\n');
  process.on('SIGTERM', () => process.exit(0));
}

async function probe(args: string[]): Promise<void> {
  const bind = Number(takeFlag(args, '--bind') ?? 0);
  const timeoutMs = Number(takeFlag(args, '--timeout') ?? 2000);
  const targets = args.map(parseEndpoint);
  const sock = createSocket('udp4');
  await bindUdp(sock, bind);
  const mapped = new Map<string, string>();
  sock.on('message', (msg, rinfo) => {
    const m = /^seen (\d{1,3}(?:\.\d{1,3}){3}:\d{1,5})$/.exec(text(msg));
    if (m) mapped.set(`${rinfo.address}:${rinfo.port}`, m[1]!);
  });
  const start = Date.now();
  // Resend every 200 ms until every target answered or the timeout passed (the lab may impose loss).
  while (Date.now() - start < timeoutMs && mapped.size < targets.length) {
    for (const t of targets) if (!mapped.has(fmt(t))) sock.send('probe', t.port, t.ip);
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, timeoutMs - (Date.now() - start)))));
  }
  const local = sock.address();
  process.stdout.write(
    `${JSON.stringify({
      local: `${local.address}:${local.port}`,
      mappings: targets.map((t) => ({ target: fmt(t), mapped: mapped.get(fmt(t)) ?? null })),
    })}\n`,
  );
  sock.close();
}

async function tcpProbe(args: string[]): Promise<void> {
  const timeoutMs = Number(takeFlag(args, '--timeout') ?? 3000);
  const t = parseEndpoint(args[0]);
  await new Promise<void>((resolve) => {
    const c = createConnection({ host: t.ip, port: t.port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      process.stderr.write(`tcp-probe ${fmt(t)}: timeout\n`);
      process.exitCode = 1;
      c.destroy();
      resolve();
    }, timeoutMs);
    c.on('data', (b: Buffer) => {
      if (got.length < MAX_TEXT) got = Buffer.concat([got, b]);
    });
    c.on('error', (e) => {
      clearTimeout(timer);
      process.stderr.write(`tcp-probe ${fmt(t)}: ${e.message}\n`);
      process.exitCode = 1;
      resolve();
    });
    c.on('end', () => {
      clearTimeout(timer);
      const nl = got.indexOf(0x0a);
      process.stdout.write(`${text(nl >= 0 ? got.subarray(0, nl) : got)}\n`);
      resolve();
    });
  });
}

const STUN_MAGIC = 0x2112a442;

/** XOR-MAPPED-ADDRESS (IPv4) of a Binding success response for `txid`, or undefined. */
function parseStunResponse(msg: Buffer, txid: Buffer): string | undefined {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101 || msg.readUInt32BE(4) !== STUN_MAGIC)
    return undefined;
  if (!msg.subarray(8, 20).equals(txid)) return undefined;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  for (let off = 20; off + 4 <= end; ) {
    const type = msg.readUInt16BE(off);
    const len = msg.readUInt16BE(off + 2);
    if (off + 4 + len > end) return undefined;
    if (type === 0x0020 && len >= 8 && msg[off + 5] === 0x01) {
      const port = msg.readUInt16BE(off + 6) ^ (STUN_MAGIC >>> 16);
      const ip = (msg.readUInt32BE(off + 8) ^ STUN_MAGIC) >>> 0;
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
    }
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  return undefined;
}

async function stun(args: string[]): Promise<void> {
  const timeoutMs = Number(takeFlag(args, '--timeout') ?? 3000);
  const t = parseEndpoint(args[0]);
  const txid = Buffer.from(Array.from({ length: 12 }, () => Math.floor(Math.random() * 256)));
  const req = Buffer.alloc(20);
  req.writeUInt16BE(0x0001, 0);
  req.writeUInt32BE(STUN_MAGIC, 4);
  txid.copy(req, 8);
  const sock = createSocket('udp4');
  await bindUdp(sock, 0);
  const mapped = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    const resend = setInterval(() => sock.send(req, t.port, t.ip), 250);
    sock.on('message', (msg) => {
      const m = parseStunResponse(msg, txid);
      if (!m) return;
      clearTimeout(timer);
      clearInterval(resend);
      resolve(m);
    });
    sock.send(req, t.port, t.ip);
    sock.once('close', () => clearInterval(resend));
  });
  sock.close();
  if (!mapped) {
    process.stderr.write(`stun ${fmt(t)}: no answer in ${timeoutMs} ms\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`mapped ${mapped}\n`);
}

async function peer(args: string[]): Promise<void> {
  const bind = Number(takeFlag(args, '--bind') ?? 0);
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) =>
    process.stdout.write(`recv ${rinfo.address}:${rinfo.port} ${text(msg)}\n`),
  );
  sock.on('error', (e) => process.stderr.write(`peer: ${e.message}\n`));
  await bindUdp(sock, bind);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const m = /^send (\S+) (.{1,512})$/.exec(line);
    try {
      if (!m) throw new Error('expected: send IP:PORT TEXT');
      const t = parseEndpoint(m[1]);
      sock.send(m[2]!, t.port, t.ip);
    } catch (e) {
      process.stderr.write(`peer: ${(e as Error).message}\n`);
    }
  });
  process.stdin.on('close', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  const a = sock.address();
  process.stdout.write(`peer ready ${a.address}:${a.port}\n`);
}

const [mode, ...rest] = process.argv.slice(2);
const modes: Record<string, (args: string[]) => Promise<void>> = {
  reflect: (a) => reflect(a.map(parseEndpoint)),
  probe,
  'tcp-probe': tcpProbe,
  stun,
  peer,
};
const fn = modes[mode ?? ''];
if (!fn) {
  process.stderr.write(`usage: nettool ${Object.keys(modes).join('|')} ...\n`);
  process.exit(2);
}
fn(rest).catch((e: Error) => {
  process.stderr.write(`nettool ${mode}: ${e.message}\n`);
  process.exit(1);
});
