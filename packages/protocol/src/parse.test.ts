import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ErrorCode } from './codes.js';
import { LIMITS } from './limits.js';
import { encodeMessage, parseClientMessage, parseServerMessage } from './parse.js';
import { negotiateVersion } from './version.js';

describe('parseClientMessage', () => {
  test('accepts a valid hello and signal', () => {
    const hello = parseClientMessage(JSON.stringify({ type: 'hello', versions: [1], nodeId: 'node-a' }));
    expect(hello).toEqual({ ok: true, message: { type: 'hello', versions: [1], nodeId: 'node-a' } });
    const offer = parseClientMessage(
      Buffer.from(
        encodeMessage({
          type: 'signal',
          to: 'node-b',
          data: { kind: 'description', gen: 'g1', description: { type: 'offer', sdp: 'v=0\r\n' } },
        }),
      ),
    );
    expect(offer.ok).toBe(true);
    const endOfCandidates = parseClientMessage(
      JSON.stringify({ type: 'signal', to: 'node-b', data: { kind: 'candidate', candidate: null } }),
    );
    expect(endOfCandidates.ok).toBe(true);
  });

  test.each([
    ['{not json', ErrorCode.BadJson],
    ['[1,2]', ErrorCode.BadMessage],
    ['"hello"', ErrorCode.BadMessage],
    ['{"versions":[1]}', ErrorCode.BadMessage],
    ['{"type":"launch-missiles"}', ErrorCode.UnknownType],
    ['{"type":"hello","versions":[],"nodeId":"node-a"}', ErrorCode.InvalidMessage],
    [
      '{"type":"signal","to":"node-b","data":{"kind":"description","description":{"type":"pranswer","sdp":"x"}}}',
      ErrorCode.InvalidMessage,
    ],
    ['{"type":"advertise","routes":[{"prefix":"10.0.0.0/33","seq":1}]}', ErrorCode.InvalidMessage],
  ])('rejects %s with %s', (raw, code) => {
    const r = parseClientMessage(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  test('echoes the id of a rejected message as ref', () => {
    const r = parseClientMessage('{"type":"nope","id":"req-7"}');
    expect(r).toMatchObject({ ok: false, code: ErrorCode.UnknownType, ref: 'req-7' });
  });

  test('rejects oversize input before parsing it', () => {
    const big = JSON.stringify({ type: 'ping', ts: 1, pad: 'x'.repeat(LIMITS.maxMessageBytes) });
    expect(parseClientMessage(big)).toMatchObject({ ok: false, code: ErrorCode.TooLarge });
  });

  test('rejects invalid UTF-8', () => {
    expect(parseClientMessage(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({
      ok: false,
      code: ErrorCode.BadJson,
    });
  });

  test('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        const r = parseClientMessage(input);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});

test('parseServerMessage reads an error with a known code', () => {
  const r = parseServerMessage('{"type":"error","code":"peer-offline","message":"x"}');
  expect(r.ok).toBe(true);
  expect(parseServerMessage('{"type":"error","code":"made-up","message":"x"}').ok).toBe(false);
});

test('version negotiation picks the highest common version or none', () => {
  expect(negotiateVersion([1, 2, 3], [1, 2])).toBe(2);
  expect(negotiateVersion([7], [1])).toBeNull();
});
