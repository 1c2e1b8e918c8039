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
function solicitation(src: string, target: string): Buffer {
  const group = solicitedNodeAddress(target);
  return ethernetFrame({
    dst: ipv6MulticastMac(group),
    src: OWN_MAC,
    etherType: 0x86dd,
    payload: ipv6Packet({
      src,
      dst: group,
      nextHeader: 58,
      hopLimit: 255,
      payload: neighborSolicitation(target, OWN_MAC),
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
