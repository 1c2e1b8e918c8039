import { ErrorCode } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { Metrics } from '../metrics/metrics.js';
import type { NodeRow } from '../store/nodes.js';
import { Hub, type SessionHandle } from './hub.js';
import { relaySignal } from './signal-relay.js';

function world() {
  const hub = new Hub();
  const received = new Map<string, string[]>();
  const at = (nodeId: string, networkId: string) => {
    const got: string[] = [];
    received.set(nodeId, got);
    hub.add({
      nodeId,
      networkId,
      endpoint: null,
      send: () => {},
      sendRaw: (r) => got.push(r),
      end: () => {},
    } as SessionHandle);
  };
  const published: [string, string, string][] = [];
  /** Nodes on another instance, by id. */
  const elsewhere = new Set<string>();
  const nodes: Record<string, Pick<NodeRow, 'id' | 'networkId'>> = {
    'n-b': { id: 'n-b', networkId: 'net-1' },
    'n-c': { id: 'n-c', networkId: 'net-1' },
    'n-x': { id: 'n-x', networkId: 'net-2' },
  };
  const errors: [string, string, string | undefined][] = [];
  const metrics = new Metrics(false);
  const deps = {
    hub,
    metrics,
    cluster: {
      relay: (networkId: string, to: string, raw: string) => {
        if (!elsewhere.has(to)) return false;
        published.push([networkId, to, raw]);
        return true;
      },
    },
    store: { nodes: { get: async (id: string) => nodes[id] as NodeRow | undefined } },
  } as unknown as Parameters<typeof relaySignal>[0];
  const out = {
    error: (code: ErrorCode, message: string, ref?: string) => void errors.push([code, message, ref]),
  };
  const send = (to: string) =>
    relaySignal(deps, out, { nodeId: 'n-a', networkId: 'net-1' }, {
      type: 'signal',
      to,
      data: { sdp: 'x' },
      id: 'r1',
    } as never);
  return { at, received, published, elsewhere, errors, send };
}

test('a signal reaches the session here with `from` set by the server', () => {
  const w = world();
  w.at('n-b', 'net-1');
  expect(w.send('n-b')).toBeUndefined();
  expect(w.received.get('n-b')!.map((r) => JSON.parse(r))).toEqual([
    { type: 'signal', from: 'n-a', data: { sdp: 'x' } },
  ]);
  expect(w.errors).toEqual([]);
});

test('a node on another instance gets one publish to it', () => {
  const w = world();
  w.elsewhere.add('n-c');
  expect(w.send('n-c')).toBeUndefined();
  expect(w.published).toEqual([
    ['net-1', 'n-c', JSON.stringify({ type: 'signal', from: 'n-a', data: { sdp: 'x' } })],
  ]);
});

test('undeliverable: offline in the network, or not found (itself, unknown, another network, even when online)', async () => {
  const w = world();
  w.at('n-x', 'net-2');
  w.at('n-a', 'net-1');
  for (const to of ['n-c', 'n-a', 'n-zz', 'n-x']) await w.send(to);
  expect(w.errors).toEqual([
    [ErrorCode.PeerOffline, 'peer n-c is offline', 'r1'],
    [ErrorCode.PeerNotFound, 'no peer n-a in this network', 'r1'],
    [ErrorCode.PeerNotFound, 'no peer n-zz in this network', 'r1'],
    [ErrorCode.PeerNotFound, 'no peer n-x in this network', 'r1'],
  ]);
  expect(w.received.get('n-x')).toEqual([]);
  expect(w.received.get('n-a')).toEqual([]);
});
