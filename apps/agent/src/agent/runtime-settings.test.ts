import type { NetworkInfo, Route } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { Settings } from '../localapi/schema.js';
import type { SavedSettings } from '../state/state-dir.js';
import { RuntimeSettings, type SettableRoutes } from './runtime-settings.js';

const L3 = { id: 'n', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 } as NetworkInfo;

function setup(network: NetworkInfo | null = L3, save: 'ok' | 'fail' = 'ok') {
  const calls: string[] = [];
  const saved: SavedSettings[] = [];
  let accept = false;
  let advertised: string[] = [];
  const routes: SettableRoutes = {
    setAcceptRoutes: (a) => {
      if (accept === a) return false;
      accept = a;
      return true;
    },
    setAdvertiseRoutes: (p) => {
      if (p.join() === advertised.join()) return false;
      advertised = [...p];
      return true;
    },
    get advertiseRoutes() {
      return advertised;
    },
    own: (): Route[] => advertised.map((prefix) => ({ prefix, seq: 1 })),
  };
  const logger = pino({ level: 'silent' });
  const settings = new RuntimeSettings({
    network: () => network ?? undefined,
    routes: () => routes,
    setMobility: async (_n, specs) => {
      calls.push(`mobility:${specs.length}`);
    },
    ownRoutesChanged: (own) => calls.push(`own:${own.map((r) => r.prefix).join()}`),
    advertise: () => calls.push('advertise'),
    refreshPeers: () => calls.push('refresh'),
    setLogLevel: (l) => calls.push(`level:${l}`),
    current: () =>
      ({
        advertiseRoutes: advertised,
        acceptRoutes: accept,
        mobility: [],
        logLevel: 'info',
      }) as unknown as Settings,
    store: {
      writeSettings: async (s) => {
        if (save === 'fail') throw new Error('read-only file system');
        saved.push(s);
      },
    },
    logger,
  });
  return { settings, calls, saved };
}

describe('RuntimeSettings', () => {
  test('accept-routes: the peers are forwarded again; nothing happens for the value in force', async () => {
    const { settings, calls } = setup();
    await settings.apply({ acceptRoutes: true });
    await settings.apply({ acceptRoutes: true });
    expect(calls).toEqual(['refresh']);
  });

  test('advertised routes: own routes, an advertisement, the peers; kept for the next start', async () => {
    const { settings, calls, saved } = setup();
    const now = await settings.apply({ advertiseRoutes: ['10.1.0.0/24'], logLevel: 'debug' });
    expect(calls).toEqual(['level:debug', 'own:10.1.0.0/24', 'advertise', 'refresh']);
    expect(now.advertiseRoutes).toEqual(['10.1.0.0/24']);
    expect(saved.at(-1)).toMatchObject({ advertiseRoutes: ['10.1.0.0/24'], acceptRoutes: false });
  });

  test('a bad request changes nothing at all', async () => {
    const { settings, calls, saved } = setup();
    await expect(settings.apply({ logLevel: 'debug', advertiseRoutes: ['10.99.0.0/25'] })).rejects.toThrow(
      /overlaps the overlay/,
    );
    expect(calls).toEqual([]);
    expect(saved).toEqual([]);
  });

  test('before the first network map: refused as still starting', async () => {
    await expect(setup(null).settings.apply({ logLevel: 'debug' })).rejects.toThrow(/still starting/);
  });

  test('a save that fails is said, and the change stays in force', async () => {
    const { settings } = setup(L3, 'fail');
    const now = await settings.apply({ acceptRoutes: true });
    expect(now.acceptRoutes).toBe(true);
  });

  test('--mobility is handed over parsed', async () => {
    const { settings, calls } = setup();
    await settings.apply({ mobility: ['br-a=10.50.0.0/24'] });
    expect(calls).toEqual(['mobility:1']);
  });
});
