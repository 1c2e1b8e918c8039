import { describe, expect, test } from 'vitest';
import { browserAccess } from './browser-access.js';
import type { PolicyNode } from './compile.js';
import { type Policy, validatePolicy } from './schema.js';

const NODES: PolicyNode[] = [
  {
    id: 'node-a',
    name: 'web-1',
    tags: ['tag:grafana'],
    addresses: ['10.99.0.1/24', 'fd99::1/64'],
    routes: [],
  },
  {
    id: 'node-b',
    name: 'db-1',
    tags: ['tag:db'],
    addresses: ['10.99.0.2/24', 'fd99::2/64'],
    routes: ['10.2.0.0/24', 'fd02::/64'],
  },
];

function policy(doc: unknown): Policy {
  const r = validatePolicy(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

const ADMIN = 'browser:admin';

describe('browserAccess', () => {
  const example = policy({
    rules: [
      {
        action: 'accept',
        src: ['browser:admin'],
        dst: ['web-1:3000', 'tag:grafana:3000', '10.20.0.0/16:80,443'],
        proto: 'tcp',
      },
    ],
  });

  test('the named principal is accepted; another name is not', () => {
    expect(browserAccess(example, ADMIN, { ip: '10.99.0.1', port: 3000 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 0,
    });
    const other = browserAccess(example, 'browser:bob', { ip: '10.99.0.1', port: 3000 }, NODES, 'node-a');
    expect(other).toEqual({ ok: false, reason: 'no rule accepts browser:bob to 10.99.0.1:3000' });
  });

  test('browser:* accepts every browser; the first accepting rule is reported', () => {
    const p = policy({
      rules: [
        { action: 'accept', src: ['browser:ops'], dst: ['*:22'] },
        { action: 'accept', src: ['browser:*'], dst: ['*:80'] },
        { action: 'accept', src: ['browser:admin'], dst: ['*:80'] },
      ],
    });
    expect(browserAccess(p, ADMIN, { ip: '192.0.2.1', port: 80 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 1,
    });
    expect(browserAccess(p, 'browser:x.y_z-1', { ip: '192.0.2.1', port: 80 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 1,
    });
    expect(browserAccess(p, ADMIN, { ip: '192.0.2.1', port: 22 }, NODES, 'node-a').ok).toBe(false);
    expect(browserAccess(p, 'browser:ops', { ip: '192.0.2.1', port: 22 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 0,
    });
  });

  test('"*" in src does not include browsers', () => {
    const p = policy({ rules: [{ action: 'accept', src: ['*'], dst: ['*:*'] }] });
    expect(browserAccess(p, ADMIN, { ip: '10.99.0.1', port: 80 }, NODES, 'node-a')).toEqual({
      ok: false,
      reason: 'no policy rule accepts browsers',
    });
  });

  test('an invalid principal is denied, even by browser:*', () => {
    const p = policy({ rules: [{ action: 'accept', src: ['browser:*'], dst: ['*:*'] }] });
    for (const who of ['admin', 'browser:', 'browser:Admin', 'browser:*', 'tag:admin', '*'])
      expect(browserAccess(p, who, { ip: '10.99.0.1', port: 80 }, NODES, 'node-a').ok, who).toBe(false);
  });

  test('loopback belongs to the receiving node: its name and tags', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1']) {
      expect(browserAccess(example, ADMIN, { ip, port: 3000 }, NODES, 'node-a'), ip).toEqual({
        ok: true,
        rule: 0,
      });
      // At db-1, loopback is db-1's: neither web-1 nor tag:grafana.
      expect(browserAccess(example, ADMIN, { ip, port: 3000 }, NODES, 'node-b').ok, ip).toBe(false);
    }
    const byTag = policy({ rules: [{ action: 'accept', src: [ADMIN], dst: ['tag:db:5432'] }] });
    expect(browserAccess(byTag, ADMIN, { ip: '127.0.0.1', port: 5432 }, NODES, 'node-b').ok).toBe(true);
    // A receiving node missing from the list still owns its loopback, by id.
    const byId = policy({ rules: [{ action: 'accept', src: [ADMIN], dst: ['node-z:80'] }] });
    expect(browserAccess(byId, ADMIN, { ip: '127.0.0.1', port: 80 }, NODES, 'node-z').ok).toBe(true);
  });

  test('the overlay address of another node, v4 and v6 (the prefix length is not a subnet)', () => {
    expect(browserAccess(example, ADMIN, { ip: '10.99.0.1', port: 3000 }, NODES, 'node-b').ok).toBe(true);
    expect(browserAccess(example, ADMIN, { ip: 'fd99::1', port: 3000 }, NODES, 'node-b').ok).toBe(true);
    // db-1's address, and another address of the /24 the addresses are written with.
    expect(browserAccess(example, ADMIN, { ip: '10.99.0.2', port: 3000 }, NODES, 'node-b').ok).toBe(false);
    expect(browserAccess(example, ADMIN, { ip: '10.99.0.77', port: 3000 }, NODES, 'node-b').ok).toBe(false);
  });

  test('a node selector covers the routes the node advertises', () => {
    const p = policy({ rules: [{ action: 'accept', src: [ADMIN], dst: ['db-1:8080'], proto: 'tcp' }] });
    expect(browserAccess(p, ADMIN, { ip: '10.2.0.200', port: 8080 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 0,
    });
    expect(browserAccess(p, ADMIN, { ip: 'fd02::5', port: 8080 }, NODES, 'node-a').ok).toBe(true);
    expect(browserAccess(p, ADMIN, { ip: '10.2.1.1', port: 8080 }, NODES, 'node-a').ok).toBe(false);
  });

  test('groups in dst select nodes like in compiled rules', () => {
    const p = policy({
      groups: { 'group:ui': ['tag:grafana'] },
      rules: [{ action: 'accept', src: [ADMIN], dst: ['group:ui:3000'] }],
    });
    expect(browserAccess(p, ADMIN, { ip: '10.99.0.1', port: 3000 }, NODES, 'node-b').ok).toBe(true);
    expect(browserAccess(p, ADMIN, { ip: '10.99.0.2', port: 3000 }, NODES, 'node-b').ok).toBe(false);
  });

  test('CIDR and IP destinations match by containment, IPv4 and IPv6', () => {
    expect(browserAccess(example, ADMIN, { ip: '10.20.255.1', port: 443 }, NODES, 'node-a')).toEqual({
      ok: true,
      rule: 0,
    });
    expect(browserAccess(example, ADMIN, { ip: '10.21.0.1', port: 443 }, NODES, 'node-a').ok).toBe(false);
    // IPv4-mapped IPv6 is the IPv4 address it connects to.
    expect(browserAccess(example, ADMIN, { ip: '::ffff:10.20.0.9', port: 80 }, NODES, 'node-a').ok).toBe(
      true,
    );
    const v6 = policy({
      rules: [{ action: 'accept', src: [ADMIN], dst: ['fd00:1::/32:22', '[2001:db8::7]:443'] }],
    });
    expect(browserAccess(v6, ADMIN, { ip: 'fd00:1:ffff::1', port: 22 }, NODES, 'node-a').ok).toBe(true);
    expect(browserAccess(v6, ADMIN, { ip: 'fd00:2::1', port: 22 }, NODES, 'node-a').ok).toBe(false);
    expect(browserAccess(v6, ADMIN, { ip: '2001:db8::7', port: 443 }, NODES, 'node-a').ok).toBe(true);
    expect(browserAccess(v6, ADMIN, { ip: '2001:db8::8', port: 443 }, NODES, 'node-a')).toEqual({
      ok: false,
      reason: 'no rule accepts browser:admin to [2001:db8::8]:443',
    });
  });

  test('port lists, ranges and "*"', () => {
    const p = policy({
      rules: [
        { action: 'accept', src: [ADMIN], dst: ['10.0.0.0/8:22,8000-8099'] },
        { action: 'accept', src: [ADMIN], dst: ['192.0.2.1:*'] },
      ],
    });
    const at = (ip: string, port: number) => browserAccess(p, ADMIN, { ip, port }, NODES, 'node-a');
    expect(at('10.1.2.3', 22)).toEqual({ ok: true, rule: 0 });
    expect(at('10.1.2.3', 8000).ok).toBe(true);
    expect(at('10.1.2.3', 8099).ok).toBe(true);
    expect(at('10.1.2.3', 8100).ok).toBe(false);
    expect(at('10.1.2.3', 23)).toEqual({ ok: false, reason: 'no rule accepts browser:admin to 10.1.2.3:23' });
    expect(at('192.0.2.1', 65535)).toEqual({ ok: true, rule: 1 });
    expect(at('192.0.2.1', 70000).ok).toBe(false);
    expect(at('10.1.2.3.4', 22).ok).toBe(false);
  });

  test('a rule whose proto is not TCP never accepts a browser', () => {
    // Validation refuses browsers in a udp rule; a policy that skipped validation is still judged safely.
    const udp = { rules: [{ action: 'accept', src: [ADMIN], dst: ['*:*'], proto: 'udp' }] } as Policy;
    expect(validatePolicy(udp).ok).toBe(false);
    expect(browserAccess(udp, ADMIN, { ip: '10.1.2.3', port: 53 }, NODES, 'node-a')).toEqual({
      ok: false,
      reason: 'no rule accepts browser:admin to 10.1.2.3:53',
    });
    const anyProto = policy({ rules: [{ action: 'accept', src: [ADMIN], dst: ['*:53'], proto: 'any' }] });
    expect(browserAccess(anyProto, ADMIN, { ip: '10.1.2.3', port: 53 }, NODES, 'node-a').ok).toBe(true);
  });

  test('an empty or absent policy denies browsers', () => {
    const reason = 'no policy rule accepts browsers';
    const target = { ip: '127.0.0.1', port: 80 };
    expect(browserAccess(null, ADMIN, target, NODES, 'node-a')).toEqual({ ok: false, reason });
    expect(browserAccess(policy({}), ADMIN, target, NODES, 'node-a')).toEqual({ ok: false, reason });
    expect(browserAccess(policy({ rules: [] }), ADMIN, target, NODES, 'node-a')).toEqual({
      ok: false,
      reason,
    });
  });

  test('default "allow" does not let browsers in', () => {
    const open = policy({ default: 'allow' });
    expect(browserAccess(open, ADMIN, { ip: '10.99.0.1', port: 80 }, NODES, 'node-a').ok).toBe(false);
    const some = policy({
      default: 'allow',
      rules: [{ action: 'accept', src: [ADMIN], dst: ['web-1:3000'] }],
    });
    expect(browserAccess(some, ADMIN, { ip: '10.99.0.1', port: 3000 }, NODES, 'node-a').ok).toBe(true);
    expect(browserAccess(some, ADMIN, { ip: '10.99.0.1', port: 3001 }, NODES, 'node-a').ok).toBe(false);
  });
});
