// A joined member that does not run the real agent (issue 16): it joins with a real join key, then
// tries what a modified agent could, one thing at a time, and prints one JSON line per answer:
//   {"event":"welcome","peers":N}
//   {"event":"refused","case":"…","code":"…","message":"…"}   (or "stored" when the server took it)
//   {"event":"flood","sent":N,"rateLimited":N,"closed":CODE|null}
//   {"event":"done"}
//   hostile-member.ts SERVER_URL JOIN_KEY NAME SERVER_IP NETWORK_CIDR VICTIM_PREFIX

import { WebSocket } from 'ws';
import {
  generateNodeKey,
  PROTOCOL_VERSION,
  signAuthChallenge,
  signJoinRequest,
} from '../../../packages/protocol/src/index.js';

const [serverUrl, joinKey, name, serverIp, networkCidr, victimPrefix] = process.argv.slice(2);
if (!serverUrl || !joinKey || !name || !serverIp || !networkCidr || !victimPrefix) {
  process.stderr.write(
    'usage: hostile-member.ts SERVER_URL JOIN_KEY NAME SERVER_IP NETWORK_CIDR VICTIM_PREFIX\n',
  );
  process.exit(2);
}
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
type Msg = { type: string; [k: string]: unknown };

const key = generateNodeKey();
const res = await fetch(new URL('/api/v1/join', serverUrl), {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(signJoinRequest(key.privateKey, { key: joinKey, name, agentVersion: 'hostile' })),
});
if (!res.ok) throw new Error(`join: ${res.status} ${await res.text()}`);
const { nodeId } = (await res.json()) as { nodeId: string };

const wsUrl = new URL('/ws', serverUrl);
wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
const ws = new WebSocket(wsUrl);
const inbox: Msg[] = [];
let waiter: (() => void) | undefined;
let closed: number | null = null;
ws.on('message', (d) => {
  inbox.push(JSON.parse(String(d)) as Msg);
  waiter?.();
});
ws.on('close', (code) => {
  closed = code;
  waiter?.();
});
await new Promise((r, j) => ws.once('open', r).once('error', j));

/** The next message of `type` (others are dropped), or null after `ms` or when the socket closed. */
async function next(type: string, ms = 5000): Promise<Msg | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) return inbox.splice(0, i + 1).pop()!;
    inbox.length = 0;
    if (closed !== null || Date.now() > deadline) return null;
    await new Promise<void>((r) => {
      waiter = r;
      setTimeout(r, 100);
    });
  }
}
const send = (m: object) => ws.send(JSON.stringify(m));

send({ type: 'hello', versions: [PROTOCOL_VERSION], nodeId, agentVersion: 'hostile' });
const challenge = (await next('challenge')) as { nonce: string; version: number } & Msg;
send({
  type: 'auth',
  signature: signAuthChallenge(key.privateKey, {
    nodeId,
    nonce: challenge.nonce,
    version: challenge.version,
  }),
});
const welcome = (await next('welcome')) as { peers: { nodeId: string; name: string }[] } & Msg;
say({ event: 'welcome', peers: welcome.peers.length });

const hex = (n: number) => n.toString(16).padStart(2, '0');
const route = (prefix: string) => ({ routes: [{ prefix, seq: 1 }] });
const cases: [string, object][] = [
  ['short-prefix', route('128.0.0.0/1')],
  ['half-the-internet', route('0.0.0.0/1')],
  ['never-routed', route('127.0.0.0/8')],
  ['link-local-v6', route('fe80::/10')],
  ['short-v6', route('2000::/3')],
  ['server-address', route(`${serverIp}/32`)],
  ['network-cidr', route(networkCidr)],
  [
    'too-many-bindings',
    {
      bindings: Array.from({ length: 257 }, (_, i) => ({
        mac: `02:00:00:00:${hex(i >> 8)}:${hex(i & 255)}`,
        ips: [],
        seq: 1,
      })),
    },
  ],
  [
    'too-many-ips',
    {
      bindings: [
        { mac: '02:00:00:00:00:01', ips: Array.from({ length: 17 }, (_, i) => `10.200.0.${i + 1}`), seq: 1 },
      ],
    },
  ],
];
for (const [name, body] of cases) {
  send({ type: 'advertise', id: name, ...body });
  const err = await next('error');
  say(
    err
      ? { event: 'refused', case: name, code: err.code, message: err.message }
      : { event: 'stored', case: name },
  );
}
// A sound-looking, more specific route for another site's LAN, and an exit-node offer: taken, but
// only as pending (an admin must approve them; the default route only reaches --exit-node clients).
send({
  type: 'advertise',
  id: 'hijack',
  routes: [
    { prefix: victimPrefix, seq: 1 },
    { prefix: '0.0.0.0/0', seq: 1 },
  ],
});
send({ type: 'ping', ts: 1 });
const answer = await next('pong');
say({ event: 'advertised', case: 'hijack', answered: answer !== null });

// A key no private key stands behind (the identity point: R = identity, S = 0 verifies anything).
const identity = Buffer.from(`01${'00'.repeat(31)}`, 'hex').toString('base64');
const forged = Buffer.concat([Buffer.from(`01${'00'.repeat(31)}`, 'hex'), Buffer.alloc(32)]).toString(
  'base64',
);
send({ type: 'rekey', id: 'weak-key', publicKey: identity, signature: forged });
const weak = await next('error');
say(
  weak
    ? { event: 'refused', case: 'small-order-key', code: weak.code, message: weak.message }
    : { event: 'stored', case: 'small-order-key' },
);

// A flood of signals at every peer: unsigned offers and junk candidates.
const peers = welcome.peers.map((p) => p.nodeId);
let sent = 0;
let rateLimited = 0;
ws.on('message', (d) => {
  if (String(d).includes('rate-limited')) rateLimited++;
});
for (let i = 0; i < 5000 && ws.readyState === ws.OPEN; i++) {
  const to = peers[i % peers.length]!;
  const data =
    i % 10 === 0
      ? {
          kind: 'description',
          gen: `h${i}`,
          description: { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' },
        }
      : {
          kind: 'candidate',
          gen: `h${i}`,
          candidate: {
            candidate: `candidate:${i} 1 udp 1 10.66.${i & 255}.1 9 typ host`,
            sdpMid: '0',
            sdpMLineIndex: 0,
          },
        };
  send({ type: 'signal', to, data });
  sent++;
}
await new Promise((r) => setTimeout(r, 1500));
say({ event: 'flood', sent, rateLimited, closed });
ws.close();
say({ event: 'done' });
