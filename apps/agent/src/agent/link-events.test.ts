import type { AgentEvent } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { describe, expect, test } from 'vitest';
import type { LinkEvent } from '../links/peer-links.js';
import { type LinkEventsOptions, linkEventHandler } from './link-events.js';

function handler(over: Partial<LinkEventsOptions> = {}) {
  const calls: string[] = [];
  const events: AgentEvent[] = [];
  const warnings: unknown[] = [];
  const handle = linkEventHandler({
    direct: () => ({ linkChanged: (id, up) => calls.push(`direct ${id} ${up}`) }),
    forwarder: () => ({ setLinkState: (id, up) => calls.push(`forwarder ${id} ${up}`) }),
    name: (id) => (id === 'n-b' ? 'bee' : id),
    onLinkChange: (p, up) => calls.push(`metrics ${p.id}=${p.name} ${up}`),
    sendEvent: (e) => events.push(e),
    logger: { warn: (o: unknown, msg: string) => warnings.push([o, msg]) } as unknown as Logger,
    raiseSocketBuffers: () => {
      calls.push('buffers');
    },
    ...over,
  });
  const on = (kind: LinkEvent['kind'], peerId = 'n-b') => handle(peerId, { kind, message: `${kind}!` });
  return { on, calls, events, warnings };
}

describe('linkEventHandler', () => {
  test('link up: buffers for the new sockets, direct signaling, forwarding and the metrics follow', () => {
    const h = handler();
    h.on('link-up');
    expect(h.calls).toEqual(['buffers', 'direct n-b true', 'forwarder n-b true', 'metrics n-b=bee true']);
    expect(h.events).toEqual([{ kind: 'link-up', message: 'link-up!', peerId: 'n-b' }]);
  });

  test('link down: forwarding and the metrics only', () => {
    const h = handler();
    h.on('link-down', 'n-c');
    expect(h.calls).toEqual(['forwarder n-c false', 'metrics n-c=n-c false']);
    expect(h.events).toEqual([{ kind: 'link-down', message: 'link-down!', peerId: 'n-c' }]);
  });

  test('a path change: new sockets and direct signaling, forwarding unchanged', () => {
    const h = handler();
    h.on('path-change');
    expect(h.calls).toEqual(['buffers', 'direct n-b false']);
  });

  test('a refused peer is only told to the server', () => {
    const h = handler();
    h.on('link-refused');
    expect(h.calls).toEqual([]);
    expect(h.events).toEqual([{ kind: 'link-refused', message: 'link-refused!', peerId: 'n-b' }]);
  });

  test('parts that do not exist yet are skipped; buffers that cannot be raised are said', () => {
    const h = handler({
      direct: () => undefined,
      forwarder: () => undefined,
      onLinkChange: undefined,
      raiseSocketBuffers: () => {
        throw new Error('EPERM');
      },
    });
    h.on('link-up');
    expect(h.calls).toEqual([]);
    expect(h.warnings).toEqual([[{ err: 'EPERM' }, 'cannot raise UDP socket buffers']]);
    expect(h.events).toHaveLength(1);
  });
});
