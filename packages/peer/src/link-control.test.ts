import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { LinkControl } from './link-control.js';
import { fakeConnection } from './testing/fake-connection.js';

function setup() {
  const pongs: number[] = [];
  const messages: unknown[] = [];
  const control = new LinkControl(pino({ level: 'silent' }), {
    pong: (id) => pongs.push(id),
    message: (body) => messages.push(body),
  });
  return { control, pongs, messages };
}

describe('LinkControl', () => {
  test('answers pings, hands on pongs and messages, ignores what does not parse', () => {
    const { control, pongs, messages } = setup();
    const conn = fakeConnection('a');
    control.receive(conn, JSON.stringify({ t: 'ping', id: 7 }));
    expect(conn.controlSent).toEqual([JSON.stringify({ t: 'pong', id: 7 })]);
    control.receive(conn, JSON.stringify({ t: 'pong', id: 3 }));
    control.receive(conn, JSON.stringify({ t: 'msg', body: { hello: 1 } }));
    control.receive(conn, '{not json');
    control.receive(conn, JSON.stringify({ t: 'pong', id: -1 }));
    expect(pongs).toEqual([3]);
    expect(messages).toEqual([{ hello: 1 }]);
  });

  test("the peer's caps set where frames go", () => {
    const { control } = setup();
    const conn = fakeConnection('a');
    control.receive(conn, JSON.stringify({ t: 'caps', track: true }));
    expect(conn.peerReceivesTrack).toBe(true);
    expect(conn.packetPath()).toBe('rtp');
  });

  test('caps go once per generation, when it is open and its track keyed', () => {
    const { control } = setup();
    const conn = fakeConnection('a');
    conn.trackReady = false;
    control.sendCaps(conn);
    conn.trackReady = true;
    conn.open = false;
    control.sendCaps(conn);
    expect(conn.controlSent).toEqual([]);
    conn.open = true;
    conn.controlWritable = false;
    control.sendCaps(conn);
    conn.controlWritable = true;
    control.sendCaps(conn);
    control.sendCaps(conn);
    expect(conn.controlSent).toEqual([JSON.stringify({ t: 'caps', track: true })]);
    const next = fakeConnection('b');
    control.sendCaps(next);
    expect(next.controlSent).toHaveLength(1);
  });

  test('pings and messages go out as control messages; no generation, no message', () => {
    const { control } = setup();
    const conn = fakeConnection('a');
    expect(control.ping(conn, 1)).toBe(true);
    expect(control.message(conn, ['mac', 'table'])).toBe(true);
    expect(control.message(null, 'x')).toBe(false);
    expect(conn.controlSent).toEqual([
      JSON.stringify({ t: 'ping', id: 1 }),
      JSON.stringify({ t: 'msg', body: ['mac', 'table'] }),
    ]);
    conn.controlWritable = false;
    expect(control.ping(conn, 2)).toBe(false);
  });
});
