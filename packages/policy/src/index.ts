// @rtcmesh/policy: the network access policy (ACLs). The document and its validation (schema.ts,
// browser-safe), and the compiler that turns it into a per-node packet/frame filter.

export * from './browser-access.js';
export * from './compile.js';
export * from './flow-table.js';
export * from './schema.js';
export {
  type DstEntry,
  type HostSelector,
  type PortRanges,
  parseDst,
  parseHost,
  parsePorts,
} from './selectors.js';
export * from './verdict.js';
