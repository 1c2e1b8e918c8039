import { describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.js';

describe('RouteTable', () => {
  it('finds the longest prefix for IPv4, with a host route overriding its old site subnet', () => {
    const t = new RouteTable();
    t.upsert({ prefix: '0.0.0.0/0', owner: 'gw', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: '10.1.0.0/16', owner: 'siteA', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: '10.1.2.0/24', owner: 'siteB', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: '100.64.0.7/32', owner: 'local', seq: 0, kind: 'node' });
    expect(t.lookup('10.1.2.9')?.owner).toBe('siteB');
    expect(t.lookup('10.1.3.9')?.owner).toBe('siteA');
    expect(t.lookup('8.8.8.8')?.owner).toBe('gw');
    expect(t.lookup('100.64.0.7')?.owner).toBe('local');
    // The workload 10.1.2.9 moved from site B to site C: C announces a /32, which wins by length.
    t.upsert({ prefix: '10.1.2.9/32', owner: 'siteC', seq: 1, kind: 'host' });
    expect(t.lookup('10.1.2.9')).toEqual({ prefix: '10.1.2.9/32', owner: 'siteC', seq: 1, kind: 'host' });
    expect(t.lookup('10.1.2.10')?.owner).toBe('siteB');
    // Withdrawn: back to the /24.
    expect(t.remove('10.1.2.9/32', 'siteC')).toBe(true);
    expect(t.lookup('10.1.2.9')?.owner).toBe('siteB');
    t.remove('0.0.0.0/0', 'gw');
    expect(t.lookup('8.8.8.8')).toBeUndefined();
  });

  it('between equal prefixes, the higher seq wins regardless of arrival order', () => {
    const t = new RouteTable();
    t.upsert({ prefix: '10.1.2.9/32', owner: 'siteC', seq: 2, kind: 'host' });
    t.upsert({ prefix: '10.1.2.9/32', owner: 'siteB', seq: 1, kind: 'host' });
    expect(t.lookup('10.1.2.9')?.owner).toBe('siteC');
    t.upsert({ prefix: '10.1.2.9/32', owner: 'siteB', seq: 3, kind: 'host' }); // moved back
    expect(t.lookup('10.1.2.9')?.owner).toBe('siteB');
    expect(t.size).toBe(2);
    // Tie: 'local' first, then the smallest owner id.
    t.upsert({ prefix: '10.9.0.0/16', owner: 'zeta', seq: 1, kind: 'subnet' });
    t.upsert({ prefix: '10.9.0.0/16', owner: 'alpha', seq: 1, kind: 'subnet' });
    expect(t.lookup('10.9.1.1')?.owner).toBe('alpha');
    t.upsert({ prefix: '10.9.0.0/16', owner: 'local', seq: 1, kind: 'subnet' });
    expect(t.lookup('10.9.1.1')?.owner).toBe('local');
  });

  it('does IPv6 longest-prefix match', () => {
    const t = new RouteTable();
    t.upsert({ prefix: 'fd7a::/48', owner: 'siteA', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: 'fd7a:0:0:1::/64', owner: 'siteB', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: 'fd7a:0:0:1::9/128', owner: 'siteC', seq: 0, kind: 'host' });
    t.upsert({ prefix: '::/0', owner: 'gw', seq: 0, kind: 'subnet' });
    expect(t.lookup('fd7a:0:0:1::9')?.owner).toBe('siteC');
    expect(t.lookup('fd7a:0:0:1::8')?.owner).toBe('siteB');
    expect(t.lookup('fd7a:0:0:2::8')?.owner).toBe('siteA');
    expect(t.lookup('2001:db8::1')?.owner).toBe('gw');
    // Non-octet-aligned prefix.
    t.upsert({ prefix: 'fd7a:0:0:1:8000::/65', owner: 'odd', seq: 0, kind: 'subnet' });
    expect(t.lookup('fd7a:0:0:1:8000::5')?.owner).toBe('odd');
    expect(t.lookup('fd7a:0:0:1:7fff::5')?.owner).toBe('siteB');
    // Many /128s in one length map (hash buckets).
    for (let i = 0; i < 2000; i++)
      t.upsert({ prefix: `fd7a:0:0:3::${i.toString(16)}/128`, owner: `n${i}`, seq: 0, kind: 'node' });
    expect(t.lookup('fd7a:0:0:3::7cf')?.owner).toBe('n1999');
    expect(t.lookup('fd7a:0:0:3::7d0')?.owner).toBe('siteA');
  });

  it('removes everything an owner announced, and rejects bad routes with a clear error', () => {
    const t = new RouteTable();
    t.upsert({ prefix: '10.1.0.0/16', owner: 'p1', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: '10.1.0.0/16', owner: 'p2', seq: 0, kind: 'subnet' });
    t.upsert({ prefix: 'fd00::1/128', owner: 'p1', seq: 0, kind: 'node' });
    expect(t.removeOwner('p1')).toBe(2);
    expect(t.lookup('10.1.0.1')?.owner).toBe('p2');
    expect(t.lookup('fd00::1')).toBeUndefined();
    expect(() => t.upsert({ prefix: '10.0.0.0/33', owner: 'p1', seq: 0, kind: 'subnet' })).toThrow(
      /invalid route prefix/,
    );
    expect(() => t.upsert({ prefix: '10.0.0.0/8', owner: 'p1', seq: -1, kind: 'subnet' })).toThrow(/seq/);
    const small = new RouteTable(1);
    small.upsert({ prefix: '10.0.0.0/8', owner: 'p1', seq: 0, kind: 'subnet' });
    expect(() => small.upsert({ prefix: '11.0.0.0/8', owner: 'p1', seq: 0, kind: 'subnet' })).toThrow(/full/);
  });
});
