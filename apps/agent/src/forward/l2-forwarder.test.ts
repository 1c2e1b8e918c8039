import {
  ethernetFrame,
  ipv6MulticastMac,
  ipv6Packet,
  neighborSolicitation,
  solicitedNodeAddress,
} from '@rtcmesh/dataplane';
import { describe, expect, it } from 'vitest';
import { L2Forwarder } from './l2-forwarder.js';

const OWN_MAC = '02:00:00:00:00:0a';

/** The kernel asking who has `target`, from the TAP's own address `src`. */
function solicitation(src: string, target: string, mac = OWN_MAC): Buffer {
  const group = solicitedNodeAddress(target);
  return ethernetFrame({
    dst: ipv6MulticastMac(group),
    src: mac,
    etherType: 0x86dd,
    payload: ipv6Packet({
      src,
      dst: group,
      nextHeader: 58,
      hopLimit: 255,
      payload: neighborSolicitation(target, mac),
    }),
  });
}

describe('L2Forwarder advertisements', () => {
  it('advertise the TAP’s overlay address plus the addresses the host configured on it', () => {
    let changes = 0;
    const fwd = new L2Forwarder(
      { toDevice: () => true, toPeer: () => true },
      { mac: OWN_MAC, ips: ['10.98.0.1'], seq: 1000 },
      { onBindingsChanged: () => changes++ },
    );
    expect(fwd.localBindings()).toEqual([{ mac: OWN_MAC, ips: ['10.98.0.1'], seq: 1000 }]);
    // The host adds an IPv6 address to the TAP and uses it: the switch learns it from its NS.
    fwd.fromDevice([solicitation('fd98::a1', 'fd98::b1')]);
    expect(changes).toBeGreaterThan(0);
    expect(fwd.localBindings()).toEqual([{ mac: OWN_MAC, ips: ['10.98.0.1', 'fd98::a1'], seq: 1000 }]);
  });
});

describe('L2Forwarder advertisement limit', () => {
  it('a site with more hosts than an advertisement may carry advertises its own binding and the first ones, and counts the rest', () => {
    const fwd = new L2Forwarder(
      { toDevice: () => true, toPeer: () => true },
      { mac: OWN_MAC, ips: ['10.98.0.1'], seq: 1000 },
      {},
    );
    const hosts = 300;
    const frames = Array.from({ length: hosts }, (_, i) => {
      const mac = `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      return solicitation(`fd98::1:${i.toString(16)}`, 'fd98::b1', mac);
    });
    fwd.fromDevice(frames);
    const advertised = fwd.localBindings();
    // The server refuses a list longer than LIMITS.maxBindings whole: none would be advertised then.
    expect(advertised).toHaveLength(256);
    expect(advertised[0]).toMatchObject({ mac: OWN_MAC, ips: ['10.98.0.1'] });
    expect(fwd.counters().bindingsOverLimit).toBe(hosts + 1 - 256);
  });
});
