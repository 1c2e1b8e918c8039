// Real TAP/TUN devices inside a network namespace this test creates (and always deletes).
// Needs root; outside CI it skips without root, in CI (CI=true) it fails instead.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetDevBusyError, NetDevCommandError, NetDevInvalidArgumentError } from './errors.js';
import type { NetDevice } from './net-device.js';
import { openTap, openTun } from './open-device.js';
import {
  arpReply,
  ethernetFrame,
  ethernetSource,
  parseArpRequest,
  parseUdp4,
  udp4Packet,
} from './testing/frames.js';
import { missingDevicePrerequisite, TestNetns } from './testing/netns.js';
import { TCP_ACK, TCP_FIN, TCP_SYN, tcpChecksumValid, tcpSegment } from './testing/tcp.js';

const missing = missingDevicePrerequisite();

if (missing && process.env.CI) {
  it('device tests can run in CI', () => {
    throw new Error(`netdev integration tests need root and /dev/net/tun in CI: ${missing}`);
  });
}

/** A UDP client in the namespace: sends "ping" to dst:7777 (again each second) and prints the reply. */
function udpClient(dst: string): string {
  return `
    const s = require('dgram').createSocket('udp4');
    const give = setTimeout(() => { console.error('no reply'); process.exit(1); }, 6000);
    const send = () => s.send('ping', 7777, '${dst}');
    const again = setInterval(send, 1000);
    s.on('message', (m, r) => { console.log(m.toString() + ' from ' + r.address + ':' + r.port);
      clearTimeout(give); clearInterval(again); s.close(); });
    s.bind(0, send);`;
}

/** Resolves with the first frame the predicate accepts, or rejects after timeoutMs. */
function nextFrame(dev: NetDevice, accept: (f: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching frame on ${dev.name}`)), timeoutMs);
    dev.onFrames((frames) => {
      const hit = frames.find(accept);
      if (hit) {
        clearTimeout(timer);
        resolve(hit);
      }
    });
  });
}

interface LinkInfo {
  ifname: string;
  mtu: number;
  address?: string;
  master?: string;
  operstate: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number }[];
}

async function linkInfo(ns: TestNetns, dev: string): Promise<LinkInfo | undefined> {
  const all = JSON.parse(await ns.ip(['-j', 'address', 'show'])) as LinkInfo[];
  return all.find((l) => l.ifname === dev);
}

describe.skipIf(missing !== undefined)('TAP/TUN devices in a network namespace', () => {
  let ns: TestNetns;
  const open: NetDevice[] = [];

  beforeAll(async () => {
    ns = await TestNetns.create();
  });

  afterAll(async () => {
    for (const d of open) await d.close().catch(() => undefined);
    await ns?.delete();
  });

  it('TAP: answers the kernel ARP request and a UDP datagram; the namespace gets the reply', async () => {
    const peerMac = '02:bb:00:00:00:02';
    const tap = await openTap({
      netns: ns.name,
      name: 'rmtap0',
      mac: '02:aa:00:00:00:01',
      addresses: ['10.201.0.1/24', 'fd20::1/64'],
    });
    open.push(tap);
    expect(tap).toMatchObject({
      name: 'rmtap0',
      kind: 'tap',
      mtu: 1280,
      mac: '02:aa:00:00:00:01',
      created: true,
    });
    const info = await linkInfo(ns, 'rmtap0');
    expect(info?.mtu).toBe(1280);
    expect(info?.address).toBe('02:aa:00:00:00:01');
    expect(info?.flags).toContain('UP');
    expect(info?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
      expect.arrayContaining(['10.201.0.1/24', 'fd20::1/64']),
    );

    const seenArp: string[] = [];
    tap.onFrames((frames) => {
      for (const f of frames) {
        const arp = parseArpRequest(f);
        if (arp?.targetIp === '10.201.0.2') {
          seenArp.push(`${arp.senderIp} ${arp.senderMac}`);
          tap.write(arpReply(arp, peerMac));
          continue;
        }
        if (f.readUInt16BE(12) !== 0x0800) continue;
        const udp = parseUdp4(f.subarray(14));
        if (udp?.dst !== '10.201.0.2' || udp.dstPort !== 7777) continue;
        const reply = udp4Packet({
          src: udp.dst,
          dst: udp.src,
          srcPort: udp.dstPort,
          dstPort: udp.srcPort,
          payload: Buffer.from('pong'),
        });
        expect(tap.write(ethernetFrame(ethernetSource(f), peerMac, 0x0800, reply))).toBe(true);
      }
    });
    const out = await ns.node(udpClient('10.201.0.2'));
    expect(out.trim()).toBe('pong from 10.201.0.2:7777');
    expect(seenArp[0]).toBe('10.201.0.1 02:aa:00:00:00:01');
    expect(tap.stats().framesRead).toBeGreaterThanOrEqual(2);
    expect(tap.stats().framesWritten).toBeGreaterThanOrEqual(2);

    await tap.close();
    expect(await linkInfo(ns, 'rmtap0')).toBeUndefined();
  });

  it('TUN: reads the packet routed into it and writes the reply that the sender receives', async () => {
    const tun = await openTun({
      netns: ns.name,
      name: 'rmtun0',
      addresses: ['10.202.0.1/32'],
      routes: ['10.202.1.0/24', { cidr: 'fd21::/64', metric: 7 }],
    });
    open.push(tun);
    expect(tun.mac).toBeUndefined();
    expect(await ns.ip(['route', 'show', '10.202.1.0/24'])).toContain('dev rmtun0');
    expect(await ns.ip(['-6', 'route', 'show', 'fd21::/64'])).toMatch(/dev rmtun0 .*metric 7/);
    await tun.removeRoute('fd21::/64');
    expect(await ns.ip(['-6', 'route', 'show', 'fd21::/64'])).toBe('');
    tun.onFrames((packets) => {
      for (const p of packets) {
        const udp = parseUdp4(p);
        if (udp?.dst !== '10.202.1.5') continue;
        tun.write(
          udp4Packet({
            src: udp.dst,
            dst: udp.src,
            srcPort: 7777,
            dstPort: udp.srcPort,
            payload: Buffer.from('pong'),
          }),
        );
      }
    });
    const out = await ns.node(udpClient('10.202.1.5'));
    expect(out.trim()).toBe('pong from 10.202.1.5:7777');
    await tun.close();
    expect(await linkInfo(ns, 'rmtun0')).toBeUndefined();
  });

  it('pause() holds frames in the kernel; resume() delivers them', async () => {
    const tun = await openTun({
      netns: ns.name,
      name: 'rmtun1',
      addresses: ['10.203.0.1/32'],
      routes: ['10.203.1.0/24'],
    });
    open.push(tun);
    tun.onFrames(() => undefined);
    tun.pause();
    await ns.node(
      `const s=require('dgram').createSocket('udp4');s.send('held',9,'10.203.1.9',()=>s.close());`,
    );
    expect(tun.stats().framesRead).toBe(0);
    const held = nextFrame(tun, (p) => parseUdp4(p)?.payload.toString() === 'held');
    tun.resume();
    expect(parseUdp4(await held)?.dst).toBe('10.203.1.9');
    await tun.close();
  });

  it('idle readers hold no thread-pool thread: fs still works with more readers than pool threads', async () => {
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const devices: NetDevice[] = [];
    for (let i = 0; i <= poolSize; i++) {
      const d = await openTun({ netns: ns.name, name: `rmidle${i}`, up: false });
      open.push(d);
      devices.push(d);
      d.onFrames(() => undefined); // reading, with nothing to read (link down)
    }
    const statDone = stat('/').then(() => 'done');
    const timeout = new Promise((r) => setTimeout(() => r('thread pool starved'), 3000));
    expect(await Promise.race([statDone, timeout])).toBe('done');
    for (const d of devices) await d.close();
  });

  it('TUN: a burst of TCP segments reaches a local socket as one merged write, acknowledged once', async () => {
    const tun = await openTun({ netns: ns.name, name: 'rmtun4', addresses: ['10.203.0.1/24'] });
    open.push(tun);
    const SEGMENTS = 20;
    const SIZE = 1200;
    const data = Buffer.alloc(SEGMENTS * SIZE);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    // The server prints how much it got and its hash, then exits.
    const server = ns.node(
      `const h = require('crypto').createHash('sha256'); let n = 0;
       const give = setTimeout(() => { console.error('timeout with ' + n); process.exit(1); }, 8000);
       require('net').createServer((s) => s.on('data', (d) => { n += d.length; h.update(d);
         if (n >= ${data.length}) { clearTimeout(give); console.log(n + ' ' + h.digest('hex')); process.exit(0); } }))
         .listen(5001, '10.203.0.1');`,
    );
    const me = Uint8Array.of(10, 203, 0, 2);
    const srv = Uint8Array.of(10, 203, 0, 1);
    const base = { src: me, dst: srv, srcPort: 41000, dstPort: 5001 };
    const ISN = 1_000_000;
    const acks: number[] = [];
    let serverIsn: number | undefined;
    const synAcked = new Promise<void>((resolve) => {
      tun.onFrames((packets) => {
        for (const p of packets) {
          if (p[9] !== 6 || p.readUInt16BE(22) !== 41000) continue;
          const flags = p[33] ?? 0;
          if (flags & TCP_SYN && serverIsn === undefined) {
            serverIsn = p.readUInt32BE(24);
            resolve();
          } else if (flags === TCP_ACK && p.length === 40) {
            acks.push(p.readUInt32BE(28));
          }
        }
      });
    });
    // The listener may not be up yet: SYN again until the SYN-ACK comes (the wait is bounded below).
    const mss = Uint8Array.of(2, 4, 0x04, 0xd8); // MSS 1240
    const syn = () => tun.write(tcpSegment({ ...base, seq: ISN, ack: 0, flags: TCP_SYN, options: mss }));
    syn();
    const again = setInterval(syn, 200);
    try {
      await Promise.race([
        synAcked,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no SYN-ACK from the server')), 5000)),
      ]);
    } finally {
      clearInterval(again);
    }
    const ack = (serverIsn! + 1) >>> 0;
    tun.write(tcpSegment({ ...base, seq: ISN + 1, ack }));
    await new Promise((r) => setImmediate(r));
    const before = tun.stats();
    // All segments in one loop turn, as they come off a busy peer link.
    for (let i = 0; i < SEGMENTS; i++)
      tun.write(
        tcpSegment({
          ...base,
          seq: ISN + 1 + i * SIZE,
          ack,
          payload: data.subarray(i * SIZE, (i + 1) * SIZE),
        }),
      );
    const [n, hash] = (await server).trim().split(' ');
    expect(Number(n)).toBe(data.length);
    expect(hash).toBe(createHash('sha256').update(data).digest('hex'));
    const after = tun.stats();
    expect(after.framesCoalesced - before.framesCoalesced).toBe(SEGMENTS);
    expect(after.writes - before.writes).toBe(1);
    // The receiver acknowledged the merged write as a whole: one ACK, not one per segment or two.
    const end = (ISN + 1 + data.length) >>> 0;
    const deadline = Date.now() + 3000;
    while (!acks.includes(end) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(acks.filter((a) => a !== ISN + 1)).toEqual([end]);
  });

  it.each([
    ['with offloads', true],
    ['without offloads (--no-offload)', false],
  ] as const)(
    'TUN %s: a TCP stream from the namespace arrives whole, in MSS-sized packets with valid checksums',
    async (_name, offload) => {
      const tun = await openTun({
        netns: ns.name,
        name: offload ? 'rmtun7' : 'rmtun8',
        addresses: [offload ? '10.207.0.1/24' : '10.208.0.1/24'],
        offload,
      });
      open.push(tun);
      const net = offload ? 207 : 208;
      expect(tun.offloadActive).toBe(offload);
      if (offload) expect(tun.offloads).toMatchObject({ checksum: true, tso4: true, tso6: true });
      const BYTES = 512 * 1024;
      // The client in the namespace connects to a "remote" address routed into the TUN and sends
      // BYTES; this test is the remote TCP end, acknowledging everything in order.
      const client = ns.node(
        `const data = Buffer.alloc(${BYTES}); for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 9)) & 0xff;
       const h = require('crypto').createHash('sha256').update(data).digest('hex');
       const give = setTimeout(() => { console.error('timeout'); process.exit(1); }, 15000);
       const s = require('net').connect(5002, '10.${net}.0.2', () => s.end(data));
       s.on('close', () => { clearTimeout(give); console.log(h); process.exit(0); });
       s.on('error', (e) => { console.error(e.message); process.exit(1); });`,
      );
      const me = Uint8Array.of(10, net, 0, 2);
      const peer = Uint8Array.of(10, net, 0, 1);
      const ISN = 5_000_000;
      let expected: number | undefined;
      let clientPort = 0;
      let biggest = 0;
      let badChecksums = 0;
      const chunks: Buffer[] = [];
      const mss = Uint8Array.of(2, 4, 0x04, 0xd8); // MSS 1240
      const reply = (flags: number, options?: Uint8Array) =>
        tun.write(
          tcpSegment({
            src: me,
            dst: peer,
            srcPort: 5002,
            dstPort: clientPort,
            seq: flags & TCP_SYN ? ISN : ISN + 1,
            ack: expected!,
            flags,
            window: 65535,
            ...(options ? { options } : {}),
          }),
        );
      tun.onFrames((packets) => {
        let ack = false;
        for (const p of packets) {
          if (p[0] !== 0x45 || p[9] !== 6 || p.readUInt16BE(22) !== 5002) continue;
          if (!tcpChecksumValid(p)) badChecksums++;
          biggest = Math.max(biggest, p.length);
          const thl = (p[32]! >> 4) * 4;
          const flags = p[33]!;
          const seq = p.readUInt32BE(24);
          if (flags & TCP_SYN) {
            clientPort = p.readUInt16BE(20);
            expected = (seq + 1) >>> 0;
            reply(TCP_SYN | TCP_ACK, mss);
            continue;
          }
          const data = p.subarray(20 + thl, p.readUInt16BE(2));
          if (expected !== undefined && seq === expected && data.length > 0) {
            chunks.push(Buffer.from(data));
            expected = (expected + data.length) >>> 0;
            ack = true;
          }
          if (flags & TCP_FIN && expected !== undefined && seq + data.length === expected) {
            expected = (expected + 1) >>> 0;
            reply(TCP_ACK | TCP_FIN);
          }
        }
        if (ack) reply(TCP_ACK);
      });
      const hash = (await client).trim();
      expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(hash);
      expect(badChecksums).toBe(0);
      expect(biggest).toBeLessThanOrEqual(1280); // segments, never a 64 KiB GSO packet
      const s = tun.stats();
      expect(s.offloadInvalid).toBe(0);
      if (offload) {
        // The kernel handed over packets of many segments at once: fewer reads than packets.
        expect(s.offloadSuperPackets).toBeGreaterThan(0);
        expect(s.offloadSegments).toBeGreaterThan(s.offloadSuperPackets);
      } else {
        expect(s.offloadSuperPackets).toBe(0);
      }
    },
  );

  it('the start-up GSO write self-test passes on this kernel (TUN and TAP), and the kernel drops its packet', async () => {
    const tun = await openTun({ netns: ns.name, name: 'rmtun9', addresses: ['10.209.0.1/24'] });
    const tap = await openTap({ netns: ns.name, name: 'rmtap9', addresses: ['10.210.0.1/24'] });
    open.push(tun, tap);
    const tcpInSegs = async () => {
      const text = await ns.node(
        "process.stdout.write(require('fs').readFileSync('/proc/net/snmp', 'utf8'))",
      );
      const [names, values] = text.split('\n').filter((l) => l.startsWith('Tcp:'));
      return Number(values!.split(' ')[names!.split(' ').indexOf('InSegs')]);
    };
    const before = await tcpInSegs();
    expect(tun.checkGsoWrites()).toBe('ok');
    expect(tap.checkGsoWrites()).toBe('ok');
    expect([tun.coalescing, tap.coalescing]).toEqual([true, true]);
    // Dropped as a martian: nothing was delivered to TCP (no segment counted, so no RST either).
    expect(await tcpInSegs()).toBe(before);
  });

  it('TUN without coalescing: every frame is its own write', async () => {
    const tun = await openTun({
      netns: ns.name,
      name: 'rmtun5',
      addresses: ['10.204.0.1/24'],
      coalesce: false,
    });
    open.push(tun);
    const seg = (i: number) =>
      tcpSegment({
        src: Uint8Array.of(10, 204, 0, 2),
        dst: Uint8Array.of(10, 204, 0, 1),
        srcPort: 41000,
        dstPort: 5009,
        seq: 1 + i * 100,
        ack: 1,
        payload: Buffer.alloc(100),
      });
    for (let i = 0; i < 5; i++) expect(tun.write(seg(i))).toBe(true);
    expect(tun.stats()).toMatchObject({ writes: 5, framesWritten: 5, framesCoalesced: 0 });
  });

  it('refuses frames the kernel could not take, counting them', async () => {
    const tun = await openTun({ netns: ns.name, name: 'rmtun2' });
    const tap = await openTap({ netns: ns.name, name: 'rmtap2' });
    open.push(tun, tap);
    expect(tun.write(Buffer.from([0x10, 0, 0, 0]))).toBe(false); // not IPv4/IPv6
    expect(tap.write(Buffer.alloc(10))).toBe(false); // shorter than an Ethernet header
    expect(tun.stats().writeInvalid).toBe(1);
    expect(tap.stats().writeInvalid).toBe(1);
    await tun.close();
    expect(
      tun.write(
        udp4Packet({ src: '1.1.1.1', dst: '2.2.2.2', srcPort: 1, dstPort: 2, payload: Buffer.alloc(0) }),
      ),
    ).toBe(false);
    await tap.close();
  });

  it('attaches to an existing persistent TAP and undoes only its own changes on close', async () => {
    await ns.ip(['tuntap', 'add', 'dev', 'rmtap3', 'mode', 'tap']);
    await ns.ip(['link', 'add', 'rmbr0', 'type', 'bridge']);
    const tap = await openTap({
      netns: ns.name,
      name: 'rmtap3',
      addresses: ['10.204.0.1/24'],
      bridge: 'rmbr0',
    });
    open.push(tap);
    expect(tap.created).toBe(false);
    expect((await linkInfo(ns, 'rmtap3'))?.master).toBe('rmbr0');
    await tap.close();
    const after = await linkInfo(ns, 'rmtap3');
    expect(after).toBeDefined();
    expect(after?.master).toBeUndefined();
    expect(after?.addr_info.map((a) => a.local)).not.toContain('10.204.0.1');
  });

  it('reports a busy device, a device of the wrong kind, and a failing ip command', async () => {
    const tap = await openTap({ netns: ns.name, name: 'rmtap4' });
    open.push(tap);
    await expect(openTap({ netns: ns.name, name: 'rmtap4' })).rejects.toBeInstanceOf(NetDevBusyError);
    await ns.ip(['tuntap', 'add', 'dev', 'rmtap5', 'mode', 'tap']);
    await expect(openTun({ netns: ns.name, name: 'rmtap5' })).rejects.toBeInstanceOf(
      NetDevInvalidArgumentError,
    );
    const err = await openTap({ netns: ns.name, name: 'rmtap6', bridge: 'nosuchbr' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetDevCommandError);
    expect((err as NetDevCommandError).command).toEqual(
      expect.arrayContaining(['ip', '-n', ns.name, 'link', 'set', 'dev', 'rmtap6', 'master', 'nosuchbr']),
    );
    expect((err as NetDevCommandError).stderr).toMatch(/nosuchbr|Cannot find device|does not exist/i);
    expect(await linkInfo(ns, 'rmtap6')).toBeUndefined(); // the half-made device is gone
    await expect(openTap({ netns: 'rtcmesh-no-such-ns', name: 'x' })).rejects.toBeInstanceOf(
      NetDevInvalidArgumentError,
    );
    await tap.close();
  });
});
