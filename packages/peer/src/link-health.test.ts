import { describe, expect, test } from 'vitest';
import { LinkHealth } from './link-health.js';

const health = () => new LinkHealth({ keepaliveIntervalMs: 500, pingTimeoutMs: 200, remoteId: 'node-b' });

describe('LinkHealth', () => {
  test('a ping resolves with its round trip and the path at the time of the pong', async () => {
    const h = health();
    let sent = -1;
    const p = h.ping(
      (id) => {
        sent = id;
        return true;
      },
      () => 'direct',
      1000,
    );
    h.onPong(sent, 1012.5);
    await expect(p).resolves.toEqual({ rttMs: 12.5, path: 'direct' });
    expect(h.rttMs).toBe(12.5);
  });

  test('a ping waiting when the link closes is rejected at once, not left hanging', async () => {
    const h = health();
    const p = h.ping(
      () => true,
      () => null,
      0,
    );
    h.rejectPings('remote bye');
    await expect(p).rejects.toThrow(/ping to node-b failed: remote bye/);
    expect(h.pendingPings).toBe(0);
  });

  test('a ping that cannot be sent fails; one never answered times out', async () => {
    const h = health();
    await expect(
      h.ping(
        () => false,
        () => null,
        0,
      ),
    ).rejects.toThrow(/not writable/);
    await expect(
      h.ping(
        () => true,
        () => null,
        0,
      ),
    ).rejects.toThrow(/timed out/);
  });

  test('silence and keepalive loss', () => {
    const h = health();
    h.markAlive(0);
    const ids: number[] = [];
    for (let t = 0; t < 10; t++)
      h.keepalive((id) => {
        ids.push(id);
        return true;
      }, t * 500);
    // Every other keepalive answered: 5 answered, 4 lost, the last one too young to count yet.
    for (const [i, id] of ids.entries()) if (i % 2 === 0) h.onPong(id, i * 500 + 20);
    expect(h.keepaliveLossPct(5000)).toBe(44.4);
    expect(h.silentMs(5000)).toBe(5000 - (8 * 500 + 20));
  });

  test('packet-track loss between the oldest sample of a connection and now', () => {
    const h = health();
    const conn = {};
    h.sampleTrack(conn, { rxPackets: 100, rxExpected: 100 });
    expect(h.trackLossPct(conn, { rxPackets: 190, rxExpected: 200 })).toBe(10);
    expect(h.trackLossPct({}, { rxPackets: 0, rxExpected: 0 })).toBeNull();
  });
});
