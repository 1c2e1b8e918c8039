import { expect, test } from 'vitest';
import { serverProtocol } from './index.js';

test('imports protocol from source', () => {
  expect(serverProtocol).toBe(1);
});
