// The Trust Center's access history in Chromium (issue 13): one player with 10,000 logged
// operations opens the history page; measured from the page asking for it to every line verified
// in the page (SDK, @noble SHA-256) and the list rendered, beside raw SHA-256 in the same browser
// (WebCrypto, 64-byte inputs) and the share of the page's time spent verifying.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.ts';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { benchVerity, concurrent, type Figure } from './core.ts';

const CHROMIUM = process.env['VERITY_CHROMIUM'] ?? '/usr/bin/chromium';

export async function benchTrustCenter(quick: boolean): Promise<Figure[]> {
  if (!existsSync(CHROMIUM)) {
    console.error(`bench: ${CHROMIUM} is missing, the Trust Center figures are skipped`);
    return [];
  }
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-trust-'));
  const v = await benchVerity(dir, 'trust', { unknownTypes: 'generic' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  let app: ReturnType<typeof buildServer> | undefined;
  try {
    const lines = 10_000;
    const access = { actor: 'service:world-1', purpose: 'service-provision' };
    const others = quick ? 0 : lines;
    await concurrent(lines + others, 256, (i) =>
      v.vault.put({ ...access, subject: i < lines ? 'player-0' : `player-${i}`, type: 'avatar.state', data: { i } }),
    );
    await buildWeb(join(dir, 'web'));
    const tokens = new Tokens(v.store, v.log);
    const sessions = new Sessions({ keys: v.keys, store: v.store, log: v.log, signInRecordTypes: ['avatar.state'] });
    app = buildServer({
      log: v.log,
      records: { vault: v.vault, tokens, sessions, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      reports: { store: v.store },
      web: { dir: join(dir, 'web') },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const service = await tokens.create({
      principal: 'platform',
      role: 'service',
      recordTypes: ['avatar.state'],
      capabilities: ['session.open'],
      actor: 'operator:bench',
    });
    const opened = await fetch(`${url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ player: 'player-0', purpose: 'authentication' }),
    });
    const session = (await opened.json()) as { token: string };
    const page = await browser.newPage();
    await page.goto(`${url}/trust/#/signin?session=${session.token}`);
    await page.getByRole('heading', { level: 1, name: 'My data' }).waitFor({ timeout: 120_000 });
    // Best of three: from the page asking for the history to every line verified and rendered.
    let best = Number.POSITIVE_INFINITY;
    let verifyMs = 0;
    let fetchMs = 0;
    let n = 0;
    for (let k = 0; k < 3; k++) {
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = '#/consent';
      });
      await page.getByRole('heading', { level: 1, name: 'Consent' }).waitFor();
      const t0 = Date.now();
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = '#/history';
      });
      const summary = page.getByTestId('history-summary');
      await summary.waitFor({ timeout: 120_000 });
      await page.locator('[data-testid=history-list] li.row').first().waitFor();
      const ms = Date.now() - t0;
      if (ms < best) {
        best = ms;
        verifyMs = Number(await summary.getAttribute('data-verify-ms'));
        fetchMs = Number(await summary.getAttribute('data-fetch-ms'));
        n = Number(await summary.getAttribute('data-lines'));
      }
    }
    // Raw SHA-256 of 64-byte inputs in the same browser (WebCrypto, 20,000 at a time).
    const raw = await page.evaluate(async () => {
      const c = (
        globalThis as unknown as { crypto: { subtle: { digest(a: string, d: Uint8Array): Promise<unknown> } } }
      ).crypto;
      const buf = new Uint8Array(64).fill(7);
      let done = 0;
      const start = performance.now();
      while (performance.now() - start < 500) {
        await Promise.all(Array.from({ length: 20_000 }, () => c.subtle.digest('SHA-256', buf)));
        done += 20_000;
      }
      return done / ((performance.now() - start) / 1000);
    });
    return [
      { name: 'trustHistoryLines', value: n, unit: 'lines' },
      { name: 'trustHistory10kMs', value: best, unit: 'ms' },
      { name: 'trustHistoryVerifyMs', value: verifyMs, unit: 'ms' },
      { name: 'trustHistoryFetchMs', value: fetchMs, unit: 'ms' },
      { name: 'trustHistoryVerifyShare', value: verifyMs / best, unit: 'ratio' },
      { name: 'browserRawSha256PerSec', value: raw, unit: 'hashes/s' },
    ];
  } finally {
    await browser.close();
    await app?.close();
    await v.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await benchTrustCenter(process.argv.includes('--quick')));
