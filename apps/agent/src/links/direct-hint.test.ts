import { describe, expect, test } from 'vitest';
import { parseDirectHintMessage } from './direct-hint.js';

describe('direct hint link message', () => {
  test('a valid message gives the port and hosts, without its kind', () => {
    expect(
      parseDirectHintMessage({ kind: 'direct-hint', port: 41730, hosts: ['192.168.1.5', 'fd00::5'] }),
    ).toEqual({ port: 41730, hosts: ['192.168.1.5', 'fd00::5'] });
  });

  test('another kind, a bad port, a host that is not an address or too many hosts are refused', () => {
    const ok = { kind: 'direct-hint', port: 41730, hosts: ['10.0.0.1'] };
    expect(parseDirectHintMessage({ ...ok, kind: 'other' })).toBeUndefined();
    expect(parseDirectHintMessage({ ...ok, port: 0 })).toBeUndefined();
    expect(parseDirectHintMessage({ ...ok, port: 65536 })).toBeUndefined();
    expect(parseDirectHintMessage({ ...ok, hosts: ['example.com'] })).toBeUndefined();
    expect(
      parseDirectHintMessage({ ...ok, hosts: Array.from({ length: 17 }, (_, i) => `10.0.0.${i}`) }),
    ).toBeUndefined();
    expect(parseDirectHintMessage(null)).toBeUndefined();
  });
});
