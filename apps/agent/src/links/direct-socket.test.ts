import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { DirectSocket, type DirectSocketOptions } from './direct-socket.js';

const log = pino({ level: 'silent' });
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

async function udp4(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  opened.push(s);
  return s;
}

async function direct(o: Partial<DirectSocketOptions> = {}) {
  const got: Buffer[] = [];
  const drops: string[] = [];
  const socket = await DirectSocket.listen({
    port: 0,
    onDatagram: (msg) => got.push(msg),
    onDrop: (reason) => drops.push(reason),
    logger: log,
    now: Date.now,
    ...o,
  });
  opened.push(socket);
  return { socket, got, drops };
}

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('direct signaling socket', () => {
  test('receives from and sends to IPv4 hosts', async () => {
    const { socket, got } = await direct();
    expect(socket.port).toBeGreaterThan(0);
    const peer = await udp4();
    const back: Buffer[] = [];
    peer.on('message', (m) => back.push(m));
    peer.send(Buffer.from('in'), socket.port, '127.0.0.1');
    await until('the datagram', () => got.length === 1);
    expect(got[0]?.toString()).toBe('in');
    socket.send(Buffer.from('out'), peer.address().port, '127.0.0.1');
    await until('the answer', () => back.length === 1);
    expect(back[0]?.toString()).toBe('out');
  });

  test('inbound datagrams beyond the burst are dropped until the rate allows more', async () => {
    let now = 1_000_000;
    const { socket, got, drops } = await direct({ now: () => now });
    const peer = await udp4();
    for (let i = 0; i < 250; i++) peer.send(Buffer.from([i]), socket.port, '127.0.0.1');
    await until('every datagram', () => got.length + drops.length === 250);
    expect(got).toHaveLength(200);
    expect(drops).toEqual(Array(50).fill('rate'));
    // 500 per second: 100 ms later, 50 more pass.
    now += 100;
    for (let i = 0; i < 60; i++) peer.send(Buffer.from([i]), socket.port, '127.0.0.1');
    await until('the next datagrams', () => got.length + drops.length === 310);
    expect(got).toHaveLength(250);
  });

  test('a port that is taken: listen fails and leaves no socket open behind it', async () => {
    const taken = createSocket({ type: 'udp6', ipv6Only: false });
    const ok = await new Promise<boolean>((r) => {
      taken.once('error', () => r(false));
      taken.bind(0, '::', () => r(true));
    });
    const holder = ok ? taken : await udp4();
    if (ok) opened.push(taken);
    else taken.close();
    const port = holder.address().port;
    // A second holder on IPv4 too, so that both the dual-stack attempt and the IPv4 one fail.
    const v4 = createSocket('udp4');
    await new Promise<void>((r) => {
      v4.once('error', () => r());
      v4.bind(port, '0.0.0.0', () => r());
    });
    opened.push(v4);
    const udpHandles = () => process.getActiveResourcesInfo().filter((h) => h === 'UDPWrap').length;
    // This test's two sockets, once the earlier tests' closed ones have left the list.
    await until('only this test’s sockets open', () => udpHandles() === 2);
    await expect(direct({ port })).rejects.toThrow(/EADDRINUSE/);
    // The failed attempts' sockets are closed: they leave the list on the next turn of the loop.
    await until('the failed sockets to close', () => udpHandles() === 2);
  });
});
