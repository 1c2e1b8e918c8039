import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts/console');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CONSOLE_BUILT = join(ROOT, 'apps/console/dist/index.html');

/** Undefined when the browser tests can run; else why not (throws under CI: no silent skips). */
export function browserSkipReason(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(CONSOLE_BUILT)) missing.push('apps/console/dist (pnpm run build)');
  if (missing.length === 0) return undefined;
  const reason = `browser test prerequisites missing: ${missing.join('; ')}`;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so this fails instead of skipping)`);
  return reason;
}

/**
 * Headless Debian chromium driven by playwright-core, with a fresh profile, started inside network
 * namespace `netns` (the lab's server namespace) so it reaches the server and the agents' ICE
 * candidates exactly as an operator's browser on the internet side would.
 */
export async function launchChromium(
  netns: string,
  extraArgs: readonly string[] = [],
): Promise<BrowserContext> {
  const dir = await mkdtemp(join(tmpdir(), 'rtm-chromium-'));
  const wrapper = join(dir, 'chromium-in-netns.sh');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${netns} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: wrapper,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Real host candidates instead of mDNS names (the agent's werift does not resolve .local).
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      ...extraArgs,
    ],
  });
}

/** Saves a full-page screenshot under test-artifacts/console/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
