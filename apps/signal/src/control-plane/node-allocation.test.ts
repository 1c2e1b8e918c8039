import { expect, test } from 'vitest';
import { uniqueName } from './node-allocation.js';

test('a name taken as a name or as a DNS label gets the next free suffix', () => {
  expect(uniqueName(new Set(['db']), 'web')).toBe('web');
  expect(uniqueName(new Set(['web']), 'web')).toBe('web-2');
  expect(uniqueName(new Set(['web', 'web-2']), 'web')).toBe('web-3');
  // `Web` answers as `web`, `db.eu` as `db-eu`: one label, one node.
  expect(uniqueName(new Set(['web']), 'Web')).toBe('Web-2');
  expect(uniqueName(new Set(['db-eu']), 'db.eu')).toBe('db.eu-2');
});
