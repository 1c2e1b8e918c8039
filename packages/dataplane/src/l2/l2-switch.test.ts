import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  ethernetFrame,
  ipv4Packet,
  ipv6MulticastMac,
  ipv6Packet,
  neighborAdvertisement,
  neighborSolicitation,
  solicitedNodeAddress,
  tcpSegment,
  udpDatagram,
} from '../builders/frames.js';
import { parseTcp } from '../parse/transport.js';
import { L2Switch, type L2SwitchEvents, type L2SwitchOptions } from './l2-switch.js';
import { A, A2, arpRequest, B, BCAST, C, frame, snap } from './test-helpers.js';

function makeSwitch(opts: L2SwitchOptions = {}): L2Switch {
  const s = new L2Switch({ storm: false, ...opts });
  s.addPeer('p1');
  s.addPeer('p2');
  return s;
}

/** Records every event the switch emits, in order. */
function record(s: L2Switch): { name: keyof L2SwitchEvents; data: unknown }[] {
  const log: { name: keyof L2SwitchEvents; data: unknown }[] = [];
  for (const name of [
    'binding-learned',
    'binding-withdrawn',
    'mac-moved',
    'mac-flapping',
    'storm-drop',
  ] as const) {
    s.on(name, (data: unknown) => log.push({ name, data }));
  }
  return log;
}

/** Independent ICMPv6 checksum check: pseudo header assembled as its own buffer. */
function icmpv6ChecksumOk(f: Buffer, ip: number): boolean {
  const len = f.readUInt16BE(ip + 4);
  const pseudo = Buffer.alloc(40 + len);
  f.copy(pseudo, 0, ip + 8, ip + 40);
  pseudo.writeUInt32BE(len, 32);
  pseudo[39] = 58;
  const all = Buffer.concat([pseudo.subarray(0, 40), f.subarray(ip + 40, ip + 40 + len)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

describe('L2Switch: learning and forwarding', () => {
  it('floods unknown unicast from the device to every peer, then learns and forwards to one', () => {
    const s = makeSwitch();
    expect(snap(s.process('local', frame(B, A), 0))).toEqual({
      toLocal: false,
      toPeers: ['p1', 'p2'],
      drop: null,
      inject: null,
    });
    // B answers from p1: A is known on local.
    expect(snap(s.process('p1', frame(A, B), 1))).toEqual({
      toLocal: true,
      toPeers: [],
      drop: null,
      inject: null,
    });
    // Now A -> B goes to p1 only.
    expect(snap(s.process('local', frame(B, A), 2)).toPeers).toEqual(['p1']);
    expect(s.counters.unicastToPeer).toBe(1);
    expect(s.counters.flooded).toBe(1);
  });

  it('forgets the MACs learned behind a peer whose link went down: frames to them flood again', () => {
    const s = makeSwitch();
    s.process('p1', frame(A, B), 0); // B learned behind p1
    expect(snap(s.process('local', frame(B, A), 1)).toPeers).toEqual(['p1']);
    expect(s.linkDown('p1')).toBe(1);
    expect(s.counters.macsFlushed).toBe(1);
    // B may have moved (to p2's site): flooding finds it where it answers.
    expect(snap(s.process('local', frame(B, A), 2)).toPeers).toEqual(['p1', 'p2']);
    s.process('p2', frame(A, B), 3);
    expect(snap(s.process('local', frame(B, A), 4)).toPeers).toEqual(['p2']);
  });

  it('floods broadcast and multicast, with split horizon for frames from peers', () => {
    const s = makeSwitch();
    expect(snap(s.process('local', frame(BCAST, A), 0)).toPeers).toEqual(['p1', 'p2']);
    expect(snap(s.process('local', frame('01:00:5e:00:00:fb', A), 0)).toPeers).toEqual(['p1', 'p2']);
    // From a peer: only the local device, never another peer.
    expect(snap(s.process('p1', frame(BCAST, B), 0))).toEqual({
      toLocal: true,
      toPeers: [],
      drop: null,
      inject: null,
    });
    expect(snap(s.process('p1', frame('02:00:00:00:99:99', B), 0))).toEqual({
      toLocal: true,
      toPeers: [],
      drop: null,
      inject: null,
    });
    // Known unicast from p1 to a MAC behind p2 is never relayed.
    s.process('p2', frame(BCAST, C), 0);
    expect(snap(s.process('p1', frame(C, B), 0)).drop).toBe('split-horizon');
  });

  it('drops frames whose destination is behind the ingress port', () => {
    const s = makeSwitch();
    s.process('local', frame(BCAST, A2), 0);
    expect(snap(s.process('local', frame(A2, A), 1)).drop).toBe('same-port');
    expect(s.counters.drops['same-port']).toBe(1);
  });

  it('ages entries: a MAC silent for longer than ageMs is flooded to again, and its binding withdrawn', () => {
    const s = makeSwitch({ macTable: { ageMs: 1000 } });
    const log = record(s);
    s.process('p1', frame(BCAST, B), 0);
    s.process('local', frame(BCAST, A), 0);
    expect(snap(s.process('local', frame(B, A), 1000)).toPeers).toEqual(['p1']);
    expect(snap(s.process('local', frame(B, A), 1001)).toPeers).toEqual(['p1', 'p2']); // B aged out
    expect(s.macs.counters.aged).toBe(1);
    // A keeps sending until 1001; sweep at 2002 expires it and withdraws its binding.
    expect(s.sweep(2002)).toBe(1);
    expect(log.filter((e) => e.name === 'binding-withdrawn')).toEqual([
      { name: 'binding-withdrawn', data: { mac: A, reason: 'aged' } },
    ]);
    expect(s.localBindings()).toEqual([]);
  });

  it('stops learning new MACs when the table is full, counts it, and still forwards', () => {
    const s = makeSwitch({ macTable: { maxEntries: 2 } });
    s.process('local', frame(BCAST, A), 0);
    s.process('p1', frame(BCAST, B), 0);
    s.process('p2', frame(BCAST, C), 0); // not learned
    expect(s.macs.size).toBe(2);
    expect(s.macs.counters.full).toBe(1);
    expect(snap(s.process('local', frame(C, A), 1)).toPeers).toEqual(['p1', 'p2']);
    expect(snap(s.process('local', frame(B, A), 1)).toPeers).toEqual(['p1']);
  });

  it('rejects unknown ports, runt frames and group source MACs', () => {
    const s = makeSwitch();
    expect(snap(s.process('p9', frame(BCAST, B), 0)).drop).toBe('unknown-port');
    expect(snap(s.process('local', Buffer.alloc(13), 0)).drop).toBe('malformed');
    expect(snap(s.process('local', frame(BCAST, '01:00:5e:00:00:01'), 0)).drop).toBe('bad-source');
    expect(s.macs.size).toBe(0);
  });

  it('removePeer flushes its MACs and bindings', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 0 }]);
    s.removePeer('p1');
    expect(s.peers).toEqual(['p2']);
    expect(snap(s.process('local', frame(B, A), 0)).toPeers).toEqual(['p2']);
    expect(snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.11'), 0)).drop).toBeNull();
  });
});

describe('L2Switch: ARP suppression and local bindings', () => {
  it('answers an ARP request for a remote binding with a byte-correct reply, and floods nothing', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 0 }]);
    const d = snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.11'), 0));
    expect(d.drop).toBe('arp-suppressed');
    expect(d.toPeers).toEqual([]);
    expect(d.toLocal).toBe(false);
    // What tcpdump -xx shows for "ARP, Reply 10.0.0.11 is-at 02:00:00:00:00:0b", built field by field.
    const expected = Buffer.from(
      [
        '02000000000a', // Ethernet dst: the requester
        '02000000000b', // Ethernet src: the answer
        '0806', // ARP
        '0001', // htype Ethernet
        '0800', // ptype IPv4
        '06', // hlen
        '04', // plen
        '0002', // op reply
        '02000000000b', // sender MAC
        '0a00000b', // sender IP 10.0.0.11
        '02000000000a', // target MAC
        '0a00000a', // target IP 10.0.0.10
      ].join(''),
      'hex',
    );
    expect(d.inject).toHaveLength(1);
    expect(d.inject![0]!.toString('hex')).toBe(expected.toString('hex'));
  });

  it('keeps the 802.1Q tag of the request in the reply', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 0 }]);
    const d = snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.11', 42), 0));
    expect(d.inject![0]!.toString('hex')).toBe(
      `02000000000a02000000000b8100002a0806000108000604000202000000000b0a00000b02000000000a0a00000a`,
    );
  });

  it('floods unknown targets, gratuitous ARP, probes, and requests from peers', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 0 }]);
    expect(snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.99'), 0)).toPeers).toEqual([
      'p1',
      'p2',
    ]);
    expect(snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.10'), 0)).toPeers).toEqual([
      'p1',
      'p2',
    ]);
    expect(snap(s.process('local', arpRequest(A, '0.0.0.0', '10.0.0.11'), 0)).toPeers).toEqual(['p1', 'p2']);
    expect(snap(s.process('p2', arpRequest(C, '10.0.0.12', '10.0.0.11'), 0))).toMatchObject({
      toLocal: true,
      inject: null,
    });
  });

  it('does not answer for an address a local host holds', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 0 }]);
    s.process('local', arpRequest(A2, '10.0.0.11', '10.0.0.1'), 0); // a local host claims 10.0.0.11
    expect(snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.11'), 1)).drop).toBeNull();
  });

  it('emits local bindings learned from ARP, gratuitous ARP and DHCP ACKs', () => {
    const s = makeSwitch();
    const log = record(s);
    s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.1'), 0);
    // Gratuitous ARP reply from A2.
    s.process(
      'local',
      ethernetFrame({
        dst: BCAST,
        src: A2,
        etherType: 0x0806,
        payload: arpPacket({
          op: 2,
          senderMac: A2,
          senderIp: '10.0.0.20',
          targetMac: BCAST,
          targetIp: '10.0.0.20',
        }),
      }),
      1,
    );
    // DHCP ACK from a local server to A: yiaddr 10.0.0.30 added to A's binding.
    const bootp = Buffer.alloc(244);
    bootp[0] = 2;
    bootp[1] = 1;
    bootp[2] = 6;
    bootp.writeUInt32BE(0x0a00001e, 16);
    Buffer.from(A.replaceAll(':', ''), 'hex').copy(bootp, 28);
    bootp.writeUInt32BE(0x63825363, 236);
    Buffer.from([53, 1, 5, 255]).copy(bootp, 240);
    const ack = ethernetFrame({
      dst: A,
      src: '02:00:00:00:00:fe',
      etherType: 0x0800,
      payload: ipv4Packet({
        src: '10.0.0.254',
        dst: '10.0.0.30',
        protocol: 17,
        payload: udpDatagram(67, 68, bootp),
      }),
    });
    s.process('local', ack, 2);
    expect(log.filter((e) => e.name === 'binding-learned').map((e) => e.data)).toEqual([
      { mac: A, ips: [], seq: 0 },
      { mac: A, ips: ['10.0.0.10'], seq: 0 },
      { mac: A2, ips: [], seq: 0 },
      { mac: A2, ips: ['10.0.0.20'], seq: 0 },
      { mac: '02:00:00:00:00:fe', ips: [], seq: 0 },
      { mac: A, ips: ['10.0.0.10', '10.0.0.30'], seq: 0 },
    ]);
    // Refreshing the same binding emits nothing new.
    const before = log.length;
    s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.1'), 3);
    expect(log.length).toBe(before);
    expect(s.localBindings()).toContainEqual({ mac: A2, ips: ['10.0.0.20'], seq: 0 });
  });
});

describe('L2Switch: bindings from unicast replies', () => {
  it('learns a local host from its unicast ARP reply and solicited NA to a remote requester', () => {
    const s = makeSwitch();
    const log = record(s);
    s.process('p1', arpRequest(B, '10.0.0.11', '10.0.0.10'), 0);
    const reply = ethernetFrame({
      dst: B,
      src: A,
      etherType: 0x0806,
      payload: arpPacket({ op: 2, senderMac: A, senderIp: '10.0.0.10', targetMac: B, targetIp: '10.0.0.11' }),
    });
    expect(snap(s.process('local', reply, 1)).toPeers).toEqual(['p1']);
    const na = ethernetFrame({
      dst: B,
      src: A,
      etherType: 0x86dd,
      payload: ipv6Packet({
        src: 'fd00::a',
        dst: 'fd00::b',
        nextHeader: 58,
        hopLimit: 255,
        payload: neighborAdvertisement('fd00::a', A, 0x60),
      }),
    });
    expect(snap(s.process('local', na, 2)).toPeers).toEqual(['p1']);
    expect(log.filter((e) => e.name === 'binding-learned').map((e) => e.data)).toEqual([
      { mac: A, ips: [], seq: 0 },
      { mac: A, ips: ['10.0.0.10'], seq: 0 },
      { mac: A, ips: ['10.0.0.10', 'fd00::a'], seq: 0 },
    ]);
  });
});

describe('L2Switch: IPv6 neighbour discovery suppression', () => {
  const target = 'fd00::b';
  function ns(src = 'fd00::a', hopLimit = 255): Buffer {
    const group = solicitedNodeAddress(target);
    return ethernetFrame({
      dst: ipv6MulticastMac(group),
      src: A,
      etherType: 0x86dd,
      payload: ipv6Packet({
        src,
        dst: group,
        nextHeader: 58,
        hopLimit,
        payload: neighborSolicitation(target, src === '::' ? undefined : A),
      }),
    });
  }

  it('answers an NS for a remote binding with a byte-correct NA with a valid checksum', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11', target], seq: 0 }]);
    const d = snap(s.process('local', ns(), 0));
    expect(d.drop).toBe('nd-suppressed');
    expect(d.toPeers).toEqual([]);
    const na = d.inject![0]!;
    expect(na.length).toBe(86);
    expect(icmpv6ChecksumOk(na, 14)).toBe(true);
    const cks = na.subarray(56, 58).toString('hex');
    expect(na.toString('hex')).toBe(
      [
        '02000000000a', // dst: the soliciting host
        '02000000000b', // src: the target's MAC
        '86dd',
        '60000000', // version 6, class 0, flow 0
        '0020', // payload length 32
        '3a', // ICMPv6
        'ff', // hop limit 255
        'fd00000000000000000000000000000b', // src: the target address
        'fd00000000000000000000000000000a', // dst: the NS source
        '88', // type 136 NA
        '00', // code
        cks, // checksum (verified above)
        '60000000', // S and O flags
        'fd00000000000000000000000000000b', // target
        '0201', // option: target link-layer address, 1 x 8 bytes
        '02000000000b',
      ].join(''),
    );
    // The checksum is not zero and changes if any field changes.
    expect(cks).not.toBe('0000');
  });

  it('floods DAD probes, unknown targets and NS with a wrong hop limit', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p1', [{ mac: B, ips: [target], seq: 0 }]);
    expect(snap(s.process('local', ns('::'), 0)).toPeers).toEqual(['p1', 'p2']);
    expect(snap(s.process('local', ns('fd00::a', 64), 0)).toPeers).toEqual(['p1', 'p2']);
    s.setRemoteBindings('p1', []);
    expect(snap(s.process('local', ns(), 0)).toPeers).toEqual(['p1', 'p2']);
  });

  it('learns local IPv6 bindings from NS and NA', () => {
    const s = makeSwitch();
    const log = record(s);
    s.process('local', ns(), 0);
    const na = ethernetFrame({
      dst: '33:33:00:00:00:01',
      src: A2,
      etherType: 0x86dd,
      payload: ipv6Packet({
        src: 'fe80::1a',
        dst: 'ff02::1',
        nextHeader: 58,
        hopLimit: 255,
        payload: neighborAdvertisement('fd00::1a', A2, 0x20),
      }),
    });
    s.process('local', na, 1);
    expect(log.filter((e) => e.name === 'binding-learned').map((e) => e.data)).toEqual([
      { mac: A, ips: [], seq: 0 },
      { mac: A, ips: ['fd00::a'], seq: 0 },
      { mac: A2, ips: [], seq: 0 },
      { mac: A2, ips: ['fd00::1a'], seq: 0 },
    ]);
  });
});

describe('L2Switch: MAC mobility', () => {
  it('moves a MAC at once, bumps the seq above the remote one, and lets a higher remote seq take it back', () => {
    const s = makeSwitch();
    const log = record(s);
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 4 }]);
    expect(snap(s.process('local', frame(B, A), 0)).toPeers).toEqual(['p1']); // pre-populated: no flood
    // The VM behind p1 shows up on the local device (migrated here).
    s.process('local', frame(A, B), 1);
    expect(log).toContainEqual({ name: 'mac-moved', data: { mac: B, from: 'p1', to: 'local' } });
    expect(log).toContainEqual({ name: 'binding-learned', data: { mac: B, ips: [], seq: 5 } });
    expect(snap(s.process('p2', frame(B, C), 2)).toLocal).toBe(true);
    // p1 still advertises seq 4: stale, ignored.
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11'], seq: 4 }], 3);
    expect(s.macs.peek(0x02000000000b)!.port).toBe('local');
    // p2 advertises seq 6: it moved again, to p2.
    log.length = 0;
    s.setRemoteBindings('p2', [{ mac: B, ips: ['10.0.0.11'], seq: 6 }], 4);
    expect(log).toEqual([
      { name: 'binding-withdrawn', data: { mac: B, reason: 'moved' } },
      { name: 'mac-moved', data: { mac: B, from: 'local', to: 'p2' } },
    ]);
    expect(snap(s.process('local', frame(B, A), 5)).toPeers).toEqual(['p2']);
    // ARP suppression now answers with the binding p2 advertised.
    expect(snap(s.process('local', arpRequest(A, '10.0.0.10', '10.0.0.11'), 6)).drop).toBe('arp-suppressed');
  });

  it('between peers, the higher seq wins whatever the order', () => {
    const s = makeSwitch();
    s.setRemoteBindings('p2', [{ mac: C, ips: [], seq: 3 }]);
    s.setRemoteBindings('p1', [{ mac: C, ips: [], seq: 2 }]);
    expect(snap(s.process('local', frame(C, A), 0)).toPeers).toEqual(['p2']);
    s.setRemoteBindings('p2', []);
    expect(snap(s.process('local', frame(C, A), 0)).toPeers).toEqual(['p1']);
  });

  it('counts an equal-seq claim on a local MAC as a conflict and keeps it local', () => {
    const s = makeSwitch();
    s.process('local', frame(BCAST, A), 0); // seq 0
    s.setRemoteBindings('p1', [{ mac: A, ips: [], seq: 0 }], 1);
    expect(s.counters.seqConflicts).toBe(1);
    expect(snap(s.process('p1', frame(A, B), 2)).toLocal).toBe(true);
  });

  it('damps a flapping MAC: holds it down, reports once, drops frames from the other port, then recovers', () => {
    const s = makeSwitch({ macTable: { maxMoves: 3, moveWindowMs: 10_000, holdDownMs: 5_000 } });
    const log = record(s);
    const ports = ['local', 'p1'] as const;
    let t = 0;
    s.process('local', frame(BCAST, A), t);
    for (let i = 1; i <= 3; i++) expect(snap(s.process(ports[i % 2]!, frame(BCAST, A), ++t)).drop).toBeNull();
    // Fourth move within the window: hold-down starts, A stays behind p1 (where move 3 put it).
    expect(snap(s.process('local', frame(BCAST, A), ++t)).drop).toBe('mac-hold-down');
    expect(log.filter((e) => e.name === 'mac-flapping')).toEqual([
      { name: 'mac-flapping', data: { mac: A, ports: ['p1', 'local'], holdDownMs: 5000 } },
    ]);
    for (let i = 0; i < 5; i++)
      expect(snap(s.process('local', frame(BCAST, A), ++t)).drop).toBe('mac-hold-down');
    expect(snap(s.process('p1', frame(BCAST, A), ++t)).drop).toBeNull(); // the pinned port still works
    expect(log.filter((e) => e.name === 'mac-flapping')).toHaveLength(1);
    // After the hold-down it may move again.
    expect(snap(s.process('local', frame(BCAST, A), t + 5_001)).drop).toBeNull();
    expect(s.macs.peek(0x02000000000a)!.port).toBe('local');
  });
});

describe('L2Switch: loop guard, storm control, DHCP, MSS', () => {
  it('drops STP BPDUs by default and other 802.1D link-local groups always', () => {
    const bpdu = ethernetFrame({
      dst: '01:80:c2:00:00:00',
      src: A,
      etherType: 0x0026,
      payload: Buffer.alloc(38),
    });
    expect(snap(makeSwitch().process('local', bpdu, 0)).drop).toBe('bpdu');
    expect(snap(makeSwitch({ dropBpdu: false }).process('local', bpdu, 0)).toPeers).toEqual(['p1', 'p2']);
    const lldp = ethernetFrame({
      dst: '01:80:c2:00:00:0e',
      src: A,
      etherType: 0x88cc,
      payload: Buffer.alloc(46),
    });
    expect(snap(makeSwitch().process('local', lldp, 0)).drop).toBe('link-local-group');
  });

  it('limits broadcast/multicast/unknown unicast per port with a token bucket, and reports drops rate-limited', () => {
    const s = makeSwitch({ storm: { pps: 10, burst: 5 }, stormNotifyIntervalMs: 1000 });
    const log = record(s);
    s.process('p1', frame(BCAST, B), 0); // learn B (1 token on p1)
    const results: (string | null)[] = [];
    for (let i = 0; i < 8; i++) results.push(snap(s.process('local', frame(BCAST, A), 0)).drop);
    expect(results).toEqual([null, null, null, null, null, 'storm', 'storm', 'storm']);
    // Known unicast is not limited.
    expect(snap(s.process('local', frame(B, A), 0)).drop).toBeNull();
    // Other ports have their own budget.
    expect(snap(s.process('p2', frame(BCAST, C), 0)).drop).toBeNull();
    // 100 ms later one token is back.
    expect(snap(s.process('local', frame(BCAST, A), 100)).drop).toBeNull();
    expect(snap(s.process('local', frame(BCAST, A), 100)).drop).toBe('storm');
    expect(s.counters.drops.storm).toBe(4);
    expect(log.filter((e) => e.name === 'storm-drop')).toEqual([
      { name: 'storm-drop', data: { port: 'local', dropped: 1 } },
    ]);
    for (let i = 0; i < 20; i++) s.process('local', frame(BCAST, A), 1000);
    expect(log.filter((e) => e.name === 'storm-drop')).toEqual([
      { name: 'storm-drop', data: { port: 'local', dropped: 1 } },
      { name: 'storm-drop', data: { port: 'local', dropped: 4 } },
    ]);
  });

  it('keeps DHCP and DHCPv6 from crossing sites when blockDhcp is set', () => {
    const discover = ethernetFrame({
      dst: BCAST,
      src: A,
      etherType: 0x0800,
      payload: ipv4Packet({
        src: '0.0.0.0',
        dst: '255.255.255.255',
        protocol: 17,
        payload: udpDatagram(68, 67, Buffer.alloc(244)),
      }),
    });
    const offer = ethernetFrame({
      dst: BCAST,
      src: B,
      etherType: 0x0800,
      payload: ipv4Packet({
        src: '10.0.0.254',
        dst: '255.255.255.255',
        protocol: 17,
        payload: udpDatagram(67, 68, Buffer.alloc(244)),
      }),
    });
    const solicit = ethernetFrame({
      dst: '33:33:00:01:00:02',
      src: A,
      etherType: 0x86dd,
      payload: ipv6Packet({
        src: 'fe80::a',
        dst: 'ff02::1:2',
        nextHeader: 17,
        payload: udpDatagram(546, 547, Buffer.alloc(20)),
      }),
    });
    const blocking = makeSwitch({ blockDhcp: true });
    expect(snap(blocking.process('local', discover, 0)).drop).toBe('dhcp-blocked');
    expect(snap(blocking.process('p1', offer, 0)).drop).toBe('dhcp-blocked');
    expect(snap(blocking.process('local', solicit, 0)).drop).toBe('dhcp-blocked');
    const open = makeSwitch();
    expect(snap(open.process('local', discover, 0)).toPeers).toEqual(['p1', 'p2']);
    expect(snap(open.process('p1', offer, 0)).toLocal).toBe(true);
    // An admin turns the filter on while the switch runs: the next DISCOVER stays home.
    open.configure({ blockDhcp: true });
    expect(snap(open.process('local', discover, 0)).drop).toBe('dhcp-blocked');
  });

  it('storm control can be changed and turned off while the switch runs', () => {
    const s = makeSwitch();
    s.configure({ storm: { pps: 1, burst: 2 } });
    const flood = (t: number) => snap(s.process('local', frame(BCAST, A), t)).drop;
    expect([flood(0), flood(0), flood(0)]).toEqual([null, null, 'storm']);
    s.configure({ storm: false });
    expect([flood(0), flood(0), flood(0)]).toEqual([null, null, null]);
  });

  it('clamps the MSS of SYNs crossing the switch, in the buffer it returns', () => {
    const s = makeSwitch();
    const syn = ethernetFrame({
      dst: B,
      src: A,
      etherType: 0x0800,
      payload: ipv4Packet({
        src: '10.0.0.10',
        dst: '10.0.0.11',
        protocol: 6,
        payload: tcpSegment({ srcPort: 5000, dstPort: 22, flags: 2, mss: 1460 }),
      }),
    });
    const d = s.process('local', syn, 0);
    expect(parseTcp(d.frame, 34)!.mss).toBe(1240);
    expect(s.counters.mssClamped).toBe(1);
    const off = makeSwitch({ mss: false });
    const syn2 = Buffer.from(syn);
    syn2.writeUInt16BE(1460, 14 + 20 + 22);
    expect(parseTcp(off.process('local', syn2, 0).frame, 34)!.mss).toBe(1460);
  });
});
