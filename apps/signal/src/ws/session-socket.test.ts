import { CloseCode, ErrorCode } from '@rtcmesh/protocol';
import pino from 'pino';
import { expect, test } from 'vitest';
import type { WebSocket } from 'ws';
import { Metrics } from '../metrics/metrics.js';
import { pagePeers } from './peer-pages.js';
import { SessionSocket } from './session-socket.js';

function fakeWs(bufferedAmount = 0) {
  const calls: unknown[][] = [];
  const ws = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount,
    send: (raw: string, cb?: (err?: Error) => void) => {
      calls.push(['send', JSON.parse(raw)]);
      cb?.();
    },
    close: (code: number, reason: string) => calls.push(['close', code, reason]),
    terminate: () => calls.push(['terminate']),
  };
  const out = new SessionSocket(
    ws as unknown as WebSocket,
    1000,
    new Metrics(false),
    pino({ level: 'silent' }),
    () => 'n-a',
  );
  return { ws, calls, out };
}

test('sends while open; nothing once the socket is not open', () => {
  const { ws, calls, out } = fakeWs();
  out.send({ type: 'pong', ts: 1, serverTime: 2 });
  ws.readyState = 3;
  out.send({ type: 'pong', ts: 3, serverTime: 4 });
  expect(calls).toEqual([['send', { type: 'pong', ts: 1, serverTime: 2 }]]);
});

test('a client that does not read is closed as a slow consumer, not sent more', () => {
  const { calls, out } = fakeWs(1001);
  out.sendRaw('{"type":"pong"}');
  expect(calls).toEqual([['close', CloseCode.SlowConsumer, 'slow consumer'], ['terminate']]);
});

test('error answers with the ref; fail answers, then closes with the close code and the error code', () => {
  const { calls, out } = fakeWs();
  out.error(ErrorCode.PeerOffline, 'peer n-b is offline', 'r1');
  out.fail(ErrorCode.AuthFailed, 'authentication failed', CloseCode.AuthFailed);
  expect(calls).toEqual([
    ['send', { type: 'error', code: ErrorCode.PeerOffline, message: 'peer n-b is offline', ref: 'r1' }],
    ['send', { type: 'error', code: ErrorCode.AuthFailed, message: 'authentication failed' }],
    ['close', CloseCode.AuthFailed, ErrorCode.AuthFailed],
  ]);
});

test('peer pages go out in order, the last without `more`, and stop when the session is no longer open', async () => {
  const pages = pagePeers(
    [1, 2, 3].map((i) => ({ nodeId: `n-${i}`, name: `node-${i}` }) as never),
    1,
  );
  const a = fakeWs();
  await a.out.sendPeerPages(pages, () => true);
  expect(
    a.calls.map(([, m]) => [
      (m as { peers: { name: string }[] }).peers.map((p) => p.name),
      (m as { more: boolean }).more,
    ]),
  ).toEqual([
    [['node-1'], true],
    [['node-2'], true],
    [['node-3'], false],
  ]);
  const b = fakeWs();
  let open = 2;
  await b.out.sendPeerPages(pages, () => open-- > 0);
  expect(b.calls).toHaveLength(2);
});
