import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MeshDns } from './mesh-dns.js';

const nodes = [
  { name: 'site-a', addresses: ['10.99.0.1/24'] },
  { name: 'DB_01', addresses: ['10.99.0.2/24', 'fd7a:115c::2/64'] },
];
const dns = () => new MeshDns('Lab', 'rtcmesh.internal', () => nodes);

function ask(d: MeshDns, name: string, type: 'A' | 'AAAA' | 'MX' = 'A', id = 7) {
  const out = d.answer(
    dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }),
  );
  return out && (dnsPacket.decode(out) as dnsPacket.DecodedPacket & { rcode?: string });
}

describe('MeshDns', () => {
  test('A and AAAA for <node>.<network>.<suffix>, names as DNS labels, case-insensitive', () => {
    const d = dns();
    expect(d.zone).toBe('lab.rtcmesh.internal');
    const a = ask(d, 'site-a.lab.rtcmesh.internal');
    expect(a).toMatchObject({ id: 7, type: 'response', rcode: 'NOERROR' });
    expect(a?.flag_aa).toBe(true);
    expect(a?.answers?.map((x) => [x.type, (x as { data: string }).data])).toEqual([['A', '10.99.0.1']]);
    expect(ask(d, 'DB-01.LAB.rtcmesh.internal.')?.answers?.map((x) => (x as { data: string }).data)).toEqual([
      '10.99.0.2',
    ]);
    expect(
      ask(d, 'db-01.lab.rtcmesh.internal', 'AAAA')?.answers?.map((x) => (x as { data: string }).data),
    ).toEqual(['fd7a:115c::2']);
    // A node without an IPv6 address: no data, not an error.
    expect(ask(d, 'site-a.lab.rtcmesh.internal', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask(d, 'site-a.lab.rtcmesh.internal', 'MX')).toMatchObject({ rcode: 'NOERROR', answers: [] });
  });

  test('unknown names in the zone are NXDOMAIN; names outside it are refused (no recursion)', () => {
    const d = dns();
    expect(ask(d, 'nobody.lab.rtcmesh.internal')?.rcode).toBe('NXDOMAIN');
    expect(ask(d, 'example.com')?.rcode).toBe('REFUSED');
    expect(ask(d, 'site-a.other.rtcmesh.internal')?.rcode).toBe('REFUSED');
    expect(d.counters).toMatchObject({ queries: 3, nxdomain: 1, refused: 2 });
  });

  test('responses, several questions and garbage get no answer and never throw', () => {
    const d = dns();
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'x' }] });
    expect(d.answer(response)).toBeNull();
    const two = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [
        { type: 'A', name: 'a.lab.rtcmesh.internal' },
        { type: 'A', name: 'b.lab.rtcmesh.internal' },
      ],
    });
    expect(d.answer(two)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const out = d.answer(Buffer.from(bytes));
        if (out) expect(() => dnsPacket.decode(out)).not.toThrow();
      }),
    );
  });
});
