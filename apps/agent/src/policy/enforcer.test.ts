import { icmpEcho, ipv4Packet, tcpSegment } from '@rtcmesh/dataplane';
import {
  generateNodeKey,
  type PeerInfo,
  POLICY_DOMAIN,
  policyPayload,
  signDomain,
  type Welcome,
} from '@rtcmesh/protocol';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { L3Forwarder } from '../forward/l3-forwarder.js';
import { PolicyEnforcer } from './enforcer.js';
import { type SignedPolicy, SignedPolicyGate } from './signed-policy.js';

const peer = (id: string, ip: string, tags: string[] = []): PeerInfo => ({
  nodeId: id,
  name: id,
  publicKey: 'AAAA',
  addresses: [`${ip}/24`],
  mac: '02:00:00:00:00:01',
  online: true,
  lastSeen: 0,
  bindings: [],
  routes: [],
  ...(tags.length ? { tags } : {}),
});

function welcome(policy?: Record<string, unknown>): Welcome {
  return {
    type: 'welcome',
    version: 1,
    self: {
      nodeId: 'node-db',
      name: 'node-db',
      addresses: ['10.99.0.2/24'],
      mac: '02:00:00:00:00:02',
      tags: ['tag:db'],
    },
    network: { id: 'net-1', name: 'n', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 },
    iceServers: [],
    peers: [peer('node-admin', '10.99.0.1', ['tag:admin']), peer('node-web', '10.99.0.3')],
    serverTime: 0,
    iceServersExpireAt: null,
    ...(policy ? { policy: policy as Welcome['policy'] } : {}),
  };
}

const syn = (src: string, dport: number) =>
  ipv4Packet({
    src,
    dst: '10.99.0.2',
    protocol: 6,
    payload: tcpSegment({ srcPort: 40000, dstPort: dport, flags: 2 }),
  });
const ping = (src: string) => ipv4Packet({ src, dst: '10.99.0.2', protocol: 1, payload: icmpEcho(1, 1) });

function setup(policy?: Record<string, unknown>) {
  const delivered: Buffer[] = [];
  const fw = new L3Forwarder(
    { toDevice: (f) => delivered.push(f) > 0, toPeer: () => true },
    { addresses: ['10.99.0.2/24'], routes: [] },
  );
  const enforcer = new PolicyEnforcer(pino({ level: 'silent' }));
  const w = welcome(policy);
  enforcer.onWelcome(w);
  for (const p of w.peers) fw.updatePeer(p);
  fw.setReceiveFilter(enforcer);
  return { delivered, fw, enforcer };
}

const ADMIN_SSH = {
  version: 4,
  rules: [{ action: 'accept', src: ['tag:admin'], dst: ['tag:db:22'], proto: 'tcp' }],
};

describe('PolicyEnforcer on the L3 receive path', () => {
  test('no policy: everything is delivered, nothing denied', () => {
    const { delivered, fw, enforcer } = setup();
    fw.fromPeer('node-web', syn('10.99.0.3', 5432));
    expect(delivered).toHaveLength(1);
    expect(enforcer.status()).toMatchObject({ version: 0, l3Default: 'allow', denied: 0 });
  });

  test('only what a rule accepts reaches the device; denials are counted per peer and outcome', () => {
    const { delivered, fw, enforcer } = setup(ADMIN_SSH);
    fw.fromPeer('node-admin', syn('10.99.0.1', 22));
    fw.fromPeer('node-admin', syn('10.99.0.1', 23));
    fw.fromPeer('node-admin', ping('10.99.0.1'));
    fw.fromPeer('node-web', syn('10.99.0.3', 22));
    expect(delivered).toHaveLength(1);
    const s = enforcer.status();
    expect(s).toMatchObject({ version: 4, l3Default: 'deny', denied: 3 });
    expect(s.deniedByPeer).toEqual({ 'node-admin': 2, 'node-web': 1 });
    expect(s.verdicts).toEqual({ 'denied.default': 3, 'accepted.rule.0': 1 });
    expect(enforcer.counters()).toMatchObject({ 'acl.denied': 3, 'acl.version': 4 });
  });

  test('a policy update and a new tag apply to the next packet', () => {
    const { delivered, fw, enforcer } = setup(ADMIN_SSH);
    fw.fromPeer('node-web', syn('10.99.0.3', 22));
    expect(delivered).toHaveLength(0);
    enforcer.upsertPeer(peer('node-web', '10.99.0.3', ['tag:admin']));
    fw.fromPeer('node-web', syn('10.99.0.3', 22));
    expect(delivered).toHaveLength(1);
    enforcer.setPolicy({ version: 5, default: 'allow' });
    fw.fromPeer('node-web', ping('10.99.0.3'));
    expect(delivered).toHaveLength(2);
  });

  test('locked network: once a signed policy is in force, an unsigned one from the server opens nothing', async () => {
    const operator = generateNodeKey();
    const saved: SignedPolicy[] = [];
    const gate = new SignedPolicyGate(
      'net-1',
      () => [operator.publicKey],
      {
        readSignedPolicy: async () => null,
        writeSignedPolicy: async (_, s) => void saved.push(s),
      },
      pino({ level: 'silent' }),
    );
    await gate.load();
    const { delivered, fw, enforcer } = setup(ADMIN_SSH);
    enforcer.setGate(gate);
    enforcer.setPolicy(
      ADMIN_SSH,
      signDomain(operator.privateKey, POLICY_DOMAIN, policyPayload('net-1', ADMIN_SSH)),
    );
    expect(saved).toHaveLength(1);
    // A compromised server's allow-all: refused, the signed policy stays, the refusal is shown.
    enforcer.setPolicy({ version: 5, default: 'allow' });
    fw.fromPeer('node-web', syn('10.99.0.3', 5432));
    expect(delivered).toHaveLength(0);
    expect(enforcer.status()).toMatchObject({ version: 4, lastError: expect.stringMatching(/not signed/) });
  });

  test('an invalid policy from the server is refused and the previous one stays', () => {
    const { delivered, fw, enforcer } = setup(ADMIN_SSH);
    enforcer.setPolicy({ version: 9, rules: [{ action: 'drop', src: ['*'], dst: ['*:*'] }] });
    fw.fromPeer('node-web', syn('10.99.0.3', 22));
    expect(delivered).toHaveLength(0);
    expect(enforcer.status()).toMatchObject({ version: 4 });
    expect(enforcer.status().lastError).toMatch(/rules\[0\]\.action/);
  });

  test('answers to what this node sent get in under default deny', () => {
    const { delivered, fw } = setup({ version: 1, default: 'deny' });
    fw.fromDevice([
      ipv4Packet({ src: '10.99.0.2', dst: '10.99.0.3', protocol: 1, payload: icmpEcho(77, 1) }),
    ]);
    const reply = icmpEcho(77, 1);
    reply[0] = 0;
    fw.fromPeer('node-web', ipv4Packet({ src: '10.99.0.3', dst: '10.99.0.2', protocol: 1, payload: reply }));
    expect(delivered).toHaveLength(1);
  });
});
