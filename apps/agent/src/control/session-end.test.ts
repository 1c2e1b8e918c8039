import { CloseCode } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { closeErrorText, describeRefusal, sessionEnd } from './session-end.js';

describe('session end', () => {
  test('a removed node stops for good, with the server reason or a default', () => {
    expect(sessionEnd(CloseCode.NodeRemoved, 'bye')).toEqual({ kind: 'removed', reason: 'bye' });
    expect(sessionEnd(CloseCode.NodeRemoved, '')).toEqual({
      kind: 'removed',
      reason: 'node removed by an admin',
    });
  });

  test('a replaced session and an unsupported version are fatal and say why', () => {
    const replaced = sessionEnd(CloseCode.SessionReplaced, '');
    expect(replaced.kind).toBe('fatal');
    expect(replaced.kind === 'fatal' && replaced.error.message).toMatch(/state directory shared/);
    const version = sessionEnd(CloseCode.UnsupportedVersion, 'server speaks 3');
    expect(version.kind === 'fatal' && version.error.message).toBe(
      'server speaks no protocol version we speak: server speaks 3',
    );
  });

  test('reconnect-elsewhere, and anything else reconnects', () => {
    expect(sessionEnd(CloseCode.ReconnectElsewhere, 'reconnect-elsewhere')).toEqual({ kind: 'elsewhere' });
    expect(sessionEnd(1006, '')).toEqual({ kind: 'reconnect' });
    expect(sessionEnd(CloseCode.Normal, '')).toEqual({ kind: 'reconnect' });
  });

  test('a close after open is reported, a normal close or one before open is not', () => {
    expect(closeErrorText(1011, 'internal', true)).toBe('closed 1011: internal');
    expect(closeErrorText(1006, '', true)).toBe('closed 1006');
    expect(closeErrorText(1006, '', false)).toBeNull();
    expect(closeErrorText(1000, '', true)).toBeNull();
    expect(closeErrorText(1005, '', true)).toBeNull();
  });

  test("the server's connection limits are named", () => {
    expect(describeRefusal(new Error('Unexpected server response: 429'))).toMatch(/per-address limit/);
    expect(describeRefusal(new Error('Unexpected server response: 503'))).toMatch(/--max-connections/);
    expect(describeRefusal(new Error('Unexpected server response: 500'))).toBeNull();
  });
});
