import { describe, expect, test } from 'vitest';
import { DeviceConfig } from './device-config.js';
import { NetDevClosedError } from './errors.js';

function setup(fail?: (args: readonly string[]) => boolean) {
  const ran: string[] = [];
  let closed = false;
  const config = new DeviceConfig(
    'rtm0',
    'ns1',
    () => closed,
    async (args, o) => {
      ran.push(`${o?.netns} ${args.join(' ')}`);
      if (fail?.(args)) throw new Error(`ip ${args.join(' ')} failed`);
      return '';
    },
  );
  return { config, ran, close: () => (closed = true) };
}

describe('DeviceConfig', () => {
  test('addresses and routes go through ip in the device namespace; each knows how it is undone', async () => {
    const { config, ran } = setup();
    await config.addAddress('10.99.0.1/24');
    await config.addAddress('fd7a::1/128');
    await config.addRoute('fd7a::/64');
    await config.addRoute('10.1.0.0/24', { via: '10.99.0.2', metric: 10 });
    expect(ran).toEqual([
      'ns1 address replace 10.99.0.1/24 dev rtm0',
      'ns1 address replace fd7a::1/128 dev rtm0',
      'ns1 -6 route replace fd7a::/64 dev rtm0',
      'ns1 -4 route replace 10.1.0.0/24 dev rtm0 via 10.99.0.2 metric 10',
    ]);
    ran.length = 0;
    await config.undo();
    // Newest first; what was removed meanwhile is not undone twice.
    expect(ran).toEqual([
      'ns1 -4 route del 10.1.0.0/24 dev rtm0',
      'ns1 -6 route del fd7a::/64 dev rtm0',
      'ns1 address del fd7a::1/128 dev rtm0',
      'ns1 address del 10.99.0.1/24 dev rtm0',
    ]);
  });

  test('a step removed by hand is not undone; every step is tried, the first failure is reported', async () => {
    const { config, ran } = setup((args) => args.includes('10.99.0.1/24') && args[1] === 'del');
    await config.addAddress('10.99.0.1/24');
    await config.addRoute('10.2.0.0/24');
    await config.removeRoute('10.2.0.0/24');
    await config.addRoute('10.3.0.0/24');
    ran.length = 0;
    await expect(config.undo()).rejects.toThrow(/address del 10.99.0.1\/24/);
    expect(ran).toEqual(['ns1 -4 route del 10.3.0.0/24 dev rtm0', 'ns1 address del 10.99.0.1/24 dev rtm0']);
  });

  test('a closed device takes no more changes; bad input is refused before ip runs', async () => {
    const { config, ran, close } = setup();
    await expect(config.addAddress('not-an-address')).rejects.toThrow();
    close();
    await expect(config.addRoute('10.1.0.0/24')).rejects.toBeInstanceOf(NetDevClosedError);
    expect(ran).toEqual([]);
  });
});
