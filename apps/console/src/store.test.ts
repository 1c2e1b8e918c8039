import { expect, test } from 'vitest';
import { inPrefix4, mobileHosts } from './store.js';

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
