import { describe, expect, it } from 'vitest';
import { type MacNumber, macAt } from '../addr/mac.js';
import { arpPacket, ethernetFrame } from '../builders/frames.js';
import { BindingStore } from './bindings.js';
import { type LocalAddressSink, NeighborSuppression } from './neighbor-suppression.js';
import { A, arpRequest, B } from './test-helpers.js';

function setup(opts = { suppressArp: true, suppressNd: true }) {
  const learned: string[] = [];
  const sink: LocalAddressSink = {
    learnV4: (mac: MacNumber, ip: number) =>
      learned.push(`${mac.toString(16)} ${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`),
    learnV6: (mac: MacNumber, key: string) => learned.push(`${mac.toString(16)} v6 ${key.length}`),
  };
  const bindings = new BindingStore();
  bindings.setRemote('p1', [{ mac: B, ips: ['10.0.0.2'], seq: 1 }]);
  return { s: new NeighborSuppression(bindings, sink, opts), learned };
}

describe('NeighborSuppression', () => {
  it('learns the sender of an ARP request and answers for an address another site holds', () => {
    const { s, learned } = setup();
    const req = arpRequest(A, '10.0.0.1', '10.0.0.2');
    expect(s.arpLearn(req, 12, 0)).toBe(true);
    expect(learned).toEqual([`${macAt(req, 6).toString(16)} 10.0.0.1`]);
    const reply = s.arpAnswer(req, 12);
    expect(reply).not.toBeNull();
    // The reply comes from B's MAC, to A.
    expect(reply!.subarray(6, 12)).toEqual(Buffer.from(B.split(':').map((h) => Number.parseInt(h, 16))));
    expect(s.arpAnswer(arpRequest(A, '10.0.0.1', '10.0.0.9'), 12)).toBeNull();
  });

  it('never answers a probe or a gratuitous ARP, nor anything when suppression is off', () => {
    const { s } = setup();
    expect(s.arpLearn(arpRequest(A, '0.0.0.0', '10.0.0.2'), 12, 0)).toBe(false);
    expect(s.arpLearn(arpRequest(A, '10.0.0.2', '10.0.0.2'), 12, 0)).toBe(false);
    const off = setup({ suppressArp: false, suppressNd: true }).s;
    expect(off.arpLearn(arpRequest(A, '10.0.0.1', '10.0.0.2'), 12, 0)).toBe(false);
  });

  it('an ARP reply teaches the sender, and is never a request to answer', () => {
    const { s, learned } = setup();
    const reply = ethernetFrame({
      dst: B,
      src: A,
      etherType: 0x0806,
      payload: arpPacket({ op: 2, senderMac: A, senderIp: '10.0.0.1', targetMac: B, targetIp: '10.0.0.2' }),
    });
    expect(s.arpLearn(reply, 12, 0)).toBe(false);
    expect(learned).toHaveLength(1);
  });
});
