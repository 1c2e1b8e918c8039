import { describe, expect, it } from 'vitest';
import { icmpEcho, ipv4Packet, ipv6Packet, tcpSegment, udpDatagram } from '../builders/frames.js';
import { internetChecksum, verifyTransport6 } from '../checksum.js';
import { parseTcp } from '../parse/transport.js';
import { type L3Decision, L3Router, type L3RouterOptions } from './l3-router.js';

function router(opts: L3RouterOptions = {}): L3Router {
  const r = new L3Router(opts);
  r.addPeer('p1');
  r.addPeer('p2');
  r.routes.upsert({ prefix: '100.64.0.1/32', owner: 'local', seq: 0, kind: 'node' });
  r.routes.upsert({ prefix: '100.64.0.2/32', owner: 'p1', seq: 0, kind: 'node' });
  r.routes.upsert({ prefix: '10.1.2.0/24', owner: 'p1', seq: 0, kind: 'subnet' });
  r.routes.upsert({ prefix: '10.1.2.9/32', owner: 'p2', seq: 1, kind: 'host' });
  r.routes.upsert({ prefix: '192.168.7.0/24', owner: 'local', seq: 0, kind: 'subnet' });
  r.routes.upsert({ prefix: 'fd7a::1/128', owner: 'local', seq: 0, kind: 'node' });
  r.routes.upsert({ prefix: 'fd7a::2/128', owner: 'p1', seq: 0, kind: 'node' });
  return r;
}

function udp4(src: string, dst: string, ttl = 64): Buffer {
  return ipv4Packet({ src, dst, protocol: 17, payload: udpDatagram(1000, 2000, Buffer.from('data')), ttl });
}
function udp6(src: string, dst: string): Buffer {
  return ipv6Packet({ src, dst, nextHeader: 17, payload: udpDatagram(1000, 2000, Buffer.from('data')) });
}
function snap(d: L3Decision) {
  return { action: d.action, peer: d.peer, drop: d.drop, inject: d.inject };
}

describe('L3Router: a workload that moved between two sites of one prefix', () => {
  /** This node is the old site (A): it routes 10.50.0.0/24; the host 10.50.0.5 moved to p2 (B). */
  function oldSite(): L3Router {
    const r = new L3Router();
    for (const p of ['p1', 'p2', 'p3']) r.addPeer(p);
    r.routes.upsert({ prefix: '100.64.0.1/32', owner: 'local', seq: 0, kind: 'node' });
    r.routes.upsert({ prefix: '100.64.0.3/32', owner: 'p1', seq: 0, kind: 'node' }); // C, a sender
    r.routes.upsert({ prefix: '10.50.0.0/24', owner: 'local', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.50.0.0/24', owner: 'p2', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.50.0.5/32', owner: 'p2', seq: 2, kind: 'host' });
    r.routes.upsert({ prefix: '10.60.0.5/32', owner: 'p2', seq: 2, kind: 'host' });
    return r;
  }

  it('the old site relays what still reaches it to the new site once, TTL decremented, checksum right', () => {
    const r = oldSite();
    const d = r.process('p1', udp4('100.64.0.3', '10.50.0.5', 64), 0);
    expect(snap(d)).toMatchObject({ action: 'peer', peer: 'p2' });
    expect(d.packet[8]).toBe(63);
    expect(internetChecksum(d.packet, 0, 20)).toBe(0);
    expect(r.counters.relayed).toBe(1);
    // Never back to where it came from, never a second relay, never for a prefix this node does not
    // route, never when it would expire.
    expect(snap(r.process('p2', udp4('10.50.0.7', '10.50.0.5'), 0)).drop).toBe('not-local');
    expect(snap(r.process('p1', udp4('100.64.0.3', '10.60.0.5'), 0)).drop).toBe('not-local');
    expect(snap(r.process('p1', udp4('100.64.0.3', '10.50.0.5', 1), 0)).drop).toBe('ttl-expired');
    r.setPeerLink('p2', false, 0);
    expect(snap(r.process('p1', udp4('100.64.0.3', '10.50.0.5'), 0)).drop).toBe('not-local');
  });

  it('the new site takes the relayed packet as its sender’s, and only from a site of the prefix', () => {
    const r = new L3Router();
    for (const p of ['a', 'c', 'x']) r.addPeer(p);
    r.routes.upsert({ prefix: '100.64.0.3/32', owner: 'c', seq: 0, kind: 'node' });
    r.routes.upsert({ prefix: '10.50.0.0/24', owner: 'local', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.50.0.0/24', owner: 'a', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.50.0.5/32', owner: 'local', seq: 2, kind: 'host' });
    const d = r.process('a', udp4('100.64.0.3', '10.50.0.5'), 0);
    expect(snap(d).action).toBe('local');
    expect(d.origin).toBe('c');
    // Another node cannot pass off a packet as C's: it does not route the host's prefix.
    expect(snap(r.process('x', udp4('100.64.0.3', '10.50.0.5'), 0)).drop).toBe('spoofed-source');
    // Nor can a site of the prefix for anything but a host route of ours.
    expect(snap(r.process('a', udp4('100.64.0.3', '10.50.0.7'), 0)).drop).toBe('spoofed-source');
  });
});

describe('L3Router', () => {
  it('forwards from the device to the peer owning the best route, host routes first', () => {
    const r = router();
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.2'), 0))).toMatchObject({
      action: 'peer',
      peer: 'p1',
    });
    expect(snap(r.process('local', udp4('100.64.0.1', '10.1.2.8'), 0))).toMatchObject({
      action: 'peer',
      peer: 'p1',
    });
    expect(snap(r.process('local', udp4('100.64.0.1', '10.1.2.9'), 0))).toMatchObject({
      action: 'peer',
      peer: 'p2',
    });
    expect(snap(r.process('local', udp6('fd7a::1', 'fd7a::2'), 0))).toMatchObject({
      action: 'peer',
      peer: 'p1',
    });
    expect(r.counters.toPeer).toBe(4);
  });

  it('delivers packets from a peer to local addresses and local subnets only (no transit)', () => {
    const r = router();
    expect(snap(r.process('p1', udp4('100.64.0.2', '100.64.0.1'), 0)).action).toBe('local');
    expect(snap(r.process('p1', udp4('10.1.2.8', '192.168.7.5'), 0)).action).toBe('local'); // we are a subnet router
    expect(snap(r.process('p1', udp4('100.64.0.2', '10.1.2.9'), 0))).toMatchObject({
      action: 'drop',
      drop: 'not-local',
    });
    expect(snap(r.process('p1', udp4('100.64.0.2', '8.8.8.8'), 0))).toMatchObject({
      action: 'drop',
      drop: 'no-route',
      inject: null,
    });
    expect(snap(r.process('p1', udp6('fd7a::2', 'fd7a::1'), 0)).action).toBe('local');
  });

  it('drops packets from a peer with a source none of its routes covers', () => {
    const r = router();
    expect(snap(r.process('p2', udp4('10.1.2.8', '100.64.0.1'), 0)).drop).toBe('spoofed-source'); // p1's LAN
    expect(snap(r.process('p1', udp4('100.64.0.1', '100.64.0.1'), 0)).drop).toBe('spoofed-source');
    expect(snap(r.process('p2', udp4('100.64.0.2', '100.64.0.1'), 0)).drop).toBe('spoofed-source'); // p1's node
    expect(snap(router({ checkSource: false }).process('p2', udp4('10.1.2.8', '100.64.0.1'), 0)).action).toBe(
      'local',
    );
  });

  it('takes a source any route of the sender covers, not only where the best route points', () => {
    // p1 routes 10.1.2.0/24; the workload 10.1.2.9 moved to p2 (its /32). p1 still sends from the
    // prefix it is approved for (its other hosts, or before it heard of the move), and p2 answers from
    // the moved host before a stale member has its /32.
    const r = router();
    expect(snap(r.process('p1', udp4('10.1.2.9', '100.64.0.1'), 0)).action).toBe('local');
    r.routes.remove('10.1.2.9/32', 'p2');
    r.routes.upsert({ prefix: '10.1.2.0/24', owner: 'p2', seq: 0, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.1.2.9/32', owner: 'p1', seq: 1, kind: 'host' });
    expect(snap(r.process('p2', udp4('10.1.2.9', '100.64.0.1'), 0)).action).toBe('local');
    // Our own node address never: it is not a prefix anyone else routes.
    expect(snap(r.process('p2', udp4('100.64.0.1', '192.168.7.1'), 0)).drop).toBe('spoofed-source');
  });

  it('drops loops, multicast, TTL 0, malformed, unknown ports and routes to absent peers', () => {
    const r = router();
    expect(snap(r.process('local', udp4('100.64.0.1', '192.168.7.5'), 0)).drop).toBe('loop');
    expect(snap(r.process('local', udp4('100.64.0.1', '224.0.0.251'), 0)).drop).toBe('multicast');
    expect(snap(r.process('local', udp6('fd7a::1', 'ff02::fb'), 0)).drop).toBe('multicast');
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.2', 0), 0)).drop).toBe('ttl-expired');
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.2', 1), 0)).action).toBe('peer'); // TTL not decremented
    expect(snap(r.process('local', Buffer.from('450000ff', 'hex'), 0)).drop).toBe('malformed');
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.2').subarray(0, 25), 0)).drop).toBe(
      'malformed',
    );
    expect(snap(r.process('p7', udp4('100.64.0.2', '100.64.0.1'), 0)).drop).toBe('unknown-port');
    r.routes.upsert({ prefix: '100.64.0.9/32', owner: 'p9', seq: 0, kind: 'node' });
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.9'), 0)).drop).toBe('peer-down');
    r.removePeer('p1');
    expect(snap(r.process('local', udp4('100.64.0.1', '100.64.0.2'), 0)).drop).toBe('no-route');
  });

  it('answers no-route with a correct ICMP host unreachable, rate-limited, never about ICMP errors', () => {
    const r = router({ icmpSource4: '100.64.0.1', icmpRate: { pps: 1, burst: 2 } });
    const p = udp4('100.64.0.1', '8.8.8.8');
    const d = snap(r.process('local', p, 0));
    expect(d.drop).toBe('no-route');
    const icmp = d.inject!;
    expect(icmp.length).toBe(28 + p.length);
    expect(internetChecksum(icmp, 0, 20)).toBe(0); // header checksum verifies
    expect(internetChecksum(icmp, 20, icmp.length)).toBe(0); // ICMP checksum verifies
    expect(icmp.subarray(12, 16).toString('hex')).toBe('08080808'); // from the unreachable address
    expect(icmp.subarray(16, 20).toString('hex')).toBe('64400001'); // to the sender
    expect([icmp[9], icmp[20], icmp[21]]).toEqual([1, 3, 1]); // ICMP, dest unreachable, host unreachable
    expect(icmp.subarray(28).equals(p)).toBe(true); // quotes the packet
    // About an echo request: yes. About an ICMP error: never.
    const echo = ipv4Packet({ src: '100.64.0.1', dst: '8.8.8.8', protocol: 1, payload: icmpEcho(1, 1) });
    expect(snap(r.process('local', echo, 0)).inject).not.toBeNull();
    const err = ipv4Packet({
      src: '100.64.0.1',
      dst: '8.8.8.8',
      protocol: 1,
      payload: d.inject!.subarray(20),
    });
    expect(snap(r.process('local', err, 5000)).inject).toBeNull();
    // Burst 2 spent at t=0: the third at t=0 is rate-limited.
    expect(snap(r.process('local', p, 0)).inject).toBeNull();
    expect(r.counters.icmpRateLimited).toBe(1);
    expect(snap(r.process('local', p, 1000)).inject).not.toBeNull();
  });

  it('answers IPv6 no-route with ICMPv6 no route to destination with a valid checksum', () => {
    const r = router({ icmpSource6: 'fd7a::1' });
    const p = udp6('fd7a::1', '2001:db8::1');
    const icmp = snap(r.process('local', p, 0)).inject!;
    expect(icmp.readUInt16BE(4)).toBe(8 + p.length);
    expect([icmp[6], icmp[40], icmp[41]]).toEqual([58, 1, 0]);
    expect(verifyTransport6(icmp, 0, 40, icmp.length - 40, 58)).toBe(true);
    expect(icmp.subarray(48).equals(p)).toBe(true);
    expect(snap(router().process('local', p, 0)).inject).toBeNull(); // no source address configured
  });

  it('clamps the MSS of forwarded SYNs (IPv4 and IPv6)', () => {
    const r = router();
    const syn = ipv4Packet({
      src: '100.64.0.1',
      dst: '100.64.0.2',
      protocol: 6,
      payload: tcpSegment({ srcPort: 1, dstPort: 22, flags: 2, mss: 1460 }),
    });
    expect(parseTcp(r.process('local', syn, 0).packet, 20)!.mss).toBe(1240);
    const syn6 = ipv6Packet({
      src: 'fd7a::2',
      dst: 'fd7a::1',
      nextHeader: 6,
      payload: tcpSegment({ srcPort: 22, dstPort: 1, flags: 0x12, mss: 1440 }),
    });
    const out = r.process('p1', syn6, 0).packet;
    expect(parseTcp(out, 40)!.mss).toBe(1220);
    expect(verifyTransport6(out, 0, 40, out.length - 40, 6)).toBe(true);
    expect(r.counters.mssClamped).toBe(2);
  });
});

describe('L3Router link states', () => {
  it('a packet routed to a peer whose link is down gets an ICMP host unreachable back', () => {
    const r = router({ icmpSource4: '100.64.0.1', icmpSource6: 'fd7a::1' });
    r.setPeerLink('p1', false, 0);
    const d = r.process('local', udp4('100.64.0.1', '100.64.0.2'), 0);
    expect(d.drop).toBe('peer-down');
    expect([d.inject?.[9], d.inject?.[20], d.inject?.[21]]).toEqual([1, 3, 1]);
    const d6 = r.process('local', udp6('fd7a::1', 'fd7a::2'), 0);
    expect(d6.drop).toBe('peer-down');
    expect([d6.inject?.[6], d6.inject?.[40]]).toEqual([58, 1]); // ICMPv6 destination unreachable
    r.setPeerLink('p1', true, 0);
    expect(r.process('local', udp4('100.64.0.1', '100.64.0.2'), 0).action).toBe('peer');
  });

  it('HA subnet routers: a stable primary, fail-over at once, fail-back only after the hold-down', () => {
    const r = new L3Router({ failbackHoldMs: 10_000 });
    for (const p of ['p1', 'p2']) {
      r.addPeer(p);
      r.setPeerLink(p, true, 0);
    }
    // p2 advertised later (higher seq): the primary is still the stable choice, p1.
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p1', seq: 100, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p2', seq: 200, kind: 'subnet' });
    const to = () => r.process('local', udp4('100.64.0.1', '10.1.0.5'), 0).peer;
    expect(to()).toBe('p1');
    r.setPeerLink('p1', false, 1000);
    expect(to()).toBe('p2');
    // p1 is back: p2 keeps the prefix through the hold-down (no flap on a link that bounces)...
    r.setPeerLink('p1', true, 2000);
    r.sweep(11_999);
    expect(to()).toBe('p2');
    // ...and p1 takes it back once it has stayed up.
    r.sweep(12_000);
    expect(to()).toBe('p1');
    // Both down: the route still points somewhere, and the sender hears it is unreachable.
    r.setPeerLink('p1', false, 13_000);
    r.setPeerLink('p2', false, 13_000);
    expect(r.process('local', udp4('100.64.0.1', '10.1.0.5'), 0).drop).toBe('peer-down');
  });

  it('links coming up for the first time do not hold each other down', () => {
    const r = new L3Router({ failbackHoldMs: 10_000 });
    for (const p of ['p1', 'p2']) r.addPeer(p);
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p1', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p2', seq: 1, kind: 'subnet' });
    // Known before their links are up (the agent's start), then up one after the other.
    r.setPeerLink('p1', false, 0);
    r.setPeerLink('p2', false, 0);
    r.setPeerLink('p2', true, 100);
    r.setPeerLink('p1', true, 200);
    const to = () => r.process('local', udp4('100.64.0.1', '10.1.0.5'), 0).peer;
    expect(to()).toBe('p1');
    // p1 fails within the first seconds and comes back: p2, up all along, keeps the prefix.
    r.setPeerLink('p1', false, 3000);
    r.setPeerLink('p1', true, 4000);
    expect(to()).toBe('p2');
    r.sweep(14_000);
    expect(to()).toBe('p1');
  });

  it('a standby still settling keeps the prefix when the primary comes back within its hold-down', () => {
    // The lab's intermittent failure: p2's link bounced at start, p1 (the stable choice) died and came
    // back while p2 was still settling. Both settling must not hand the prefix back at once.
    const r = new L3Router({ failbackHoldMs: 10_000 });
    for (const p of ['p1', 'p2']) {
      r.addPeer(p);
      r.setPeerLink(p, true, 0);
    }
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p1', seq: 1, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.1.0.0/24', owner: 'p2', seq: 1, kind: 'subnet' });
    const to = () => r.process('local', udp4('100.64.0.1', '10.1.0.5'), 0).peer;
    r.setPeerLink('p2', false, 500);
    r.setPeerLink('p2', true, 600); // settling until 10 600
    expect(to()).toBe('p1');
    r.setPeerLink('p1', false, 2000);
    expect(to()).toBe('p2');
    r.setPeerLink('p1', true, 3000); // settling until 13 000
    expect(to()).toBe('p2');
    r.sweep(10_600); // p2 settled, p1 not yet
    expect(to()).toBe('p2');
    r.sweep(12_999);
    expect(to()).toBe('p2');
    r.sweep(13_000);
    expect(to()).toBe('p1');
  });

  it('a workload host route still follows the highest seq among live owners', () => {
    const r = new L3Router();
    for (const p of ['p1', 'p2']) r.addPeer(p);
    r.routes.upsert({ prefix: '10.1.0.9/32', owner: 'p1', seq: 1, kind: 'host' });
    r.routes.upsert({ prefix: '10.1.0.9/32', owner: 'p2', seq: 2, kind: 'host' });
    expect(r.process('local', udp4('100.64.0.1', '10.1.0.9'), 0).peer).toBe('p2');
  });
});
