import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import type { NetcheckReport } from '../localapi/schema.js';
import { type IceUrl, parseIceUrl } from './ice-url.js';
import {
  ALLOCATE_ERROR,
  ALLOCATE_SUCCESS,
  allocateRequest,
  BINDING_SUCCESS,
  bindingRequest,
  decodeStun,
  errorCode,
  mappedAddress,
  newTransactionId,
  realmAndNonce,
  releaseRequest,
  type StunMessage,
  stunMessageLength,
  type TransportAddress,
} from './stun.js';

export interface IceServerConfig {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * `rtcmesh netcheck`: what a user needs to know when a link is relayed or down. UDP Binding requests
 * from ONE socket to every STUN endpoint tell whether UDP gets out and whether the NAT keeps the same
 * mapping for every destination (endpoint-independent: direct links work; endpoint-dependent, as with
 * `MASQUERADE --random-fully`: direct links between two such NATs need the relay). An authenticated
 * TURN Allocate per transport proves the relay works with our minted credentials.
 */
export async function runNetcheck(iceServers: IceServerConfig[], timeoutMs = 3000): Promise<NetcheckReport> {
  const stunTargets: IceUrl[] = [];
  const turnTargets: { url: IceUrl; username: string; credential: string }[] = [];
  for (const server of iceServers) {
    for (const raw of server.urls) {
      const url = parseIceUrl(raw);
      if (!url) continue;
      if (url.scheme === 'stun') stunTargets.push(url);
      if ((url.scheme === 'turn' || url.scheme === 'turns') && server.username && server.credential) {
        turnTargets.push({ url, username: server.username, credential: server.credential });
        // A TURN server answers Binding requests on its UDP port too: one more mapping sample.
        if (url.transport === 'udp') stunTargets.push({ ...url, scheme: 'stun' });
      }
    }
  }
  const uniqueStun = [...new Map(stunTargets.map((t) => [`${t.host}:${t.port}`, t])).values()];
  const { probes: stun, localPort } = await probeMappings(uniqueStun, timeoutMs);
  const turn = await Promise.all(
    turnTargets.map((t) => probeTurn(t.url, t.username, t.credential, timeoutMs)),
  );

  const mapped = stun.filter((s) => s.ok && s.mapped).map((s) => s.mapped as string);
  const udp = stun.some((s) => s.ok);
  const distinct = new Set(mapped);
  const mappingVariesByDestination = mapped.length >= 2 ? distinct.size > 1 : null;
  const local = localIPv4Addresses();
  let natType: NetcheckReport['natType'] = 'unknown';
  const unmapped = (m: string) =>
    local.has(m.slice(0, m.lastIndexOf(':'))) && Number(m.slice(m.lastIndexOf(':') + 1)) === localPort;
  if (mappingVariesByDestination === true) natType = 'endpoint-dependent';
  else if (mapped.length > 0 && mapped.every(unmapped)) natType = 'none';
  else if (mappingVariesByDestination === false) natType = 'endpoint-independent';
  return {
    udp,
    publicAddress: mapped[0] ?? null,
    mappingVariesByDestination,
    natType,
    stun,
    turn,
  };
}

interface StunProbe {
  server: string;
  ok: boolean;
  mapped: string | null;
  error: string | null;
}

async function probeMappings(
  targets: IceUrl[],
  timeoutMs: number,
): Promise<{ probes: StunProbe[]; localPort: number | null }> {
  if (targets.length === 0) return { probes: [], localPort: null };
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => resolve());
  });
  socket.on('error', () => undefined);
  try {
    const probes = await Promise.all(targets.map((t) => bindOnce(socket, t, timeoutMs)));
    return { probes, localPort: socket.address().port };
  } finally {
    socket.close();
  }
}

async function bindOnce(socket: UdpSocket, target: IceUrl, timeoutMs: number): Promise<StunProbe> {
  const server = `${target.host}:${target.port}`;
  let address: string;
  try {
    address = await resolve4(target.host);
  } catch (err) {
    return { server, ok: false, mapped: null, error: `cannot resolve: ${(err as Error).message}` };
  }
  const tid = newTransactionId();
  const request = bindingRequest(tid);
  return new Promise<StunProbe>((resolve) => {
    let tries = 0;
    const send = () => {
      tries++;
      socket.send(request, target.port, address);
    };
    const onMessage = (msg: Buffer) => {
      const parsed = decodeStun(msg);
      if (!parsed || parsed.type !== BINDING_SUCCESS || !parsed.transactionId.equals(tid)) return;
      const m = mappedAddress(parsed);
      finish({ server, ok: m !== null, mapped: m ? fmt(m) : null, error: m ? null : 'no mapped address' });
    };
    // Retransmit like RFC 5389 does (with a shorter schedule): one lost datagram is no verdict.
    const retransmit = setInterval(() => {
      if (tries < 4) send();
    }, timeoutMs / 4);
    const timer = setTimeout(
      () => finish({ server, ok: false, mapped: null, error: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
    const finish = (p: StunProbe) => {
      clearTimeout(timer);
      clearInterval(retransmit);
      socket.off('message', onMessage);
      resolve(p);
    };
    socket.on('message', onMessage);
    send();
  });
}

async function probeTurn(
  url: IceUrl,
  username: string,
  credential: string,
  timeoutMs: number,
): Promise<NetcheckReport['turn'][number]> {
  const base = { url: url.url, transport: url.transport };
  const started = performance.now();
  let channel: StunChannel | undefined;
  try {
    const address = await resolve4(url.host);
    channel = await openChannel(url, address, timeoutMs);
    const first = await channel.request(allocateRequest(newTransactionId()), timeoutMs);
    if (first.type !== ALLOCATE_ERROR || errorCode(first)?.code !== 401) {
      throw new Error(`unexpected answer to an unauthenticated Allocate (type 0x${first.type.toString(16)})`);
    }
    const rn = realmAndNonce(first);
    if (!rn) throw new Error('401 without realm and nonce');
    const auth = { username, password: credential, ...rn };
    const second = await channel.request(allocateRequest(newTransactionId(), auth), timeoutMs);
    if (second.type !== ALLOCATE_SUCCESS) {
      const e = errorCode(second);
      throw new Error(e ? `allocate refused: ${e.code} ${e.reason}` : 'allocate refused');
    }
    const rttMs = performance.now() - started;
    await channel.request(releaseRequest(newTransactionId(), auth), timeoutMs).catch(() => undefined);
    return { ...base, ok: true, rttMs, error: null };
  } catch (err) {
    return { ...base, ok: false, rttMs: null, error: (err as Error).message };
  } finally {
    channel?.close();
  }
}

interface StunChannel {
  request(message: Buffer, timeoutMs: number): Promise<StunMessage>;
  close(): void;
}

async function openChannel(url: IceUrl, address: string, timeoutMs: number): Promise<StunChannel> {
  if (url.transport === 'udp') {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    return {
      request: (message, t) =>
        new Promise<StunMessage>((resolve, reject) => {
          const tid = message.subarray(8, 20);
          const timer = setTimeout(() => done(new Error(`no answer in ${t} ms`)), t);
          const retransmit = setInterval(() => socket.send(message, url.port, address), t / 4);
          const onMessage = (msg: Buffer) => {
            const parsed = decodeStun(msg);
            if (parsed?.transactionId.equals(tid)) done(undefined, parsed);
          };
          const done = (err?: Error, msg?: StunMessage) => {
            clearTimeout(timer);
            clearInterval(retransmit);
            socket.off('message', onMessage);
            if (msg) resolve(msg);
            else reject(err);
          };
          socket.on('message', onMessage);
          socket.send(message, url.port, address);
        }),
      close: () => socket.close(),
    };
  }
  const stream: Socket = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    // The TLS probe checks that the relay answers over TLS; certificate trust is the job of the
    // WebRTC stack that uses it, and lab/self-hosted coturn often runs a self-signed certificate.
    const s =
      url.transport === 'tls'
        ? tlsConnect(
            {
              host: address,
              port: url.port,
              servername: isIP(url.host) ? undefined : url.host,
              rejectUnauthorized: false,
            },
            () => {
              clearTimeout(timer);
              resolve(s);
            },
          )
        : tcpConnect({ host: address, port: url.port }, () => {
            clearTimeout(timer);
            resolve(s);
          });
    s.once('error', onError);
  });
  stream.on('error', () => undefined);
  let buffered = Buffer.alloc(0);
  const waiters = new Map<string, (m: StunMessage) => void>();
  stream.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length > 65_536) stream.destroy();
    for (;;) {
      const len = stunMessageLength(buffered);
      if (len === null || buffered.length < len) break;
      const parsed = decodeStun(buffered.subarray(0, len));
      buffered = buffered.subarray(len);
      if (parsed) waiters.get(parsed.transactionId.toString('hex'))?.(parsed);
    }
  });
  return {
    request: (message, t) =>
      new Promise<StunMessage>((resolve, reject) => {
        const key = message.subarray(8, 20).toString('hex');
        const timer = setTimeout(() => {
          waiters.delete(key);
          reject(new Error(`no answer in ${t} ms`));
        }, t);
        waiters.set(key, (m) => {
          clearTimeout(timer);
          waiters.delete(key);
          resolve(m);
        });
        stream.write(message);
      }),
    close: () => stream.destroy(),
  };
}

async function resolve4(host: string): Promise<string> {
  if (isIP(host) === 4) return host;
  return (await lookup(host, { family: 4 })).address;
}

function fmt(a: TransportAddress): string {
  return a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function localIPv4Addresses(): Set<string> {
  const set = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') set.add(a.address);
  }
  return set;
}
