import { pino } from 'pino';
import { afterEach, describe, expect, test, vi } from 'vitest';
import WebSocket from 'ws';
import { type KeepaliveSocket, ServerKeepalive } from './server-keepalive.js';

function socket() {
  const sent: string[] = [];
  const s = {
    readyState: WebSocket.OPEN as WebSocket['readyState'],
    terminated: 0,
    send: (data: string) => void sent.push(JSON.parse(data).type),
    terminate: () => {
      s.terminated++;
    },
  };
  return { s, sent, ws: s as unknown as KeepaliveSocket };
}

/** A keepalive of 1 s on fake timers. */
function keepalive(): ServerKeepalive {
  vi.useFakeTimers();
  return new ServerKeepalive(1000, pino({ level: 'silent' }));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('server keepalive', () => {
  test('pings every interval while pongs come', () => {
    const k = keepalive();
    const { s, sent, ws } = socket();
    k.start(ws);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      k.pong();
    }
    expect(sent).toEqual(Array(5).fill('ping'));
    expect(s.terminated).toBe(0);
    k.stop();
  });

  test('no pong for two intervals and a second terminates the socket', () => {
    const k = keepalive();
    const { s, sent, ws } = socket();
    k.start(ws);
    vi.advanceTimersByTime(3000);
    expect(s.terminated).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(s.terminated).toBe(1);
    expect(sent).toEqual(['ping', 'ping', 'ping']);
    k.stop();
  });

  test('a socket not open is not pinged; stop and a new start end the old pings', () => {
    const k = keepalive();
    const old = socket();
    old.s.readyState = WebSocket.CONNECTING;
    k.start(old.ws);
    vi.advanceTimersByTime(1000);
    expect(old.sent).toEqual([]);
    old.s.readyState = WebSocket.OPEN;
    const next = socket();
    k.start(next.ws);
    vi.advanceTimersByTime(1000);
    expect(old.sent).toEqual([]);
    expect(next.sent).toEqual(['ping']);
    k.stop();
    vi.advanceTimersByTime(10_000);
    expect(next.sent).toEqual(['ping']);
    expect(next.s.terminated).toBe(0);
  });
});
