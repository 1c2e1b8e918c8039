import { parsePrometheusText } from '@rtcmesh/testkit';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import type { AgentStatus } from '../localapi/schema.js';
import { AgentMetrics } from './agent-metrics.js';
import { parseListenAddress, serveMetrics } from './metrics-server.js';

function status(txBytes: number): AgentStatus {
  return {
    version: '0.1.0',
    node: { id: 'n-self', name: 'site-a', addresses: ['10.99.0.1/24'], mac: null },
    network: { id: 'net-1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24' },
    device: { name: 'rtm0', mtu: 1280, counters: { framesRead: 10, writes: 4, framesCoalesced: 2 } },
    server: { url: 'http://s', connected: true, since: null, lastError: null },
    health: { state: 'ok', problems: [] },
    peers: [
      {
        id: 'n-b',
        name: 'site-b "east"',
        addresses: ['10.99.0.2/24'],
        online: true,
        state: 'connected',
        path: 'relay',
        localCandidateType: 'relay',
        remoteCandidateType: 'srflx',
        remoteAddress: '198.51.100.7:3478',
        rttMs: 12.5,
        lossPct: 1,
        transport: 'werift',
        txBytes,
        rxBytes: 2000,
        txPackets: 30,
        rxPackets: 40,
        drops: 3,
        since: null,
      },
      {
        id: 'n-c',
        name: 'site-c',
        addresses: ['10.99.0.3/24'],
        online: false,
        state: 'closed',
        path: null,
        localCandidateType: null,
        remoteCandidateType: null,
        remoteAddress: null,
        rttMs: null,
        lossPct: null,
        txBytes: 0,
        rxBytes: 0,
        txPackets: 0,
        rxPackets: 0,
        drops: 0,
        since: null,
      },
    ],
    counters: { packets: 100, toPeer: 60, 'drop.no-route': 2, 'drop.spoofed-source': 1, routes: 7 },
    policy: {
      version: 3,
      l3Default: 'allow',
      l2Default: 'allow',
      denied: 5,
      deniedByPeer: { 'n-b': 5 },
      verdicts: {},
      flows: { live: 0, capacity: 1, evicted: 0 },
      lastError: null,
    },
  };
}

const value = (text: string, name: string, labels: Record<string, string> = {}) =>
  parsePrometheusText(text).samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;

describe('agent metrics', () => {
  test('per-peer traffic, RTT, path, drops by reason; device, forwarding and policy counters; the exposition parses', async () => {
    let tx = 1000;
    const m = new AgentMetrics(() => status(tx));
    m.linkChanged({ id: 'n-b', name: 'site-b "east"' }, true);
    const first = await m.text();
    const { types } = parsePrometheusText(first);
    expect(types.get('rtcmesh_peer_transmit_bytes_total')).toBe('counter');
    expect(types.get('rtcmesh_peer_rtt_seconds')).toBe('gauge');
    const b = { peer: 'site-b "east"', peer_id: 'n-b' };
    expect(value(first, 'rtcmesh_peer_transmit_bytes_total', b)).toBe(1000);
    expect(value(first, 'rtcmesh_peer_rtt_seconds', b)).toBe(0.0125);
    expect(value(first, 'rtcmesh_peer_loss_ratio', b)).toBe(0.01);
    expect(value(first, 'rtcmesh_peer_path', { ...b, path: 'relay', transport: 'werift' })).toBe(1);
    expect(value(first, 'rtcmesh_peer_up', { peer_id: 'n-c' })).toBe(0);
    expect(value(first, 'rtcmesh_peer_drops_total', { ...b, reason: 'link' })).toBe(3);
    expect(value(first, 'rtcmesh_peer_drops_total', { ...b, reason: 'acl' })).toBe(5);
    expect(value(first, 'rtcmesh_peer_link_changes_total', { ...b, state: 'up' })).toBe(1);
    expect(value(first, 'rtcmesh_peers', { state: 'connected' })).toBe(1);
    expect(value(first, 'rtcmesh_device_io_total', { device: 'rtm0', counter: 'framesCoalesced' })).toBe(2);
    expect(value(first, 'rtcmesh_forward_total', { counter: 'toPeer' })).toBe(60);
    expect(value(first, 'rtcmesh_forward_drops_total', { reason: 'spoofed-source' })).toBe(1);
    expect(value(first, 'rtcmesh_forward_table_entries', { table: 'routes' })).toBe(7);
    expect(value(first, 'rtcmesh_policy_denied_total')).toBe(5);
    expect(value(first, 'rtcmesh_agent_info', { node: 'site-a', mode: 'l3' })).toBe(1);
    expect(value(first, 'rtcmesh_agent_process_resident_memory_bytes')).toBeGreaterThan(0);
    // The next scrape shows what moved.
    tx = 5000;
    expect(value(await m.text(), 'rtcmesh_peer_transmit_bytes_total', b)).toBe(5000);
  });

  test('the endpoint serves GET /metrics only, 503 while the agent starts', async () => {
    let ready = false;
    const m = new AgentMetrics(() => {
      if (!ready) throw new Error('agent is still starting');
      return status(1);
    });
    const server = await serveMetrics({ host: '127.0.0.1', port: 0 }, m, pino({ level: 'silent' }));
    try {
      expect((await fetch(server.url)).status).toBe(503);
      ready = true;
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/text\/plain; version=0\.0\.4/);
      parsePrometheusText(await ok.text());
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  test.each([
    ['127.0.0.1:9101', { host: '127.0.0.1', port: 9101 }],
    ['[::1]:9101', { host: '::1', port: 9101 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('--metrics-listen %s', (v, expected) => {
    expect(parseListenAddress(v)).toEqual(expected);
  });

  test.each(['9101', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:9101', 'a b:1'])(
    '--metrics-listen %s is refused',
    (v) => {
      expect(() => parseListenAddress(v)).toThrow(/expected host:port/);
    },
  );
});
