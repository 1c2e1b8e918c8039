import type { Logger } from 'pino';
import type { PathInfo } from './link-connection.js';
import { Listeners } from './listeners.js';
import type { LinkState } from './peer-link-options.js';

/**
 * Who hears what a link does: frames and control messages from the peer, state and path changes, and
 * its close. A listener that throws is logged, and the others still hear it.
 */
export class LinkEvents {
  readonly packet: Listeners<[Buffer]>;
  readonly control: Listeners<[unknown]>;
  readonly state: Listeners<[LinkState, LinkState]>;
  readonly path: Listeners<[PathInfo | null]>;
  readonly close: Listeners<[string]>;

  constructor(log: Logger) {
    const onError = (err: unknown) => log.error({ err }, 'listener threw');
    this.packet = new Listeners(onError);
    this.control = new Listeners(onError);
    this.state = new Listeners(onError);
    this.path = new Listeners(onError);
    this.close = new Listeners(onError);
  }

  /** The link closed (and said so): nobody hears anything more. */
  clear(): void {
    for (const l of [this.packet, this.control, this.state, this.path]) l.clear();
    this.close.clear();
  }
}
