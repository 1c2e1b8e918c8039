import type { Logger } from 'pino';
import { type ControlMessage, parseControlMessage } from './control-message.js';
import type { LinkConnection } from './link-connection.js';

/** What the control channel brings the link: pongs (for its health) and the agent's messages. */
export interface LinkControlHandlers {
  pong(id: number): void;
  message(body: unknown): void;
}

/**
 * What a link says on a generation's control channel (control-message.ts): pings and their pongs,
 * `caps` once per generation, and the agent's messages. Pings from the peer are answered here.
 */
export class LinkControl {
  private readonly capsSent = new WeakSet<LinkConnection>();

  constructor(
    private readonly log: Logger,
    private readonly on: LinkControlHandlers,
  ) {}

  /** A keepalive or explicit ping; false when the channel is not writable. */
  ping(conn: LinkConnection, id: number): boolean {
    return conn.sendControl(JSON.stringify({ t: 'ping', id } satisfies ControlMessage));
  }

  /** An agent message on `conn` (the active generation); false when there is none or it is not writable. */
  message(conn: LinkConnection | null, body: unknown): boolean {
    const text = JSON.stringify({ t: 'msg', body } satisfies ControlMessage);
    return conn?.sendControl(text) ?? false;
  }

  /**
   * Tells the peer this side receives frames on the packet track, once per generation: when it is open
   * and the track is keyed, whichever comes last.
   */
  sendCaps(conn: LinkConnection): void {
    if (!conn.isOpen || !conn.packetTrackReady() || this.capsSent.has(conn)) return;
    if (conn.sendControl(JSON.stringify({ t: 'caps', track: true } satisfies ControlMessage))) {
      this.capsSent.add(conn);
      this.log.debug({ gen: conn.gen }, 'packet track ready: told the peer');
    }
  }

  /** A control message arrived on `conn`. */
  receive(conn: LinkConnection, text: string): void {
    const msg = parseControlMessage(text);
    if (!msg) {
      this.log.debug('invalid control message ignored');
      return;
    }
    if (msg.t === 'ping') {
      conn.sendControl(JSON.stringify({ t: 'pong', id: msg.id } satisfies ControlMessage));
    } else if (msg.t === 'pong') {
      this.on.pong(msg.id);
    } else if (msg.t === 'caps') {
      conn.setPeerReceivesPacketTrack(msg.track);
      this.log.info({ gen: conn.gen, packetPath: conn.packetPath() }, 'packet path');
    } else {
      this.on.message(msg.body);
    }
  }
}
