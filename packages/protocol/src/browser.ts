// Browser-safe part of the protocol (no node: imports): schemas, types, codes, parsing.
export * from './api.js';
export * from './browser-link.js';
export * from './browser-proxy.js';
export * from './client-messages.js';
export * from './codes.js';
export * from './common.js';
export * from './dns-names.js';
export * from './limits.js';
export * from './parse.js';
export * from './policy.js';
export * from './server-messages.js';
export * from './signal-data.js';
export * from './telemetry.js';
export * from './version.js';
