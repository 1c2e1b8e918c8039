import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, test } from 'vitest';
import { parseIceUrl } from './ice-url.js';
import { runNetcheck } from './netcheck.js';
import {
  BINDING_REQUEST,
  BINDING_SUCCESS,
  decodeStun,
  encodeStun,
  MAGIC_COOKIE,
  mappedAddress,
} from './stun.js';

/** A STUN responder that reports what it sees, optionally shifted to imitate a symmetric NAT. */
async function stunResponder(portShift = 0): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const req = decodeStun(msg);
    if (!req || req.type !== BINDING_REQUEST) return;
    const value = Buffer.alloc(8);
    value[1] = 0x01;
    value.writeUInt16BE((rinfo.port + portShift) ^ (MAGIC_COOKIE >>> 16), 2);
    const ip = rinfo.address.split('.').map(Number);
    for (let i = 0; i < 4; i++) value[4 + i] = ip[i]! ^ ((MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff);
    socket.send(
      encodeStun(BINDING_SUCCESS, req.transactionId, [{ type: 0x0020, value }]),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, socket };
}

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('netcheck', () => {
  test('sees no NAT when the mapped address is our own', async () => {
    const a = await stunResponder();
    const b = await stunResponder();
    sockets.push(a.socket, b.socket);
    const report = await runNetcheck(
      [{ urls: [`stun:127.0.0.1:${a.port}`, `stun:127.0.0.1:${b.port}`] }],
      2000,
    );
    expect(report.udp).toBe(true);
    expect(report.mappingVariesByDestination).toBe(false);
    expect(report.natType).toBe('none');
    expect(report.publicAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('reports endpoint-dependent mapping when destinations see different ports', async () => {
    const a = await stunResponder(0);
    const b = await stunResponder(7);
    sockets.push(a.socket, b.socket);
    const report = await runNetcheck(
      [{ urls: [`stun:127.0.0.1:${a.port}`, `stun:127.0.0.1:${b.port}`] }],
      2000,
    );
    expect(report.mappingVariesByDestination).toBe(true);
    expect(report.natType).toBe('endpoint-dependent');
  });

  test('reports an unreachable STUN server and a refused TURN server as failures, not crashes', async () => {
    const silent = createSocket('udp4');
    sockets.push(silent);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const report = await runNetcheck(
      [
        { urls: [`stun:127.0.0.1:${silent.address().port}`] },
        { urls: ['turn:127.0.0.1:1?transport=tcp'], username: 'u', credential: 'c' },
      ],
      600,
    );
    expect(report.udp).toBe(false);
    expect(report.stun[0]?.error).toMatch(/no answer/);
    expect(report.turn[0]).toMatchObject({ ok: false, transport: 'tcp' });
  });
});

describe('STUN codec', () => {
  test('never throws on arbitrary bytes', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const m = decodeStun(buf);
        if (m) mappedAddress(m);
      }),
    );
  });

  test('parses ICE URLs with defaults', () => {
    expect(parseIceUrl('turns:relay.example.com')).toMatchObject({ port: 5349, transport: 'tls' });
    expect(parseIceUrl('turn:[2001:db8::1]:3478?transport=tcp')).toMatchObject({
      host: '2001:db8::1',
      transport: 'tcp',
    });
    expect(parseIceUrl('http://x')).toBeNull();
  });
});
