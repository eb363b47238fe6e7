// The SDK in a real browser (Debian's Chromium, driven by playwright-core): bundled for browsers
// (esbuild, `browser` condition, so `#platform` is the @noble/WebCrypto one), it writes and reads
// through a real Verity server and verifies signatures and proofs in the page, and it refuses a
// tampered answer there as it does in Node.js.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Attester } from '../src/attestation/index.ts';
import { manifestText, measure, type ReleaseManifest } from '../src/boot/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
import { bundleForBrowser, CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, HAVE_CHROMIUM } from './helpers/browser.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { serveCore } from './helpers/server.ts';

/** The SDK as a browser script defining `globalThis.Verity`. */
function bundleSdk(): Promise<string> {
  return bundleForBrowser(join(import.meta.dirname, '..', 'src', 'sdk', 'index.ts'), 'Verity');
}

// Without Chromium the suite is skipped and this one test fails, saying what to install (a `before`
// hook that throws would leave the tests cancelled with "fail 0" in the summary).
it('finds the browser the browser tests need', () => {
  assert.ok(HAVE_CHROMIUM, CHROMIUM_MISSING);
});

describe('SDK in a browser', { skip: HAVE_CHROMIUM ? false : CHROMIUM_MISSING }, () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let token: string;
  let browser: Browser;
  let page: Page;
  let bundle: string;
  let attester: Attester;
  let measurement: string;

  before(async () => {
    core = await makeCore('sqlite');
    // A measured boot of a small release manifest (secure boot itself is tested end to end, on a
    // signed release of this checkout, in test/secure-boot.test.ts): here the page appraises it.
    const manifest: ReleaseManifest = {
      version: '0.0.0-browser-test',
      covers: [{ group: 'code', path: 'src' }],
      files: [{ path: 'src/verity/index.ts', group: 'code', kind: 'file', digest: 'ab'.repeat(32) }],
    };
    const m = measure(manifestText(manifest), manifest);
    measurement = m.value;
    attester = await Attester.start({ log: core.log, keys: core.keys, measurement: m, runtime: 'node test' });
    ({ app, url, token } = await serveCore(
      core,
      { principal: 'web-shop', recordTypes: ['profile'] },
      { reports: { store: core.store }, attestation: attester },
    ));
    bundle = await bundleSdk();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = await browser.newPage();
    // The page is served by Verity itself, so the SDK's requests are same-origin.
    await page.goto(`${url}/docs`);
    await page.addScriptTag({ content: bundle });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await core?.dispose();
  });

  it('bundles without any Node.js module', () => {
    assert.doesNotMatch(bundle, /require\("node:|from "node:|node:crypto|node:buffer/);
    assert.match(bundle, /noble/);
  });

  it('writes, reads and verifies records and checkpoints in the page', async () => {
    const result = await page.evaluate(
      async ({ token, verifierKey }) => {
        const { VerityClient } = (globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }).Verity;
        const location = (globalThis as unknown as { location: { origin: string } }).location;
        const c = new VerityClient({ url: location.origin, token, verifierKey, origin: 'verity.test/log' });
        const first = await c.checkpoint();
        const w = await c.putRecord({
          subject: 'shopper-1',
          type: 'profile',
          purpose: 'service-provision',
          data: { name: 'Ada', level: 7 },
        });
        const r = await c.getRecord(w.id, { purpose: 'service-provision' });
        const later = await c.checkpoint();
        return { data: r.data, first: first.size, proven: r.checkpoint.size, later: later.size, id: w.id };
      },
      { token, verifierKey: core.log.verifierKey },
    );
    assert.deepEqual(result.data, { name: 'Ada', level: 7 });
    assert.ok(result.proven > result.first);
    assert.ok(result.later >= result.proven);
    // What the page verified is what the server holds.
    assert.equal((await core.vault.describe(result.id))?.version, 1);
  });

  it('appraises the server in the page before it sends a record, and sends nothing to an unknown measurement', async () => {
    const outcome = await page.evaluate(
      async ({ token, verifierKey, attestationKey, measurement }) => {
        const { VerityClient, pinnedAttestation } = (
          globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }
        ).Verity;
        const location = (globalThis as unknown as { location: { origin: string } }).location;
        const client = (referenceValues: string[]) =>
          new VerityClient({
            url: location.origin,
            token,
            verifierKey,
            origin: 'verity.test/log',
            attestation: { appraise: pinnedAttestation({ referenceValues, verifierKey: attestationKey }) },
          });
        const record = { subject: 'shopper-att', type: 'profile', purpose: 'service-provision', data: { name: 'Cy' } };
        const ok = await client([measurement]).putRecord(record);
        let refused = 'sent';
        try {
          await client(['cd'.repeat(32)]).putRecord({ ...record, subject: 'shopper-unattested' });
        } catch (e) {
          refused = String((e as { code?: string }).code);
        }
        return { id: ok.id, refused };
      },
      { token, verifierKey: core.log.verifierKey, attestationKey: attester.attestationKey, measurement },
    );
    assert.equal(outcome.refused, 'VERITY_E_ATTESTATION_MEASUREMENT');
    assert.equal((await core.vault.describe(outcome.id))?.version, 1);
    // The refused record never reached the server.
    const listed = await core.vault.listBySubject('shopper-unattested', {
      actor: 'operator:test',
      purpose: 'service-provision',
    });
    assert.equal(listed.length, 0);
  });

  it('refuses, in the page, a record whose data was altered on the way', async () => {
    const w = await core.vault.put({
      actor: 'service:web-shop',
      subject: 'shopper-2',
      type: 'profile',
      purpose: 'service-provision',
      data: { name: 'Bo' },
    });
    await page.route(`**/v1/records/${w.id}?*`, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { data: { name: string } };
      body.data.name = 'Mallory';
      await route.fulfill({ response: res, json: body });
    });
    const outcome = await page.evaluate(
      async ({ token, verifierKey, id }) => {
        const { VerityClient } = (globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }).Verity;
        const location = (globalThis as unknown as { location: { origin: string } }).location;
        const c = new VerityClient({ url: location.origin, token, verifierKey, origin: 'verity.test/log' });
        try {
          await c.getRecord(id, { purpose: 'service-provision' });
          return 'accepted';
        } catch (e) {
          return String((e as { code?: string }).code);
        }
      },
      { token, verifierKey: core.log.verifierKey, id: w.id },
    );
    assert.equal(outcome, 'VERITY_E_LOG_TAMPERED');
  });

  it('works from a page on another web origin only when the server allows that origin (CORS)', async () => {
    // The platform's page: another origin (a different port), served by a plain HTTP server.
    const site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>world</title>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const open = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
      },
      corsOrigins: [siteOrigin],
    });
    const openUrl = await open.listen({ host: '127.0.0.1', port: 0 });
    const other = await browser.newPage();
    try {
      await other.goto(`${siteOrigin}/`);
      await other.addScriptTag({ content: bundle });
      const attempt = (server: string) =>
        other.evaluate(
          async ({ server, token, verifierKey }) => {
            const { VerityClient } = (globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }).Verity;
            const c = new VerityClient({ url: server, token, verifierKey, origin: 'verity.test/log' });
            try {
              const w = await c.putRecord({
                subject: 'shopper-3',
                type: 'profile',
                purpose: 'service-provision',
                data: {},
              });
              return (await c.getRecord(w.id, { purpose: 'service-provision' })).meta.id === w.id ? 'ok' : 'mismatch';
            } catch (e) {
              return `refused: ${(e as Error).name}`;
            }
          },
          { server, token, verifierKey: core.log.verifierKey },
        );
      assert.equal(await attempt(openUrl), 'ok');
      // The same call to a server that names no origins is blocked by the browser.
      assert.equal(await attempt(url), 'refused: TypeError');
      // Preflights name only the allowed origin.
      const preflight = (origin: string) =>
        fetch(`${openUrl}/v1/records`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization',
          },
        });
      assert.equal((await preflight(siteOrigin)).headers.get('access-control-allow-origin'), siteOrigin);
      assert.equal((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
    } finally {
      await other.close();
      await open.close();
      site.close();
    }
  });

  it('keeps its trusted checkpoint in localStorage across page loads', async () => {
    const trust = () =>
      page.evaluate(
        async ({ verifierKey }) => {
          const { VerityClient, webStorageCheckpoints } = (
            globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }
          ).Verity;
          const g = globalThis as unknown as { localStorage: Storage; location: { origin: string } };
          const c = new VerityClient({
            url: g.location.origin,
            verifierKey,
            origin: 'verity.test/log',
            checkpoints: webStorageCheckpoints(g.localStorage),
          });
          const before = (await c.trusted())?.size ?? -1;
          const now = (await c.checkpoint()).size;
          return { before, now, stored: g.localStorage.getItem('verity.checkpoint')?.split('\n')[1] };
        },
        { verifierKey: core.log.verifierKey },
      );
    const first = await trust();
    assert.equal(first.stored, String(first.now));
    await page.reload();
    await page.addScriptTag({ content: bundle });
    const second = await trust();
    assert.equal(second.before, first.now, 'the reloaded page remembers the checkpoint it trusted');
  });

  it("verifies a player's access report in the page, and refuses it altered", async () => {
    await core.vault.put({
      actor: 'service:web-shop',
      subject: 'shopper-9',
      type: 'profile',
      purpose: 'service-provision',
      data: { name: 'Cy' },
    });
    const dpo = (
      await new Tokens(core.store, core.log).create({
        principal: 'dpo',
        role: 'operator',
        capabilities: ['report.access'],
        actor: 'operator:test',
      })
    ).token;
    const result = await page.evaluate(
      async ({ token, verifierKey }) => {
        const { VerityClient, verifyAccessReport } = (
          globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }
        ).Verity;
        const location = (globalThis as unknown as { location: { origin: string } }).location;
        const c = new VerityClient({ url: location.origin, token, verifierKey, origin: 'verity.test/log' });
        const r = await c.accessReport({ subject: 'shopper-9' });
        const raw = (await (
          await fetch(`${location.origin}/v1/reports/access?purpose=user-request&subject=shopper-9`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as { header: unknown; lines: { actor: string }[] };
        (raw.lines[1] as { actor: string }).actor = 'service:someone-else';
        let altered = 'accepted';
        try {
          verifyAccessReport(raw, { verifierKey });
        } catch (e) {
          altered = String((e as { code?: string }).code);
        }
        return { actions: r.entries.map((e) => e.action), size: r.checkpoint.size, altered };
      },
      { token: dpo, verifierKey: core.log.verifierKey },
    );
    assert.deepEqual(result.actions, ['key.create', 'record.create', 'report.access']);
    assert.ok(result.size > 0);
    assert.equal(result.altered, 'VERITY_E_REPORT_INVALID');
  });

  it('refuses, in the page, checkpoints signed by another key', async () => {
    const other = await makeCore('sqlite');
    try {
      const outcome = await page.evaluate(
        async ({ verifierKey }) => {
          const { VerityClient } = (globalThis as unknown as { Verity: typeof import('../src/sdk/index.ts') }).Verity;
          const location = (globalThis as unknown as { location: { origin: string } }).location;
          const c = new VerityClient({ url: location.origin, verifierKey, origin: 'verity.test/log' });
          try {
            await c.checkpoint();
            return 'accepted';
          } catch (e) {
            return String((e as { code?: string }).code);
          }
        },
        { verifierKey: other.log.verifierKey },
      );
      assert.match(outcome, /^VERITY_E_LOG_/);
    } finally {
      await other.dispose();
    }
  });
});
