import { describe, expect, it } from 'vitest';
import { diagnoseDeviceAccess, hasCapability, mapOpenError } from './access.js';
import {
  NetDevBusyError,
  NetDevInvalidArgumentError,
  NetDevPermissionError,
  NetDevUnavailableError,
} from './errors.js';

const ROOT_CAPS = '000001ffffffffff';
const NO_CAPS = '0000000000000000';
const NET_ADMIN_ONLY = '0000000000001000';

describe('diagnoseDeviceAccess', () => {
  it('passes when /dev/net/tun opens and CAP_NET_ADMIN is effective', () => {
    expect(diagnoseDeviceAccess({ tun: 'char', capEffHex: ROOT_CAPS, openError: undefined })).toBeUndefined();
    expect(
      diagnoseDeviceAccess({ tun: 'char', capEffHex: NET_ADMIN_ONLY, openError: undefined }),
    ).toBeUndefined();
  });

  it('says /dev/net/tun is missing and how to get it', () => {
    const err = diagnoseDeviceAccess({ tun: 'missing', capEffHex: ROOT_CAPS, openError: undefined });
    expect(err).toBeInstanceOf(NetDevUnavailableError);
    expect(err?.code).toBe('ERR_NETDEV_NO_TUN');
    expect(err?.message).toMatch(/\/dev\/net\/tun does not exist/);
    expect(err?.message).toMatch(/modprobe tun/);
    expect(err?.message).toMatch(/--device \/dev\/net\/tun/);
  });

  it('says CAP_NET_ADMIN is missing and how to grant it', () => {
    const err = diagnoseDeviceAccess({ tun: 'char', capEffHex: NO_CAPS, openError: undefined });
    expect(err).toBeInstanceOf(NetDevPermissionError);
    expect(err?.code).toBe('ERR_NETDEV_PERMISSION');
    expect(err?.message).toMatch(/lacks CAP_NET_ADMIN/);
    expect(err?.message).toMatch(/run as root/);
    expect(err?.message).toMatch(/--cap-add NET_ADMIN/);
  });

  it('maps open failures: device cgroup (EPERM), driver not loaded (ENODEV)', () => {
    expect(diagnoseDeviceAccess({ tun: 'char', capEffHex: ROOT_CAPS, openError: 'EPERM' })).toBeInstanceOf(
      NetDevPermissionError,
    );
    const noDriver = diagnoseDeviceAccess({ tun: 'char', capEffHex: ROOT_CAPS, openError: 'ENODEV' });
    expect(noDriver).toBeInstanceOf(NetDevUnavailableError);
    expect(noDriver?.message).toMatch(/driver is not loaded/);
    expect(
      diagnoseDeviceAccess({ tun: 'other', capEffHex: ROOT_CAPS, openError: undefined })?.message,
    ).toMatch(/not a character device/);
  });
});

describe('hasCapability', () => {
  it('reads bit 12 (CAP_NET_ADMIN) of the CapEff mask', () => {
    expect(hasCapability(NET_ADMIN_ONLY, 12)).toBe(true);
    expect(hasCapability('0000000000000fff', 12)).toBe(false);
    expect(hasCapability('not hex', 12)).toBe(false);
  });
});

describe('mapOpenError', () => {
  const ctx = { kind: 'tap' as const, name: 'tap0', netns: undefined };
  const fail = (code: string, syscall: string) => ({ code, syscall, message: `${syscall} failed (${code})` });

  it('maps TUNSETIFF errnos to what the user must do', () => {
    const perm = mapOpenError(fail('EPERM', 'ioctl(TUNSETIFF)'), ctx);
    expect(perm).toBeInstanceOf(NetDevPermissionError);
    expect(perm.message).toMatch(/creating TAP tap0 was refused \(EPERM\)/);
    expect(mapOpenError(fail('EBUSY', 'ioctl(TUNSETIFF)'), ctx)).toBeInstanceOf(NetDevBusyError);
    const wrongKind = mapOpenError(fail('EINVAL', 'ioctl(TUNSETIFF)'), ctx);
    expect(wrongKind).toBeInstanceOf(NetDevInvalidArgumentError);
    expect(wrongKind.message).toMatch(/exists and is not a TAP device/);
  });

  it('maps a missing /dev/net/tun and namespace failures', () => {
    expect(mapOpenError(fail('ENOENT', 'open(/dev/net/tun)'), ctx)).toBeInstanceOf(NetDevUnavailableError);
    expect(mapOpenError(fail('EACCES', 'open(/dev/net/tun)'), ctx)).toBeInstanceOf(NetDevPermissionError);
    const nsCtx = { ...ctx, netns: 'blue' };
    expect(mapOpenError(fail('ENOENT', 'open(netns)'), nsCtx).message).toMatch(
      /namespace blue cannot be opened/,
    );
    expect(mapOpenError(fail('EPERM', 'setns'), nsCtx).message).toMatch(/CAP_SYS_ADMIN/);
  });

  it('keeps the original error as cause', () => {
    const original = fail('EIO', 'ioctl(TUNSETIFF)');
    expect(mapOpenError(original, ctx).cause).toBe(original);
  });
});
