import { ethernetFrame } from '@rtcmesh/dataplane';
import type { PeerInfo, Welcome } from '@rtcmesh/protocol';
import pino from 'pino';
import { expect, test } from 'vitest';
import { L2Forwarder } from '../forward/l2-forwarder.js';
import { PolicyEnforcer } from './enforcer.js';
import { formatPolicyStatus } from './status-schema.js';

const peer = (id: string): PeerInfo => ({
  nodeId: id,
  name: id,
  publicKey: 'AAAA',
  addresses: [],
  mac: '02:00:00:00:00:09',
  online: true,
  lastSeen: 0,
  bindings: [],
  routes: [],
});

const welcome: Welcome = {
  type: 'welcome',
  version: 1,
  self: { nodeId: 'node-hq', name: 'node-hq', addresses: ['10.96.0.1/24'], mac: '02:00:00:00:00:01' },
  network: { id: 'net-1', name: 'n', mode: 'l2', cidr: '10.96.0.0/24', mtu: 1280 },
  iceServers: [],
  peers: [peer('node-a'), peer('node-b')],
  serverTime: 0,
  iceServersExpireAt: null,
  policy: { version: 2, l2: [{ src: ['node-a'], dst: ['node-hq'], ethertypes: ['ipv4'] }] },
};

const frame = (src: string, etherType: number) =>
  ethernetFrame({ dst: '02:00:00:00:00:01', src, etherType, payload: new Uint8Array(46) });

test('L2: a denied frame reaches neither the device nor the MAC table; status shows who was denied', () => {
  const delivered: Buffer[] = [];
  const fw = new L2Forwarder({ toDevice: (f) => delivered.push(f) > 0, toPeer: () => true }, null, {});
  const enforcer = new PolicyEnforcer(pino({ level: 'silent' }));
  enforcer.onWelcome(welcome);
  for (const p of welcome.peers) fw.updatePeer(p);
  fw.setReceiveFilter(enforcer);

  fw.fromPeer('node-a', frame('02:aa:00:00:00:01', 0x0800));
  fw.fromPeer('node-a', frame('02:aa:00:00:00:02', 0x86dd));
  fw.fromPeer('node-b', frame('02:bb:00:00:00:01', 0x0800));
  expect(delivered).toHaveLength(1);
  expect(fw.engine.macs.size).toBe(1);
  const s = enforcer.status();
  expect(s.verdicts).toEqual({ 'accepted.rule.0': 1, 'denied.ethertype': 1, 'denied.default': 1 });
  expect(formatPolicyStatus(s, 'l2', [{ id: 'node-a', name: 'a' }])).toEqual([
    'acl      policy v2, default deny, denied 2',
    'acl      denied from: a 1, node-b 1',
  ]);
});
