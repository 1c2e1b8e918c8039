import { LIMITS, type LinkReport } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { TelemetryReporter } from './telemetry-reporter.js';

function link(i: number, over: Partial<LinkReport> = {}): LinkReport {
  return {
    peerId: `node-${String(i).padStart(4, '0')}`,
    state: 'connected',
    path: 'direct',
    rttMs: 20,
    txBytes: 0,
    rxBytes: 0,
    txPackets: 0,
    rxPackets: 0,
    drops: 0,
    since: 1,
    ...over,
  };
}

describe('TelemetryReporter', () => {
  test('a full report first, then only what changed; idle links cost nothing', () => {
    const r = new TelemetryReporter();
    const links = [link(1), link(2), link(3)];
    const first = r.report(links, { framesIn: 1 }, 0);
    expect(first).toHaveLength(1);
    expect(first[0]?.partial).toBeUndefined();
    expect(first[0]?.links).toHaveLength(3);
    // Nothing moved (RTT jitter below the threshold): nothing to send.
    expect(r.report([link(1), link(2, { rttMs: 20.5 }), link(3)], { framesIn: 1 }, 5000)).toEqual([]);
    // Traffic on one link, a path change on another, a third gone.
    const next = r.report(
      [link(1, { txPackets: 10, txBytes: 900 }), link(2, { path: 'relay' })],
      { framesIn: 1 },
      10_000,
    );
    expect(next).toEqual([
      {
        links: [link(1, { txPackets: 10, txBytes: 900 }), link(2, { path: 'relay' })],
        partial: true,
        gone: ['node-0003'],
      },
    ]);
  });

  test('counters are sent when they change', () => {
    const r = new TelemetryReporter();
    r.report([link(1)], { framesIn: 1 }, 0);
    expect(r.report([link(1)], { framesIn: 2 }, 5000)).toEqual([
      { links: [], partial: true, counters: { framesIn: 2 } },
    ]);
  });

  test('a new session gets a full report again', () => {
    const r = new TelemetryReporter();
    r.report([link(1)], undefined, 0);
    r.reset();
    const again = r.report([link(1)], undefined, 5000);
    expect(again[0]?.partial).toBeUndefined();
    expect(again[0]?.links).toHaveLength(1);
  });

  test('a full report larger than the protocol allows is split: the first replaces, the rest update', () => {
    const r = new TelemetryReporter();
    const many = Array.from({ length: LIMITS.maxTelemetryLinks + 10 }, (_, i) => link(i));
    const msgs = r.report(many, undefined, 0);
    expect(msgs.map((m) => [m.links.length, m.partial ?? false])).toEqual([
      [LIMITS.maxTelemetryLinks, false],
      [10, true],
    ]);
  });
});
