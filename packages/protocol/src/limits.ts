/**
 * Limits shared by every implementation. The server enforces them (and rejects input beyond them with
 * an error code); clients should stay inside them so they never get rejected.
 */
export const LIMITS = {
  /** Largest WebSocket text message the server accepts, in bytes. Larger: error `too-large`, close 1009. */
  maxMessageBytes: 256 * 1024,
  /** Largest SDP in a `description`. */
  maxSdpBytes: 64 * 1024,
  /** Largest ICE candidate line. */
  maxCandidateBytes: 2048,
  /** Largest free-text field (names, reasons, event messages). */
  maxTextBytes: 512,
  /** Bindings (MAC + IPs) one node may advertise. */
  maxBindings: 256,
  /** IPs attached to one binding. */
  maxIpsPerBinding: 16,
  /** Routes one node may advertise. */
  maxRoutes: 256,
  /** Links in one telemetry report. */
  maxTelemetryLinks: 512,
  /** Keys in a free-form record (counters, event details, netcheck). */
  maxRecordKeys: 64,
  /** Protocol versions offered in one hello. */
  maxVersions: 16,
  /** Per-connection rate limit: sustained messages per second and burst size (token bucket). */
  rateLimitPerSecond: 200,
  rateLimitBurst: 1000,
  /** Seconds a client has between connect and a successful `auth`. */
  authTimeoutSeconds: 10,
} as const;
