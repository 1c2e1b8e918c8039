import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import { mintTurnCredential } from './turn.js';

test('TURN REST credential: username expiry:nodeid, HMAC-SHA1 of it with the shared secret', () => {
  const c = mintTurnCredential('s3cret', 'node-a', 3600, 1_700_000_000_000);
  expect(c.username).toBe('1700003600:node-a');
  expect(c.expiresAt).toBe(1_700_003_600_000);
  // Same computation coturn does for use-auth-secret.
  expect(c.credential).toBe(createHmac('sha1', 's3cret').update('1700003600:node-a').digest('base64'));
  expect(Buffer.from(c.credential, 'base64')).toHaveLength(20);
});
