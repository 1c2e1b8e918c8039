import type { NetworkInfo, Welcome } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { parseMobilitySpec } from '../mobility/mobility-spec.js';
import { networkChange, optionsProblem } from './network-fit.js';

const L3 = { id: 'n1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 } as NetworkInfo;
const L2 = { ...L3, mode: 'l2' } as NetworkInfo;

function welcome(over: { network?: Partial<NetworkInfo>; addresses?: string[]; mac?: string } = {}): Welcome {
  return {
    network: { ...L3, ...over.network },
    self: {
      nodeId: 'self',
      name: 'self',
      addresses: over.addresses ?? ['10.99.0.1/24'],
      mac: over.mac ?? '02:00:00:00:00:01',
    },
  } as Welcome;
}

describe('optionsProblem', () => {
  test('exit nodes and mobility need L3; a mobility prefix may not overlap the overlay', () => {
    expect(optionsProblem({ exitNode: 'x' }, L2)).toMatch(/need an L3 network; lab is L2/);
    expect(optionsProblem({ advertiseExitNode: true }, L2)).toMatch(/need an L3 network/);
    expect(optionsProblem({ mobility: [parseMobilitySpec('br-a=10.50.0.0/24')] }, L2)).toMatch(
      /stretch the LAN/,
    );
    expect(optionsProblem({ mobility: [parseMobilitySpec('br-a=10.99.0.0/25')] }, L3)).toMatch(
      /overlaps the network/,
    );
    expect(
      optionsProblem({ exitNode: 'x', mobility: [parseMobilitySpec('br-a=10.50.0.0/24')] }, L3),
    ).toBeNull();
  });
});

describe('networkChange', () => {
  test('names what a running device depends on, and nothing else', () => {
    const w = welcome();
    expect(networkChange(w, welcome())).toBeNull();
    expect(networkChange(w, { ...welcome(), iceServers: [] } as Welcome)).toBeNull();
    expect(networkChange(w, welcome({ network: { id: 'n2' } }))).toBe('the network');
    expect(networkChange(w, welcome({ network: { mode: 'l2' } }))).toBe("the network's mode");
    expect(networkChange(w, welcome({ network: { cidr: '10.98.0.0/24' } }))).toBe(
      "the network's address range",
    );
    expect(networkChange(w, welcome({ network: { mtu: 1400 } }))).toBe("the network's MTU");
    expect(networkChange(w, welcome({ addresses: ['10.99.0.7/24'] }))).toBe("this node's addresses");
    expect(networkChange(w, welcome({ mac: '02:00:00:00:00:09' }))).toBe("this node's MAC");
  });
});
