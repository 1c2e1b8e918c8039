import { describe, expect, it } from 'vitest';
import { RemoteCandidateTypes, selectedPath } from './selected-path.js';

const line = (ip: string, port: number, typ: string) =>
  `candidate:1 1 udp 2116026367 ${ip} ${port} typ ${typ} generation 0`;

describe('selectedPath', () => {
  it('is relayed when either end is a relay candidate, direct otherwise', () => {
    expect(selectedPath('host', 'srflx', '192.0.2.1:5000')).toEqual({
      path: 'direct',
      localCandidateType: 'host',
      remoteCandidateType: 'srflx',
      remoteAddress: '192.0.2.1:5000',
    });
    expect(selectedPath('relay', 'host', '[2001:db8::1]:3478').path).toBe('relay');
    expect(selectedPath('host', 'relay', '198.51.100.1:49152').path).toBe('relay');
    expect(selectedPath('prflx', 'prflx', '192.0.2.1:5000').path).toBe('direct');
  });
});

describe('RemoteCandidateTypes', () => {
  it('names a peer-reflexive remote end by the type it was signalled with (IPv4 and IPv6)', () => {
    const types = new RemoteCandidateTypes();
    types.add(line('192.0.2.1', 5000, 'srflx'));
    types.add(`a=${line('2001:db8::1', 6000, 'relay')}`);
    expect(types.typeOf('192.0.2.1:5000', 'prflx')).toBe('srflx');
    expect(types.typeOf('[2001:db8::1]:6000', 'prflx')).toBe('relay');
    // Another port, or a type that is not prflx: as reported.
    expect(types.typeOf('192.0.2.1:5001', 'prflx')).toBe('prflx');
    expect(types.typeOf('192.0.2.1:5000', 'host')).toBe('host');
  });

  it('ignores lines that are not candidates and remembers at most 64', () => {
    const types = new RemoteCandidateTypes();
    types.add('not a candidate');
    expect(types.typeOf('undefined:NaN', 'prflx')).toBe('prflx');
    for (let i = 0; i < 70; i++) types.add(line('192.0.2.1', 1000 + i, 'srflx'));
    expect(types.typeOf('192.0.2.1:1063', 'prflx')).toBe('srflx');
    expect(types.typeOf('192.0.2.1:1064', 'prflx')).toBe('prflx');
  });
});
