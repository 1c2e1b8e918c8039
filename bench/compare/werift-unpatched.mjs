// Preload (`node --import=<this file>`, also via NODE_OPTIONS) that resolves `werift` to the
// unpatched werift 0.25.2 of the pnpm store (node_modules/.pnpm/werift@0.25.2), so one run can
// measure rtcmesh before and after the werift patches (patches/werift@0.25.2.patch).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = join(root, 'node_modules/.pnpm/werift@0.25.2/node_modules/werift/lib/index.mjs');
if (!existsSync(entry)) throw new Error(`unpatched werift not found at ${entry}`);
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'werift') return { url: ${JSON.stringify(pathToFileURL(entry).href)}, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
