import { expect, test } from 'vitest';
import type { AgentStatus } from '../localapi/schema.js';
import { formatStatus } from './format.js';

const base: AgentStatus = {
  version: '0.1.0',
  node: { id: 'n-a', name: 'site-a', addresses: ['10.99.0.1/24'], mac: null },
  network: { id: 'net', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24' },
  device: {
    name: 'rtm0',
    mtu: 1280,
    counters: {
      framesRead: 900,
      readBatches: 120,
      framesWritten: 800,
      writes: 100,
      framesCoalesced: 700,
      writeQueueDrops: 2,
    },
  },
  server: { url: 'http://s:8080', connected: true, since: null, lastError: null },
  peers: [],
  counters: {},
  dns: {
    listen: '10.99.0.1:53',
    zone: 'lab.rtcmesh.internal',
    resolver: 'none',
    reason: 'no systemd-resolved (resolvectl not found)',
    queries: 1,
    answered: 1,
    nxdomain: 0,
    refused: 0,
    malformed: 0,
    limited: 0,
  },
  mobility: [
    {
      prefix: '10.50.0.0/24',
      bridge: 'br-mob',
      gateway: '10.50.0.1',
      mac: '02:63:f3:b2:62:d0',
      local: [
        { ip: '10.50.0.5', mac: '02:00:00:50:00:05', state: 'claimed', seq: 3, since: Date.now() - 5000 },
      ],
      remote: [{ ip: '10.50.0.6', node: 'site-b', seq: 1 }],
      moves: [{ ip: '10.50.0.5', at: Date.now() - 5000, from: 'site-b', to: 'site-a', seq: 3 }],
    },
  ],
};

test('rtcmesh status: device I/O, the resolver and where each workload host is', () => {
  const text = formatStatus(base);
  expect(text).toContain(
    'read 900 frames in 120 batches, wrote 800 in 100 writes (700 coalesced), 2 not written',
  );
  expect(text).toContain(
    'dns      site-a: answers *.lab.rtcmesh.internal on 10.99.0.1:53 (the host does not ask it: no systemd-resolved (resolvectl not found))',
  );
  expect(text).toContain(
    'mobility 10.50.0.0/24 on br-mob: anycast gateway 10.50.0.1 (02:63:f3:b2:62:d0), 1 hosts here, 1 at other sites',
  );
  expect(text).toMatch(/ here {3}10\.50\.0\.5 02:00:00:50:00:05 seq 3 since 5s/);
  expect(text).toContain('  remote 10.50.0.6 at site-b seq 1');
  expect(text).toMatch(/ moved {2}10\.50\.0\.5 site-b -> site-a seq 3, 5s ago/);
});
