import { expect, test } from 'vitest';
import { inPrefix4, mobileHosts, Store } from './store.js';

test('a node’s workload host routes are its /32s inside another prefix it advertises, not its own address', () => {
  const node = {
    addresses: ['10.99.0.2/24'],
    routes: [
      { prefix: '10.99.0.2/32', seq: 1 },
      { prefix: '10.50.0.0/24', seq: 1 },
      { prefix: '10.50.0.5/32', seq: 3 },
      { prefix: '10.50.0.6/32', seq: 1 },
      { prefix: '172.16.0.9/32', seq: 1 },
    ],
  };
  expect(mobileHosts(node)).toEqual(['10.50.0.5', '10.50.0.6']);
  expect(inPrefix4('10.50.0.255', '10.50.0.0/24')).toBe(true);
  expect(inPrefix4('10.50.1.0', '10.50.0.0/24')).toBe(false);
  expect(inPrefix4('10.50.1.0', '10.50.0.0/16')).toBe(true);
});

test('a browser session shows open from its node’s event, then closed with its bytes and duration', () => {
  const store = new Store();
  const details = { session: 'bs-abcdefgh12', principal: 'browser:admin', target: 'http://127.0.0.1:3000/' };
  const event = (state: 'open' | 'closed', more: Record<string, number> = {}) =>
    ({
      kind: 'agent-event',
      seq: 0,
      at: 1000,
      networkId: 'net-1',
      nodeId: 'n-web',
      event: { kind: 'browser-session', message: 'm', details: { ...details, state, ...more } },
    }) as const;
  store.apply(event('open'));
  expect(store.state.browserSessions.get('bs-abcdefgh12')).toMatchObject({ nodeId: 'n-web', state: 'open' });
  store.apply(event('closed', { bytesToBrowser: 5000, bytesFromBrowser: 40, durationS: 12 }));
  expect(store.state.browserSessions.get('bs-abcdefgh12')).toMatchObject({
    state: 'closed',
    bytesToBrowser: 5000,
    bytesFromBrowser: 40,
    durationS: 12,
    openedAt: 1000,
  });
});
