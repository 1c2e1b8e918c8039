// A signaling path under an attacker's control, for the e2e tests: an HTTP + WebSocket proxy in front
// of the real signaling server that passes everything through, except that while it is "tampering" it
// replaces the DTLS fingerprints in every relayed SDP with one of its own (the first step of a
// man-in-the-middle: make each agent expect the attacker's certificate).
//   tampering-proxy.ts LISTEN_HOST LISTEN_PORT UPSTREAM_URL
// SIGUSR1 stops tampering (the test then shows the same agents link up); SIGTERM exits.
// Prints one JSON line per event: {"event":"listening"} / {"event":"tampered","n":N}.
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

const [host, port, upstream] = process.argv.slice(2);
if (!host || !port || !upstream) {
  process.stderr.write('usage: tampering-proxy.ts LISTEN_HOST LISTEN_PORT UPSTREAM_URL\n');
  process.exit(2);
}
const target = new URL(upstream);
let tampering = true;
let tampered = 0;
const fakeFingerprint = [...randomBytes(32)]
  .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
  .join(':');
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = createServer((req, res) => {
  const up = request(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (agent) => {
  const wsUrl = new URL('/ws', target);
  wsUrl.protocol = 'ws:';
  const real = new WebSocket(wsUrl);
  // Text frames stay text frames (the server refuses binary ones).
  const queued: string[] = [];
  agent.on('message', (d: Buffer) =>
    real.readyState === WebSocket.OPEN ? real.send(d.toString()) : queued.push(d.toString()),
  );
  real.on('open', () => {
    for (const d of queued.splice(0)) real.send(d);
  });
  real.on('message', (d: Buffer) => agent.send(tamper(d.toString())));
  real.on('close', () => agent.close());
  agent.on('close', () => real.close());
  real.on('error', () => agent.close());
  agent.on('error', () => real.close());
});

/** Rewrites the fingerprints of a relayed description, leaving the sender's signature as it was. */
function tamper(text: string): string {
  if (!tampering || !text.includes('a=fingerprint:')) return text;
  const msg = JSON.parse(text) as { type: string; data?: { kind: string; description?: { sdp: string } } };
  if (msg.type !== 'signal' || msg.data?.kind !== 'description' || !msg.data.description) return text;
  msg.data.description.sdp = msg.data.description.sdp.replace(
    /a=fingerprint:(\S+) \S+/g,
    (_m, alg: string) => `a=fingerprint:${alg} ${fakeFingerprint}`,
  );
  say({ event: 'tampered', n: ++tampered });
  return JSON.stringify(msg);
}

process.on('SIGUSR1', () => {
  tampering = false;
  say({ event: 'honest' });
});
process.on('SIGTERM', () => {
  wss.close();
  server.close();
  process.exit(0);
});
server.listen(Number(port), host, () => say({ event: 'listening' }));
