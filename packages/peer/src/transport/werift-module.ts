import { createRequire } from 'node:module';

type Werift = typeof import('werift');
let loaded: Werift | undefined;

/**
 * werift, loaded on first call. Loading it blocks the event loop for 250-500 ms, so a process that
 * forwards packets loads it at start (the agent's run.ts) rather than on its first werift link;
 * it costs about 18 MB of RSS (a bare agent process went from 61 to 79 MB). Its CommonJS build is
 * required, so creating a werift connection stays synchronous; patches/werift@0.25.2.patch patches
 * the CommonJS files as well as lib/index.mjs.
 */
export function werift(): Werift {
  loaded ??= createRequire(import.meta.url)('werift') as Werift;
  return loaded;
}
