import { describe, expect, test } from 'vitest';
import { parsePolicyJson, validatePolicy } from './schema.js';

describe('policy validation', () => {
  test('accepts a hand-written policy', () => {
    const r = validatePolicy({
      version: 3,
      default: 'deny',
      groups: { 'group:ops': ['alice-laptop', 'tag:admin'] },
      rules: [
        {
          action: 'accept',
          src: ['group:ops', '10.0.0.0/24', '*'],
          dst: ['tag:db:5432', '*:22,80-90'],
          proto: 'tcp',
        },
        { action: 'accept', src: ['tag:web'], dst: ['node-b:*', 'fd00::/64:443', '[fd00::1]:80'] },
        { action: 'accept', src: ['*'], dst: ['*:*'], proto: 'icmp' },
      ],
      l2: [{ src: ['tag:a'], dst: ['*'], ethertypes: ['ipv4', 'arp', 'ipv6', 0x88cc] }],
    });
    expect(r).toMatchObject({ ok: true });
  });

  test('an empty object is a valid (allow-all) policy', () => {
    expect(validatePolicy({}).ok).toBe(true);
  });

  test.each([
    [{ rules: [{ action: 'deny', src: ['*'], dst: ['*:*'] }] }, 'rules[0].action', 'only accept'],
    [{ rules: [{ action: 'accept', src: ['*'], dst: ['tag:db'] }] }, 'rules[0].dst[0]', 'needs ports'],
    [{ rules: [{ action: 'accept', src: ['*'], dst: ['*:70000'] }] }, 'rules[0].dst[0]', 'above 65535'],
    [{ rules: [{ action: 'accept', src: ['*'], dst: ['*:90-80'] }] }, 'rules[0].dst[0]', 'backwards'],
    [{ rules: [{ action: 'accept', src: ['group:nope'], dst: ['*:*'] }] }, 'rules[0].src[0]', 'not defined'],
    [
      { rules: [{ action: 'accept', src: ['10.0.0.300'], dst: ['*:*'] }] },
      'rules[0].src[0]',
      'not a valid IP',
    ],
    [
      { rules: [{ action: 'accept', src: ['*'], dst: ['*:22'], proto: 'icmp' }] },
      'rules[0].dst[0]',
      'ports only apply',
    ],
    [{ rules: [{ action: 'accept', src: ['*'], dst: ['*:*'], proto: 300 }] }, 'rules[0].proto', '0-255'],
    [{ rules: [{ action: 'accept', src: [], dst: ['*:*'] }] }, 'rules[0].src', 'at least one'],
    [{ rules: [{ action: 'accept', src: ['*'], dst: ['*:*'], prot: 'tcp' }] }, 'rules[0]', 'prot'],
    [{ l2: [{ src: ['10.0.0.1'], dst: ['*'] }] }, 'l2[0].src[0]', 'not addresses'],
    [{ l2: [{ src: ['*'], dst: ['*'], ethertypes: [5] }] }, 'l2[0].ethertypes[0]', '0x0600'],
    [{ groups: { 'group:a': ['group:b'] } }, 'groups.group:a[0]', 'cannot contain groups'],
    [{ groups: { ops: ['x'] } }, 'groups.ops', 'group:'],
    [{ default: 'maybe' }, 'default', ''],
    [
      { rules: [{ action: 'accept', src: ['*'], dst: ['browser:admin:80'] }] },
      'rules[0].dst[0]',
      'a browser is only a source ("src") of L3 rules',
    ],
    [
      { rules: [{ action: 'accept', src: ['*'], dst: ['browser:admin'] }] },
      'rules[0].dst[0]',
      'only a source',
    ],
    [{ l2: [{ src: ['browser:admin'], dst: ['*'] }] }, 'l2[0].src[0]', 'only a source ("src") of L3 rules'],
    [{ l2: [{ src: ['*'], dst: ['browser:*'] }] }, 'l2[0].dst[0]', 'only a source ("src") of L3 rules'],
    [{ groups: { 'group:a': ['browser:admin'] } }, 'groups.group:a[0]', 'only a source ("src") of L3 rules'],
    [
      { autoApprovers: { routes: { '10.0.0.0/8': ['browser:admin'] } } },
      'autoApprovers.routes.10.0.0.0/8[0]',
      'only a source ("src") of L3 rules',
    ],
    [
      { rules: [{ action: 'accept', src: ['browser:admin'], dst: ['*:53'], proto: 'udp' }] },
      'rules[0].proto',
      'browsers reach TCP services only',
    ],
    [
      { rules: [{ action: 'accept', src: ['tag:a', 'browser:*'], dst: ['*:*'], proto: 'icmp' }] },
      'rules[0].proto',
      'browsers reach TCP services only',
    ],
    [
      { rules: [{ action: 'accept', src: ['browser:Admin'], dst: ['*:80'] }] },
      'rules[0].src[0]',
      'bad browser "browser:Admin"',
    ],
    [{ rules: [{ action: 'accept', src: ['browser:'], dst: ['*:80'] }] }, 'rules[0].src[0]', 'bad browser'],
    [{ rules: [{ action: 'accept', src: ['browser:-x'], dst: ['*:80'] }] }, 'rules[0].src[0]', 'bad browser'],
  ])('rejects %j at %s', (doc, path, message) => {
    const r = validatePolicy(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(r.issues)).toBeDefined();
    expect(hit?.message).toContain(message);
  });

  test('browsers in the src of L3 rules, with proto tcp, any or none', () => {
    for (const proto of ['tcp', 'any', 6, undefined]) {
      const r = validatePolicy({
        rules: [
          {
            action: 'accept',
            src: ['browser:admin', 'browser:*', 'browser:ops.team_1-a', 'tag:web'],
            dst: ['web-1:3000', 'tag:grafana:3000', '10.20.0.0/16:80,443'],
            ...(proto === undefined ? {} : { proto }),
          },
        ],
      });
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    }
  });

  test('bad JSON text is an issue at the root, not an exception', () => {
    const r = parsePolicyJson('{ "rules": [ }');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toMatch(/not valid JSON/);
  });
});
