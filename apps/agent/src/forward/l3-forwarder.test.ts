import { ipv4Packet, udpDatagram } from '@rtcmesh/dataplane';
import type { PeerInfo } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { L3Forwarder } from './l3-forwarder.js';

function peer(id: string, address: string, routes: string[] = []): PeerInfo {
  return {
    nodeId: id,
    name: id,
    publicKey: Buffer.alloc(32, 1).toString('base64'),
    addresses: [`${address}/24`],
    mac: '02:00:00:00:00:02',
    online: true,
    lastSeen: 0,
    bindings: [],
    routes: routes.map((prefix) => ({ prefix, seq: 1 })),
  };
}

function setup() {
  const toDevice: Buffer[] = [];
  const toPeer: [string, Buffer][] = [];
  const f = new L3Forwarder(
    {
      toDevice: (b) => {
        toDevice.push(Buffer.from(b));
        return true;
      },
      toPeer: (id, b) => {
        toPeer.push([id, Buffer.from(b)]);
        return true;
      },
    },
    { addresses: ['10.99.0.1/24'], routes: [] },
  );
  return { f, toDevice, toPeer };
}

const udp = (dst: string) =>
  ipv4Packet({ src: '10.99.0.1', dst, protocol: 17, payload: udpDatagram(1000, 2000, Buffer.from('x')) });

describe('L3Forwarder and link state', () => {
  test('a packet to a peer whose link is down comes back to the sender as ICMP host unreachable', () => {
    const { f, toDevice, toPeer } = setup();
    f.updatePeer(peer('node-b', '10.99.0.2'));
    f.setLinkState('node-b', false, 0);
    f.fromDevice([udp('10.99.0.2')]);
    expect(toPeer).toHaveLength(0);
    expect(toDevice).toHaveLength(1);
    expect([toDevice[0]![9], toDevice[0]![20], toDevice[0]![21]]).toEqual([1, 3, 1]);
    expect(f.counters()['drop.peer-down']).toBe(1);
    f.setLinkState('node-b', true, 1);
    f.fromDevice([udp('10.99.0.2')]);
    expect(toPeer.map(([id]) => id)).toEqual(['node-b']);
  });

  test('two subnet routers: traffic follows the live one; routeChoices names primary and standby', () => {
    const { f, toPeer } = setup();
    f.updatePeer(peer('node-r1', '10.99.0.11', ['10.1.0.0/24']));
    f.updatePeer(peer('node-r2', '10.99.0.12', ['10.1.0.0/24']));
    f.fromDevice([udp('10.1.0.5')]);
    expect(f.routeChoices()).toEqual([{ prefix: '10.1.0.0/24', primary: 'node-r1', standby: ['node-r2'] }]);
    f.setLinkState('node-r1', false, 1000);
    f.fromDevice([udp('10.1.0.5')]);
    expect(toPeer.map(([id]) => id)).toEqual(['node-r1', 'node-r2']);
    expect(f.routeChoices()[0]?.primary).toBe('node-r2');
  });
});
