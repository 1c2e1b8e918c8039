import { describe, expect, it } from 'vitest';
import { loadAddon, ndcAvailability } from './ndc-addon.js';

describe('the libdatachannel addon', () => {
  it('loads once, where its platform package is installed (it is, for the tests)', () => {
    expect(ndcAvailability()).toEqual({ ok: true });
    const addon = loadAddon();
    expect(typeof addon.PeerConnection).toBe('function');
    expect(loadAddon()).toBe(addon);
    expect(ndcAvailability()).toEqual({ ok: true });
  });
});
