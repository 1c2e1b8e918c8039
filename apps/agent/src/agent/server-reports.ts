import type { ClientMessage, LinkReport } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { NetcheckReport } from '../localapi/schema.js';
import { TelemetryReporter } from './telemetry-reporter.js';

/** Netcheck runs at most this often (a few STUN packets and a TURN allocation per transport). */
const NETCHECK_EVERY_MS = 10 * 60_000;
/** Counters per telemetry report (the protocol's record limit leaves room for the policy's). */
const MAX_FORWARDER_COUNTERS = 60;

export interface ServerReportsOptions {
  /** Sends to the server; false when the session is down. */
  send: (m: ClientMessage) => boolean;
  connected: () => boolean;
  netcheck: () => Promise<NetcheckReport>;
  /** Every link as the server's telemetry wants it, and the counters beside them. */
  links: () => LinkReport[];
  /** The forwarder's counters (the first MAX_FORWARDER_COUNTERS are sent) and the policy's (all). */
  counters: () => Record<string, number>;
  policyCounters: () => Record<string, number>;
  logger: Logger;
}

/**
 * What the agent tells the server about itself for the console: its links each interval (only what
 * changed, telemetry-reporter.ts) and its NAT behaviour (netcheck) after a session starts.
 */
export class ServerReports {
  private readonly telemetry = new TelemetryReporter();
  private lastNetcheckAt = Number.NEGATIVE_INFINITY;
  private netcheckRunning = false;

  constructor(private readonly o: ServerReportsOptions) {}

  /** A new session: it hears everything again (a full report), and a fresh netcheck if due. */
  sessionStarted(): void {
    this.telemetry.reset();
    this.reportNetcheck();
  }

  /** Once per telemetry interval. */
  tick(): void {
    // Changes while the server is away are not lost: the next session starts with a full report.
    if (!this.o.connected()) return;
    const links = this.o.links();
    const counters: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.o.counters()))
      if (Object.keys(counters).length < MAX_FORWARDER_COUNTERS) counters[k] = v;
    Object.assign(counters, this.o.policyCounters());
    for (const m of this.telemetry.report(links, counters, Date.now()))
      if (!this.o.send({ type: 'telemetry', ...m })) this.telemetry.reset();
  }

  private reportNetcheck(): void {
    const now = Date.now();
    if (this.netcheckRunning || now - this.lastNetcheckAt < NETCHECK_EVERY_MS) return;
    this.netcheckRunning = true;
    this.lastNetcheckAt = now;
    this.o
      .netcheck()
      .then((r) => {
        const turn = (t: 'udp' | 'tcp' | 'tls') => r.turn.find((x) => x.transport === t)?.ok ?? null;
        this.o.send({
          type: 'status',
          netcheck: {
            natType: r.natType,
            udp: r.udp,
            publicAddress: r.publicAddress,
            mappingVariesByDestination: r.mappingVariesByDestination,
            turnUdp: turn('udp'),
            turnTcp: turn('tcp'),
            turnTls: turn('tls'),
          },
        });
      })
      .catch((err: Error) => this.o.logger.warn({ err: err.message }, 'netcheck failed'))
      .finally(() => {
        this.netcheckRunning = false;
      });
  }
}
