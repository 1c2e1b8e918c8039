import { describe, expect, it } from 'vitest';
import { NetDevInvalidArgumentError } from './errors.js';
import { DEFAULT_MTU, openTap, openTun, validateOpenOptions } from './open-device.js';

describe('validateOpenOptions', () => {
  it('fills defaults: kernel-chosen name, MTU 1280, up, batch 64, queue 256', () => {
    expect(validateOpenOptions('tap', {})).toMatchObject({
      name: 'tap%d',
      mtu: DEFAULT_MTU,
      up: true,
      readBatch: 64,
      writeQueueLimit: 256,
      addresses: [],
      routes: [],
    });
    expect(DEFAULT_MTU).toBe(1280);
  });

  it('normalises routes given as strings or objects', () => {
    const v = validateOpenOptions('tun', { routes: ['10.1.0.0/16', { cidr: 'fd00::/48', metric: 5 }] });
    expect(v.routes).toEqual([{ cidr: '10.1.0.0/16' }, { cidr: 'fd00::/48', metric: 5 }]);
  });

  it('refuses TAP-only options on a TUN', () => {
    expect(() => validateOpenOptions('tun', { mac: '02:00:00:00:00:01' } as never)).toThrow(
      /TAP device only/,
    );
  });

  it.each([
    [{ name: 'way-too-long-name0' }, /interface name/],
    [{ mtu: 40 }, /mtu/],
    [{ addresses: ['10.0.0.1'] }, /prefix length/],
    [{ routes: ['nope'] }, /CIDR/],
    [{ mac: 'ff:ff:ff:ff:ff:ff' }, /multicast/],
    [{ bridge: 'br 0' }, /bridge name/],
    [{ netns: '../x' }, /netns/],
    [{ readBatch: 0 }, /readBatch/],
    [{ writeQueueLimit: 1.5 }, /writeQueueLimit/],
  ])('rejects %j', (opts, message) => {
    expect(() => validateOpenOptions('tap', opts)).toThrow(message);
  });

  it('openTap/openTun reject bad options before touching the system', async () => {
    await expect(openTap({ mtu: 1 })).rejects.toBeInstanceOf(NetDevInvalidArgumentError);
    await expect(openTun({ addresses: ['bad'] })).rejects.toBeInstanceOf(NetDevInvalidArgumentError);
  });
});
