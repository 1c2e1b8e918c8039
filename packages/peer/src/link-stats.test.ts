import { describe, expect, test } from 'vitest';
import { LinkHealth } from './link-health.js';
import { activeStats, describePlan, LinkTraffic } from './link-stats.js';
import { DIRECT_PATH, fakeConnection } from './testing/fake-connection.js';

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

  test('send: a frame that went out is counted, a dropped one by its cause', () => {
    const t = new LinkTraffic();
    const conn = fakeConnection('a');
    expect(t.send(conn, Buffer.alloc(100), 1000)).toBe(true);
    expect(t.send(conn, Buffer.alloc(1001), 1000)).toBe(false);
    expect(t.send(null, Buffer.alloc(10), 1000)).toBe(false);
    conn.sendResult = 'backpressure';
    expect(t.send(conn, Buffer.alloc(10), 1000)).toBe(false);
    conn.sendResult = 'closed';
    expect(t.send(conn, Buffer.alloc(10), 1000)).toBe(false);
    expect(t.stats()).toMatchObject({
      txPackets: 1,
      txBytes: 100,
      drops: 4,
      dropsBackpressure: 1,
      dropsNotConnected: 2,
    });
    expect(t.oversize).toBe(1);
  });
});

describe('activeStats', () => {
  const health = new LinkHealth({ keepaliveIntervalMs: 500, pingTimeoutMs: 5000, remoteId: 'node-b' });

  test('the active generation’s path and queue, and the link’s health', () => {
    const conn = fakeConnection('a', { path: DIRECT_PATH });
    expect(activeStats(conn, health, 0)).toEqual({
      path: 'direct',
      localCandidateType: 'host',
      remoteCandidateType: 'srflx',
      remoteAddress: '203.0.113.5:40000',
      rttMs: null,
      lossPct: 0,
      packetPath: 'datachannel',
      pathLossPct: null,
      queuedBytes: 0,
    });
  });

  test('without an active generation every part of it is null', () => {
    expect(activeStats(null, health, 0)).toEqual({
      path: null,
      localCandidateType: null,
      remoteCandidateType: null,
      remoteAddress: null,
      rttMs: null,
      lossPct: 0,
      packetPath: null,
      pathLossPct: null,
      queuedBytes: null,
    });
  });
});
