import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildNeighbourRequest, NUD, parseNetlinkMessages } from './neighbours.js';

/** An RTM_NEWNEIGH/DELNEIGH as the kernel sends it: header, ndmsg, NDA_DST, NDA_LLADDR. */
function kernelNeighbour(o: {
  type?: number;
  family?: number;
  ifindex: number;
  state: number;
  ip: number[];
  mac?: number[];
  flags?: number;
}): Buffer {
  const attrs: Buffer[] = [];
  const attr = (t: number, v: number[]) => {
    const len = 4 + v.length;
    const b = Buffer.alloc((len + 3) & ~3);
    b.writeUInt16LE(len, 0);
    b.writeUInt16LE(t, 2);
    Buffer.from(v).copy(b, 4);
    attrs.push(b);
  };
  attr(1, o.ip);
  if (o.mac) attr(2, o.mac);
  const nd = Buffer.alloc(12);
  nd[0] = o.family ?? 2;
  nd.writeInt32LE(o.ifindex, 4);
  nd.writeUInt16LE(o.state, 8);
  const body = Buffer.concat([nd, ...attrs]);
  const hdr = Buffer.alloc(16);
  hdr.writeUInt32LE(16 + body.length, 0);
  hdr.writeUInt16LE(o.type ?? 28, 4);
  hdr.writeUInt16LE(o.flags ?? 0, 6);
  return Buffer.concat([hdr, body]);
}

describe('rtnetlink neighbour messages', () => {
  test('a new entry and a deletion in one datagram are read with address, MAC and state', () => {
    const d = Buffer.concat([
      kernelNeighbour({ ifindex: 7, state: NUD.STALE, ip: [10, 50, 0, 5], mac: [2, 0, 0, 0, 0xaa, 1] }),
      kernelNeighbour({ type: 29, ifindex: 7, state: NUD.FAILED, ip: [10, 50, 0, 6] }),
    ]);
    const { messages, malformed } = parseNetlinkMessages(d);
    expect(malformed).toBe(false);
    expect(messages).toEqual([
      {
        type: 'neighbour',
        event: {
          kind: 'new',
          family: 4,
          ifindex: 7,
          ip: '10.50.0.5',
          mac: '02:00:00:00:aa:01',
          state: 'stale',
          dump: false,
        },
      },
      {
        type: 'neighbour',
        event: {
          kind: 'del',
          family: 4,
          ifindex: 7,
          ip: '10.50.0.6',
          mac: null,
          state: 'failed',
          dump: false,
        },
      },
    ]);
  });

  test('IPv6 addresses come out canonical; bridge FDB entries are skipped', () => {
    const v6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    const d = Buffer.concat([
      kernelNeighbour({ family: 10, ifindex: 3, state: NUD.REACHABLE, ip: v6, flags: 2 }),
      kernelNeighbour({ family: 7, ifindex: 3, state: NUD.REACHABLE, ip: [1, 2, 3, 4] }),
    ]);
    const { messages } = parseNetlinkMessages(d);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      event: { ip: 'fd00::5', family: 6, dump: true, state: 'reachable' },
    });
  });

  test('errors and the end of a dump are reported', () => {
    const err = Buffer.alloc(36);
    err.writeUInt32LE(36, 0);
    err.writeUInt16LE(2, 4);
    err.writeInt32LE(-22, 16);
    const done = Buffer.alloc(20);
    done.writeUInt32LE(20, 0);
    done.writeUInt16LE(3, 4);
    expect(parseNetlinkMessages(Buffer.concat([err, done])).messages).toEqual([
      { type: 'error', errno: 22 },
      { type: 'done' },
    ]);
  });

  test('a request we build parses back as the entry it names', () => {
    const probe = buildNeighbourRequest({
      op: 'probe',
      seq: 9,
      ifindex: 4,
      ip: '10.50.0.5',
      mac: '02:00:00:00:AA:01',
    });
    expect(probe.readUInt16LE(4)).toBe(28);
    expect(probe.readUInt32LE(8)).toBe(9);
    expect(parseNetlinkMessages(probe).messages).toEqual([
      {
        type: 'neighbour',
        event: {
          kind: 'new',
          family: 4,
          ifindex: 4,
          ip: '10.50.0.5',
          mac: '02:00:00:00:aa:01',
          state: 'probe',
          dump: false,
        },
      },
    ]);
    expect(() => buildNeighbourRequest({ op: 'delete', seq: 1, ifindex: 4, ip: '10.50.0.256' })).toThrow(
      /IPv4/,
    );
    expect(() =>
      buildNeighbourRequest({ op: 'probe', seq: 1, ifindex: 4, ip: '10.0.0.1', mac: 'zz' }),
    ).toThrow(/MAC/);
  });

  test('any bytes at all: no throw, and a truncated datagram is flagged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseNetlinkMessages(Buffer.from(bytes));
      }),
    );
    const whole = kernelNeighbour({ ifindex: 7, state: NUD.STALE, ip: [10, 50, 0, 5] });
    expect(parseNetlinkMessages(whole.subarray(0, whole.length - 4)).malformed).toBe(true);
  });
});
