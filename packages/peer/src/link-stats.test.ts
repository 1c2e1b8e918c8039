import { describe, expect, test } from 'vitest';
import { describePlan, LinkTraffic } from './link-stats.js';

describe('LinkTraffic', () => {
  test('counts frames both ways, and every kind of drop in the total', () => {
    const t = new LinkTraffic();
    t.sent(1200);
    t.sent(100);
    t.received(60);
    t.backpressure++;
    t.notConnected += 2;
    t.oversize++;
    expect(t.stats()).toEqual({
      txBytes: 1300,
      rxBytes: 60,
      txPackets: 2,
      rxPackets: 1,
      drops: 4,
      dropsBackpressure: 1,
      dropsNotConnected: 2,
    });
  });

  test('plans read as the status shows them', () => {
    expect(describePlan({ policy: 'relay', turnIndex: 2 })).toBe('relay#2');
    expect(describePlan({ policy: 'direct', turnIndex: 0 })).toBe('direct');
  });
});
