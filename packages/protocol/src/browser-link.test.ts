import { expect, test } from 'vitest';
import { parseClientMessage, parseServerMessage } from './parse.js';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0' } };

test('browser-signal parses both ways with a server-minted link id', () => {
  const c = parseClientMessage(
    JSON.stringify({ type: 'browser-signal', linkId: 'bl-abcdefgh12', data: offer }),
  );
  expect(c.ok).toBe(true);
  const s = parseServerMessage(
    JSON.stringify({ type: 'browser-signal', linkId: 'bl-abcdefgh12', data: offer }),
  );
  expect(s.ok).toBe(true);
});

test('a link id that is not a browser link id (a node id, too short, odd chars) is refused', () => {
  for (const linkId of ['n-abcdefgh', 'bl-short', 'bl-abc/../defgh', 'x'.repeat(80)]) {
    const r = parseClientMessage(JSON.stringify({ type: 'browser-signal', linkId, data: offer }));
    expect(r.ok, linkId).toBe(false);
  }
});
