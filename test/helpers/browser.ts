// Debian's Chromium for the browser tests (never a downloaded browser), launched the one way they
// all use it, with a CDP virtual authenticator for passkeys and axe-core for accessibility.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env['VERITY_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** What a test that needs the browser says when it is missing. */
export const CHROMIUM_MISSING = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)`;

/** Flags for a headless Chromium that talks to nothing but the server under test. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A persistent profile in `dir` (WebAuthn needs one); its first page. */
export async function launchChromium(
  dir: string,
  o: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...o,
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

/** WebAuthn through CDP for `page`, without any authenticator yet. */
export async function webAuthn(context: BrowserContext, page: Page): Promise<CDPSession> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  return cdp;
}

/** A platform authenticator with resident keys that verifies the user at once; its id. */
export async function addAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

/** axe-core's serious and critical violations in the page (axe's source already injected). */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; n: number }[]> {
  const r = (await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page's globals
    const a = (globalThis as any).axe;
    const res = await a.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] } });
    return res.violations.map((v: { id: string; impact: string; nodes: unknown[] }) => ({
      id: v.id,
      impact: v.impact,
      n: v.nodes.length,
    }));
  })) as { id: string; impact: string; n: number }[];
  return r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * A TypeScript entry bundled for browsers (esbuild, the `browser` condition) as one script that
 * defines `globalThis[globalName]`, for a page to add with `page.addScriptTag({ content })`.
 */
export async function bundleForBrowser(entry: string, globalName: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return (out.outputFiles[0] as { text: string }).text;
}
