import type { Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { describe, expect, test } from 'vitest';
import type { MeshResolver } from '../dns/mesh-resolver.js';
import { type ResolverStartOptions, startResolver } from './resolver-start.js';

const WELCOME = {
  self: { nodeId: 'n-self', name: 'self', addresses: ['fd7a::1/64', '10.99.0.1/24'] },
  network: { id: 'net-1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 },
} as unknown as Welcome;

const RESOLVER = { status: () => ({}) } as unknown as MeshResolver;

function run(over: Partial<ResolverStartOptions> = {}, fails?: Error) {
  const started: Parameters<NonNullable<ResolverStartOptions['start']>>[0][] = [];
  const warnings: unknown[] = [];
  const logger = {
    child: (bindings: unknown) => ({ bindings }),
    warn: (o: unknown, msg: string) => warnings.push([o, msg]),
  } as unknown as Logger;
  const nodes = () => [{ name: 'self', addresses: ['10.99.0.1/24'] }];
  const result = startResolver({
    welcome: WELCOME,
    dnsSuffix: undefined,
    assignAddress: true,
    device: 'rtm0',
    nodes,
    logger,
    start: async (o) => {
      started.push(o);
      if (fails) throw fails;
      return RESOLVER;
    },
    ...over,
  });
  return { result, started, warnings, nodes };
}

describe('startResolver', () => {
  test('on the IPv4 overlay address, the network’s zone under the default suffix', async () => {
    const { result, started, nodes } = run();
    await expect(result).resolves.toBe(RESOLVER);
    expect(started).toEqual([
      {
        network: 'lab',
        suffix: 'rtcmesh.internal',
        device: 'rtm0',
        address: '10.99.0.1',
        logger: { bindings: { component: 'dns' } },
        nodes,
      },
    ]);
  });

  test('a suffix of its own', async () => {
    const { result, started } = run({ dnsSuffix: 'mesh.corp' });
    await result;
    expect(started[0]?.suffix).toBe('mesh.corp');
  });

  test('off with --no-dns, without an IPv4 address, or without an address on the device', async () => {
    const off = [
      run({ dnsSuffix: null }),
      run({ welcome: { ...WELCOME, self: { ...WELCOME.self, addresses: ['fd7a::1/64'] } } }),
      run({ assignAddress: false }),
    ];
    for (const r of off) {
      await expect(r.result).resolves.toBeUndefined();
      expect(r.started).toEqual([]);
    }
  });

  test('a resolver that cannot start is said and left out', async () => {
    const { result, warnings } = run({}, new Error('listen EADDRINUSE 10.99.0.1:53'));
    await expect(result).resolves.toBeUndefined();
    expect(warnings).toEqual([
      [
        { err: 'listen EADDRINUSE 10.99.0.1:53', address: '10.99.0.1' },
        'cannot answer DNS for the mesh; names are off',
      ],
    ]);
  });
});
