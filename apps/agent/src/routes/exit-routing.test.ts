import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { ExitNat } from './exit-nat.js';
import { EXIT_TABLE, ExitRouting } from './exit-routing.js';
import { parseDefaultRoutes4 } from './host-facts.js';

const log = pino({ level: 'silent' });

function routing() {
  const calls: string[] = [];
  const r = new ExitRouting({
    device: 'rtm0',
    networkCidr: '10.99.0.0/24',
    logger: log,
    connected: () => ['192.168.1.0/24'],
    defaultRoutes: async () => [{ dev: 'eth0', gateway: '192.168.1.1' }],
    ip: async (args) => {
      calls.push(args.join(' '));
      // No rule to delete: as on a clean host.
      if (args[1] === 'rule' && args[2] === 'del')
        throw new Error('RTNETLINK answers: No such file or directory');
    },
  });
  return { r, calls };
}

describe('ExitRouting (--exit-node)', () => {
  test('activation keeps the underlay outside first, then sends the rest to the overlay; deactivation undoes it', async () => {
    const { r, calls } = routing();
    r.keepOutside('203.0.113.7'); // the signaling server
    r.observeCandidates('a=candidate:1 1 udp 2122260223 198.51.100.20 40000 typ srflx raddr 0.0.0.0 rport 0');
    r.keepOutside('192.168.1.50'); // on our own LAN: reached directly anyway
    r.keepOutside('10.99.0.7'); // in the overlay
    r.keepOutside('fd00::1'); // IPv6: the exit route is IPv4 only
    await r.activate();
    const adds = calls.filter((c) => !c.includes(' del '));
    expect(adds).toEqual([
      '-4 route replace 203.0.113.7/32 via 192.168.1.1 dev eth0',
      '-4 route replace 198.51.100.20/32 via 192.168.1.1 dev eth0',
      `-4 route replace default dev rtm0 table ${EXIT_TABLE}`,
      '-4 rule add priority 5270 lookup main suppress_prefixlength 0',
      `-4 rule add priority 5280 lookup ${EXIT_TABLE}`,
    ]);
    expect(r.isActive).toBe(true);
    // A peer's new candidate while active: outside at once.
    calls.length = 0;
    r.observeCandidates('candidate:7 1 udp 1 198.51.100.99 5000 typ host');
    await r.activate(); // queued behind the bypass; a second activation changes nothing
    expect(calls).toEqual(['-4 route replace 198.51.100.99/32 via 192.168.1.1 dev eth0']);

    calls.length = 0;
    await r.deactivate();
    expect(r.isActive).toBe(false);
    expect(calls).toContain(`-4 route flush table ${EXIT_TABLE}`);
    expect(calls.filter((c) => c.startsWith('-4 route del'))).toHaveLength(3);
    expect(calls).toContain('-4 rule del priority 5270');
  });

  test('no default route: nothing to send through the exit node, nothing changed', async () => {
    const calls: string[] = [];
    const r = new ExitRouting({
      device: 'rtm0',
      networkCidr: '10.99.0.0/24',
      logger: log,
      connected: () => [],
      defaultRoutes: async () => [],
      ip: async (args) => void calls.push(args.join(' ')),
    });
    await r.activate();
    expect(r.isActive).toBe(false);
    expect(calls).toEqual([]);
  });

  test('default routes from /proc/net/route, lowest metric first', () => {
    const route4 = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    ].join('\n');
    expect(parseDefaultRoutes4(route4)).toEqual([
      { dev: 'eth0', gateway: '10.0.2.1' },
      { dev: 'wlan0', gateway: '192.168.1.1' },
    ]);
  });
});

describe('ExitNat (--advertise-exit-node)', () => {
  test('turns forwarding on, masquerades the overlay, and puts everything back on stop', async () => {
    const calls: string[] = [];
    let forwarding = '0\n';
    const nat = new ExitNat({
      device: 'rtm0',
      networkCidr: '10.99.0.0/24',
      logger: log,
      iptables: async (args) => void calls.push(args.join(' ')),
      forwarding: {
        read: async () => forwarding,
        write: async (v) => {
          forwarding = v;
        },
      },
    });
    await nat.start();
    expect(forwarding).toBe('1\n');
    expect(calls[0]).toBe(
      '-t nat -A POSTROUTING -s 10.99.0.0/24 ! -o rtm0 -j MASQUERADE -m comment --comment rtcmesh exit node',
    );
    expect(calls.slice(1).every((c) => c.startsWith('-t filter -I FORWARD'))).toBe(true);
    calls.length = 0;
    await nat.stop();
    expect(forwarding).toBe('0\n');
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.includes(' -D '))).toBe(true);
  });
});
