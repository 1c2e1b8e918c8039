// Frames captured from a real Linux kernel (6.x) on a TAP device in a network namespace (addresses
// 10.99.0.1/24 and fd99::1/64, MAC 02:00:00:00:00:0a), and the replies this switch produced for them.
// The kernel accepted both: `ip neigh` showed 10.99.0.2 and fd99::2 at 02:00:00:00:00:0b REACHABLE and
// pings to both got answers. These tests pin those bytes.
import { describe, expect, it } from 'vitest';
import { L2Switch } from './l2-switch.js';

const KERNEL_ARP_REQUEST =
  'ffffffffffff02000000000a0806000108000604000102000000000a0a6300010000000000000a630002';
const ACCEPTED_ARP_REPLY =
  '02000000000a02000000000b0806000108000604000202000000000b0a63000202000000000a0a630001';
const KERNEL_NS =
  '3333ff00000202000000000a86dd6000000000203afffd990000000000000000000000000001ff0200000000000000000001ff00000287007c5c00000000fd990000000000000000000000000002010102000000000a';
const ACCEPTED_NA =
  '02000000000a02000000000b86dd6000000000203afffd990000000000000000000000000002fd99000000000000000000000000000188001ac660000000fd990000000000000000000000000002020102000000000b';

describe('L2Switch on frames from the Linux kernel', () => {
  function sw(): L2Switch {
    const s = new L2Switch();
    s.addPeer('fake');
    s.setRemoteBindings('fake', [{ mac: '02:00:00:00:00:0b', ips: ['10.99.0.2', 'fd99::2'], seq: 0 }]);
    return s;
  }

  it('answers the kernel ARP request with the reply the kernel accepted', () => {
    const d = sw().process('local', Buffer.from(KERNEL_ARP_REQUEST, 'hex'), 0);
    expect(d.drop).toBe('arp-suppressed');
    expect(d.inject?.map((f) => f.toString('hex'))).toEqual([ACCEPTED_ARP_REPLY]);
  });

  it('answers the kernel neighbour solicitation with the NA the kernel accepted', () => {
    const d = sw().process('local', Buffer.from(KERNEL_NS, 'hex'), 0);
    expect(d.drop).toBe('nd-suppressed');
    expect(d.inject?.map((f) => f.toString('hex'))).toEqual([ACCEPTED_NA]);
  });
});
