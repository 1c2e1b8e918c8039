/** Error codes carried by `error` messages and REST error bodies (`{ error: { code, message } }`). */
export const ErrorCode = {
  /** The message is not valid JSON. */
  BadJson: 'bad-json',
  /** The JSON is not an object with a string `type`. */
  BadMessage: 'bad-message',
  /** `type` is not a message this version knows. */
  UnknownType: 'unknown-type',
  /** The message has a known type but fails its schema (details in `message`). */
  InvalidMessage: 'invalid-message',
  /** The message is larger than LIMITS.maxMessageBytes. */
  TooLarge: 'too-large',
  /** The connection sends faster than the rate limit; the message was dropped. */
  RateLimited: 'rate-limited',
  /** No protocol version in common. */
  UnsupportedVersion: 'unsupported-version',
  /** The message is not allowed in the current session state (e.g. `signal` before `auth`). */
  ProtocolViolation: 'protocol-violation',
  /** Authentication failed: unknown node, bad or replayed signature. Deliberately one code for all. */
  AuthFailed: 'auth-failed',
  /** No `auth` arrived in time. */
  AuthTimeout: 'auth-timeout',
  /** The node was removed by an admin. */
  NodeRemoved: 'node-removed',
  /** The addressed peer does not exist in the sender's network (other networks look the same as absent). */
  PeerNotFound: 'peer-not-found',
  /** The addressed peer exists but has no live session. */
  PeerOffline: 'peer-offline',
  /** An advertisement is invalid (bad CIDR, host route that is not /32 or /128, over a count limit). */
  InvalidAdvertisement: 'invalid-advertisement',
  // REST / join
  /** Missing or wrong admin token. */
  Unauthorized: 'unauthorized',
  /** Resource not found (network, key, node). */
  NotFound: 'not-found',
  /** A resource with that name exists already. */
  Conflict: 'conflict',
  /** Join key unknown or malformed. */
  InvalidKey: 'invalid-key',
  /** Join key past its expiry. */
  KeyExpired: 'key-expired',
  /** Join key revoked by an admin. */
  KeyRevoked: 'key-revoked',
  /** Single-use join key already used. */
  KeyUsed: 'key-used',
  /** The public key belongs to a removed node, or to a node of another network. */
  PublicKeyRejected: 'public-key-rejected',
  /** The network's address pool is full. */
  AddressPoolExhausted: 'address-pool-exhausted',
  /** Signed in with a console session but the CSRF header is missing (state-changing request). */
  Forbidden: 'forbidden',
  /** The other side did not answer in time (browser link: the agent did not answer the offer). */
  Timeout: 'timeout',
  /** A limit on concurrent things was reached (browser links per agent); try again later. */
  Busy: 'busy',
  /** This source address has too many WebSocket connections open (`--max-sessions-per-ip`). HTTP 429 on upgrade. */
  TooManySessions: 'too-many-sessions',
  /** This source address has too many WebSocket connections not yet authenticated. HTTP 429 on upgrade. */
  TooManyHandshakes: 'too-many-handshakes',
  /** The server holds as many WebSocket connections as it is configured for (`--max-connections`). */
  ServerFull: 'server-full',
  /** Server-side failure; nothing the client did. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/**
 * WebSocket close codes. 1000/1001/1009 are standard; 4000-4999 are ours.
 * A client should reconnect (with backoff) after every code except NodeRemoved and UnsupportedVersion.
 */
export const CloseCode = {
  Normal: 1000,
  /** The server is going away for a restart or shutdown; reconnect with backoff. */
  ServerShutdown: 1001,
  /** The message exceeded LIMITS.maxMessageBytes. */
  MessageTooBig: 1009,
  /** Malformed messages or a state violation. */
  ProtocolError: 4000,
  /** No common protocol version: do not retry with the same build. */
  UnsupportedVersion: 4001,
  /** Authentication failed. */
  AuthFailed: 4002,
  /** No authentication within LIMITS.authTimeoutSeconds. */
  AuthTimeout: 4003,
  /** The node was removed by an admin; its key will never be accepted again: do not reconnect. */
  NodeRemoved: 4004,
  /** Another session authenticated as the same node; this one is closed. */
  SessionReplaced: 4005,
  /** The connection kept flooding past the rate limit. */
  RateLimited: 4006,
  /** The client does not read its messages: the server's send buffer for it overflowed. */
  SlowConsumer: 4007,
  /**
   * This server instance is shutting down (or draining) while others serve the same mesh: connect to
   * another configured server URL at once, without backoff. A client with one URL treats it as
   * ServerShutdown (reconnect with backoff).
   */
  ReconnectElsewhere: 4008,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
