import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one server instance (own registry, so several servers can live in one process). */
export class Metrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({
    name: 'rtcmesh_sessions',
    help: 'Authenticated WebSocket sessions',
    registers: [this.registry],
  });
  readonly connections = new Gauge({
    name: 'rtcmesh_connections',
    help: 'Open WebSocket connections (any state)',
    registers: [this.registry],
  });
  readonly messages = new Counter({
    name: 'rtcmesh_messages_total',
    help: 'Valid messages received from clients, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly relayed = new Counter({
    name: 'rtcmesh_signals_relayed_total',
    help: 'Signals delivered to a peer',
    registers: [this.registry],
  });
  readonly relayedOut = new Counter({
    name: 'rtcmesh_signals_forwarded_total',
    help: 'Signals forwarded over the bus to the instance holding the peer',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'rtcmesh_errors_total',
    help: 'Error replies sent to clients, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'rtcmesh_rejected_inputs_total',
    help: 'Rejected inputs (bad JSON, schema, size, rate, auth), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly joins = new Counter({
    name: 'rtcmesh_joins_total',
    help: 'Join attempts, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly limited = new Counter({
    name: 'rtcmesh_limit_hits_total',
    help: 'Requests refused by a limit (ws-sessions-per-ip, ws-handshakes-per-ip, ws-message-rate, ws-message-size, ws-slow-consumer, join-per-ip, join-per-key, rest-body-size, sign-in)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly agentEvents = new Counter({
    name: 'rtcmesh_agent_events_total',
    help: 'Events agents reported (link-up/down, path-change, mac-move, host-move, host-flap, acl-deny, route-refused, …), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly audited = new Counter({
    name: 'rtcmesh_audit_entries_total',
    help: 'Admin actions written to the audit log, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly authDuration = new Histogram({
    name: 'rtcmesh_auth_seconds',
    help: 'Time from hello to welcome',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  constructor(defaultMetrics: boolean) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
