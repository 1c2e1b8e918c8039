import type { NetworkInfo, Route } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { LocalApiError, type SetRequest, type Settings } from '../localapi/schema.js';
import type { MobilitySpec } from '../mobility/mobility-spec.js';
import type { SavedSettings } from '../state/state-dir.js';
import type { LogLevel } from './agent-logger.js';
import { checkSetRequest } from './set-request.js';

/** The routes settings `rtcmesh set` changes (overlay-routes.ts). */
export interface SettableRoutes {
  /** True when the setting changed. */
  setAcceptRoutes(accept: boolean): boolean;
  setAdvertiseRoutes(prefixes: readonly string[]): boolean;
  readonly advertiseRoutes: readonly string[];
  own(): Route[];
}

export interface RuntimeSettingsOptions {
  /** The running network; undefined while the agent is still starting. */
  network: () => NetworkInfo | undefined;
  routes: () => SettableRoutes | undefined;
  /** `rtcmesh set --mobility` (agent-mobility.ts). */
  setMobility: (network: NetworkInfo, specs: readonly MobilitySpec[]) => Promise<void>;
  /** This node's routes changed: the policy and the forwarder take them. */
  ownRoutesChanged: (own: Route[]) => void;
  advertise: () => void;
  /** Every peer into the forwarder and the kernel again (what this node accepts changed). */
  refreshPeers: () => void;
  /** Every component's logger follows (agent-logger.ts); absent: only this logger. */
  setLogLevel?: (level: LogLevel) => void;
  /** The settings in effect (what `rtcmesh set` answers and what is saved). */
  current: () => Settings;
  /** Where the changes are kept for the next start (the state directory). */
  store?: { writeSettings(s: SavedSettings): Promise<void> };
  logger: Logger;
}

/**
 * `rtcmesh set`: settings applied to the running agent, links up. The whole request is checked first
 * (set-request.ts), then each change applies in turn; what changed is kept in settings.json so the next
 * start applies it too (a save that fails is said; the change stays in force).
 */
export class RuntimeSettings {
  readonly #o: RuntimeSettingsOptions;

  constructor(options: RuntimeSettingsOptions) {
    this.#o = options;
  }

  async apply(req: SetRequest): Promise<Settings> {
    const o = this.#o;
    const network = o.network();
    if (!network) throw new LocalApiError('unavailable', 'agent is still starting');
    const { mobility } = checkSetRequest(req, network);
    if (req.logLevel) {
      if (o.setLogLevel) o.setLogLevel(req.logLevel);
      else o.logger.level = req.logLevel;
      o.logger.info({ level: req.logLevel }, 'log level changed');
    }
    const routes = o.routes();
    if (req.acceptRoutes !== undefined && routes?.setAcceptRoutes(req.acceptRoutes)) {
      o.logger.info({ acceptRoutes: req.acceptRoutes }, 'accept-routes changed');
      o.refreshPeers();
    }
    if (req.advertiseRoutes && routes?.setAdvertiseRoutes(req.advertiseRoutes)) {
      o.ownRoutesChanged(routes.own());
      o.logger.info({ routes: routes.advertiseRoutes }, 'advertised routes changed');
      o.advertise();
      o.refreshPeers();
    }
    if (mobility) await o.setMobility(network, mobility);
    const now = o.current();
    await o.store
      ?.writeSettings({
        ...(network.mode === 'l3'
          ? {
              advertiseRoutes: now.advertiseRoutes,
              acceptRoutes: now.acceptRoutes,
              ...(now.mobility ? { mobility: now.mobility } : {}),
            }
          : {}),
        logLevel: now.logLevel as LogLevel,
      })
      .catch((err: Error) =>
        o.logger.warn(
          { err: err.message },
          'the new settings apply now but could not be saved for the next start',
        ),
      );
    return now;
  }
}
