import { createRequire } from 'node:module';

type Werift = typeof import('werift');
let loaded: Werift | undefined;

/**
 * werift, loaded on first use. A host whose links all run on libdatachannel (the default where it
 * loads) never needs werift, and importing it costs about 18 MB of RSS (measured: a bare agent
 * process went from 61 to 79 MB when it imported werift). Its CommonJS build is required, so
 * creating a werift connection stays synchronous; patches/werift@0.25.2.patch patches the CommonJS
 * files as well as lib/index.mjs.
 */
export function werift(): Werift {
  loaded ??= createRequire(import.meta.url)('werift') as Werift;
  return loaded;
}
