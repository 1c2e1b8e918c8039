// @rtcmesh/dataplane: packet parsing and the two forwarding engines (L2 learning switch, L3 router).
// Pure TypeScript, no I/O: engines take frames/packets and return decisions.

export * from './addr/ip.js';
export * from './addr/mac.js';
export * from './builders/echo-reply.js';
export * from './builders/frames.js';
export * from './builders/replies.js';
export * from './checksum.js';
export * from './l2/bindings.js';
export * from './l2/l2-switch.js';
export * from './l2/mac-table.js';
export * from './l3/l3-router.js';
export * from './l3/route-table.js';
export * from './mss-clamp.js';
export * from './parse/arp.js';
export * from './parse/dhcp.js';
export * from './parse/ethernet.js';
export * from './parse/ipv4.js';
export * from './parse/ipv6.js';
export * from './parse/ndp.js';
export * from './parse/transport.js';
export * from './ports.js';
