import { describe, expect, test } from 'vitest';
import { resolveWorld } from './spec.js';

describe('world declaration', () => {
  test('computes the addressing plan', () => {
    const w = resolveWorld({
      sites: {
        a: { nat: 'cone', hosts: ['a1', 'a2'] },
        c: { nat: 'none', hosts: ['c1'] },
        d: {
          nat: 'symmetric',
          udp: 'blocked',
          hosts: [{ name: 'd1', link: { delayMs: 5 } }],
          lan: '10.1.4.0/24',
        },
      },
      server: true,
    });
    expect(w.server).toEqual({ ip: '198.18.0.2', altIp: '198.18.0.3', signalingPort: 8443 });
    const [a, c, d] = w.sites;
    expect(a).toMatchObject({
      wanIp: '198.18.1.1',
      lanCidr: '10.0.1.0/24',
      routerLanIp: '10.0.1.1',
      udpBlocked: false,
    });
    expect(a!.hosts.map((h) => h.ip)).toEqual(['10.0.1.10', '10.0.1.11']);
    expect(c).toMatchObject({ wanIp: '198.18.1.2', lanCidr: '198.19.2.0/24' });
    expect(d).toMatchObject({
      wanIp: '198.18.1.3',
      lanCidr: '10.1.4.0/24',
      udpBlocked: true,
      nat: 'symmetric',
    });
    expect(d!.hosts[0]).toMatchObject({ ip: '10.1.4.10', link: { delayMs: 5 } });
  });

  test('rejects declarations the lab cannot build, with the reason', () => {
    const bad: Array<[Parameters<typeof resolveWorld>[0], RegExp]> = [
      [{ sites: {} }, /at least one site/],
      [{ sites: { 'Site-A': { nat: 'cone', hosts: [] } } }, /site names/],
      [{ sites: { averylongname: { nat: 'cone', hosts: [] } } }, /site names/],
      [{ sites: { a: { nat: 'cone', hosts: ['x1'] }, b: { nat: 'cone', hosts: ['x1'] } } }, /declared twice/],
      [{ sites: { a: { nat: 'cone', hosts: [], lan: '10.0.0.0/16' } } }, /expected a \/24/],
      [{ sites: { a: { nat: 'cone', hosts: [], lan: '198.18.5.0/24' } } }, /must not overlap/],
      [{ sites: { a: { nat: 'none', hosts: [], lan: '10.0.5.0/24' } } }, /198\.19\.0\.0\/16/],
      [
        { sites: { a: { nat: 'cone', hosts: [], lan: '10.0.2.0/24' }, b: { nat: 'cone', hosts: [] } } },
        /used by another site/,
      ],
      [{ sites: { a: { nat: 'cone', hosts: [], wan: { lossPct: 120 } } } }, /lossPct/],
      [{ sites: { a: { nat: 'cone', hosts: [], wan: { delayMs: -1 } } } }, /delayMs/],
      [{ sites: { a: { nat: 'cone', hosts: [] } }, server: { signalingPort: 70_000 } }, /signalingPort/],
    ];
    for (const [spec, reason] of bad) expect(() => resolveWorld(spec), JSON.stringify(spec)).toThrow(reason);
  });
});
