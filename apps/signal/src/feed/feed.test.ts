import type { LinkReport } from '@rtcmesh/protocol';
import { describe, expect, it } from 'vitest';
import { Feed } from './feed.js';

const link = (i: number): LinkReport => ({
  peerId: `n-${i}`,
  state: 'connected',
  path: 'direct',
  lossPct: 0,
  txBytes: 0,
  rxBytes: 0,
  txPackets: 0,
  rxPackets: 0,
  drops: 0,
  since: 0,
});

describe('Feed', () => {
  it('replays events after a sequence number, and at most `capacity` of them', () => {
    const feed = new Feed(3);
    for (let i = 0; i < 5; i++)
      feed.publish({ kind: 'presence', networkId: 'net-1', nodeId: `n-${i}`, online: true });
    expect(feed.since(0).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(feed.since(4).map((e) => e.seq)).toEqual([5]);
  });

  it('keeps big telemetry reports within its byte budget, newest first, and still delivers them live', () => {
    const feed = new Feed(1000, 1024 * 1024);
    let live = 0;
    feed.subscribe(() => live++);
    const links = Array.from({ length: 512 }, (_, i) => link(i));
    for (let i = 0; i < 100; i++)
      feed.publish({ kind: 'telemetry', networkId: 'net-1', nodeId: 'n-a', links });
    expect(live).toBe(100);
    const kept = feed.since(0);
    // 512 links ≈ 160 KiB each by the estimate: a 1 MiB budget keeps the newest 6.
    expect(kept.length).toBeLessThan(10);
    expect(kept.at(-1)?.seq).toBe(100);
  });
});
