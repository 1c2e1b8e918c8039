import { describe, expect, it } from 'vitest';
import { CandidateAddressFilter, candidateAddress, candidateType } from './address-filter.js';

const line = (ip: string, typ = 'host') => `candidate:1 1 udp 2116026367 ${ip} 5000 typ ${typ} generation 0`;

describe('CandidateAddressFilter', () => {
  it('excludes addresses inside the overlay CIDRs (IPv4, IPv6, mapped, zoned)', () => {
    const f = new CandidateAddressFilter({ excludeCidrs: ['100.64.0.0/10', 'fd7a:115c::/48', '10.9.9.9'] });
    expect(f.isExcluded('100.64.1.2')).toBe(true);
    expect(f.isExcluded('100.128.0.1')).toBe(false);
    expect(f.isExcluded('::ffff:100.64.0.9')).toBe(true);
    expect(f.isExcluded('fd7a:115c::1%eth0')).toBe(true);
    expect(f.isExcluded('fd7a:115d::1')).toBe(false);
    expect(f.isExcluded('10.9.9.9')).toBe(true);
    expect(f.isExcluded('abcd.local')).toBe(false);
    expect(f.isCandidateExcluded(line('100.64.0.1'))).toBe(true);
    expect(f.isCandidateExcluded(`a=${line('192.0.2.1')}`)).toBe(false);
  });

  it('excludes the addresses of named interfaces (prefix patterns)', () => {
    const f = new CandidateAddressFilter({ excludeInterfaces: ['l*'] });
    expect(f.isExcluded('127.0.0.1')).toBe(true);
    const none = new CandidateAddressFilter({ excludeInterfaces: ['rtcmesh*'] });
    expect(none.isExcluded('127.0.0.1')).toBe(false);
  });

  it('strips excluded candidates from SDP and from the extra host list', () => {
    const f = new CandidateAddressFilter({
      excludeCidrs: ['100.64.0.0/10'],
      additionalHostAddresses: ['100.64.0.5', '10.0.0.1'],
    });
    const sdp = ['v=0', `a=${line('100.64.0.5')}`, `a=${line('10.0.0.1')}`, 'a=end-of-candidates', ''].join(
      '\r\n',
    );
    expect(f.filterSdp(sdp)).toBe(['v=0', `a=${line('10.0.0.1')}`, 'a=end-of-candidates', ''].join('\r\n'));
    expect(f.hostAddresses()).toEqual(['10.0.0.1']);
  });

  it('rejects invalid configuration and keeps the old policy', () => {
    expect(() => new CandidateAddressFilter({ excludeCidrs: ['10.0.0.0/33'] })).toThrow(/prefix/);
    expect(() => new CandidateAddressFilter({ excludeCidrs: ['nope/8'] })).toThrow(/address/);
    expect(() => new CandidateAddressFilter({ additionalHostAddresses: ['host'] })).toThrow(/address/);
    const f = new CandidateAddressFilter({ excludeCidrs: ['10.0.0.0/8'] });
    expect(() => f.update({ excludeCidrs: ['bad'] })).toThrow();
    expect(f.isExcluded('10.1.1.1')).toBe(true);
  });

  it('parses candidate address and type', () => {
    expect(candidateAddress(line('1.2.3.4', 'srflx'))).toBe('1.2.3.4');
    expect(candidateType(line('1.2.3.4', 'relay'))).toBe('relay');
    expect(candidateAddress('garbage')).toBeUndefined();
  });
});
