import type { PathUnderTest } from '../types.js';

/** The underlay itself: kernel forwarding between the two hosts, no tunnel. */
export const rawPath: PathUnderTest = {
  id: 'raw',
  label: 'underlay (no tunnel)',
  layer: 'underlay',
  unavailable: async () => undefined,
  start: async (ctx) => ({ target: ctx.b.ip, daemonPids: () => [], stop: async () => undefined }),
};
