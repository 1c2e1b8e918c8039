import type { Binding, ClientMessage, Route } from '@rtcmesh/protocol';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Announcer } from './announcer.js';

const BINDING = { mac: '02:00:00:00:00:09', ip: '10.99.0.9', seq: 1 } as unknown as Binding;
const ROUTE: Route = { prefix: '10.5.0.0/24', seq: 3 };

function announcer(mode: 'l2' | 'l3' | null, routes: Route[] | null = [ROUTE]) {
  const sent: ClientMessage[] = [];
  const a = new Announcer({
    send: (m) => {
      sent.push(m);
      return true;
    },
    plane: () => (mode ? { forwarder: { mode }, localBindings: () => [BINDING] } : undefined),
    ownRoutes: () => routes ?? undefined,
  });
  return { a, sent };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Announcer', () => {
  test('L2 advertises the bindings learned on the device, L3 its routes', () => {
    const l2 = announcer('l2');
    l2.a.advertise();
    expect(l2.sent).toEqual([{ type: 'advertise', bindings: [BINDING] }]);
    const l3 = announcer('l3');
    l3.a.advertise();
    expect(l3.sent).toEqual([{ type: 'advertise', routes: [ROUTE] }]);
    const noRoutes = announcer('l3', null);
    noRoutes.a.advertise();
    expect(noRoutes.sent).toEqual([{ type: 'advertise', routes: [] }]);
  });

  test('nothing before the data plane is open', () => {
    const { a, sent } = announcer(null);
    a.advertise();
    expect(sent).toEqual([]);
  });

  test('a burst of changes is one advertisement', () => {
    vi.useFakeTimers();
    const { a, sent } = announcer('l2');
    a.advertiseSoon();
    a.advertiseSoon();
    a.advertiseSoon();
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
    a.advertiseSoon();
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(2);
  });

  test('stop() drops a pending advertisement', () => {
    vi.useFakeTimers();
    const { a, sent } = announcer('l2');
    a.advertiseSoon();
    a.stop();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });

  test('events go to the server as they are', () => {
    const { a, sent } = announcer(null);
    a.event({ kind: 'key-rotated', message: 'node key rotated' });
    expect(sent).toEqual([{ type: 'event', event: { kind: 'key-rotated', message: 'node key rotated' } }]);
  });
});
