// Community governance and compliance in the Trust Center, in a real browser (Debian's Chromium
// through playwright-core, one launch): a vote through to an enacted policy change. A partner
// platform proposes a new privacy policy version through the API; two players, each signed in with
// a passkey of their own (a CDP virtual authenticator each), read the governance document and the
// change, give feedback and vote in the page (one by keyboard only), one person one vote; the test
// process moves the governance clock past the voting period and the operator closes the vote, then
// past the timelock and the operator enacts it; the page recounts the tally from its evidence and
// verifies every proof with the pinned log key, shows the timelock and then the enacted policy with
// each step proven in the log; a tally whose evidence has one vote changed is flagged. An auditor
// reads the OSCAL findings, verifies their checkpoint and a piece of evidence, and downloads the
// JSON. axe-core: no serious or critical violation on the new pages. Screenshots go to
// artifacts/screenshots/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import axe from 'axe-core';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.ts';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { Governance, governanceDocument } from '../src/governance/index.ts';
import { Passkeys } from '../src/passkeys/index.ts';
import { Sessions, Tokens } from '../src/principals/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../src/privacy/index.ts';
import { buildServer } from '../src/server/index.ts';
import type { Store } from '../src/store/index.ts';
import {
  addAuthenticator,
  CHROMIUM_MISSING,
  HAVE_CHROMIUM,
  launchChromium,
  seriousViolations,
  webAuthn,
} from './helpers/browser.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';
import { httpCall } from './helpers/server.ts';

const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
const HOUR = 3_600_000;

type Json = Record<string, unknown>;

/** The default policy with one purpose more, as version 1.1.0. */
function nextPolicy(): Json {
  const d = JSON.parse(JSON.stringify(DEFAULT_PRIVACY_POLICY)) as { version: string; purposes: Json };
  d.version = '1.1.0';
  d.purposes['community-events'] = {
    ...(d.purposes['marketing'] as object),
    description: 'inviting the player to community events, with their consent',
  };
  return d;
}

describe('governance and compliance in the Trust Center', {
  skip: HAVE_CHROMIUM ? false : CHROMIUM_MISSING,
}, () => {
  // The governance clock only: the test moves it past the voting period and the timelock.
  const clock = fixedClock(Date.now());
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticator: string | undefined;
  let passkeys: Passkeys;
  let cleanup: () => Promise<void>;
  const t: Record<string, string> = {};
  let proposal = '';
  const violations: string[] = [];

  const call = (method: string, path: string, token?: string, body?: Json) => httpCall(base, method, path, token, body);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const accessible = async (what: string) => {
    await page.evaluate(axe.source);
    const bad = await seriousViolations(page);
    assert.deepEqual(bad, [], `${what}: ${JSON.stringify(bad)}`);
  };
  const go = async (hash: string, heading: string) => {
    await page.evaluate((h) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };
  /** Leaves the page and comes back: everything is fetched and verified afresh. */
  const reopen = async () => {
    await go('#/device', 'Passkeys');
    await go(`#/governance?p=${proposal}`, 'Governance');
    await page.getByTestId('proposal-detail').locator('h2').waitFor();
  };
  type Doc = { document: { activeElement: { textContent: string | null } | null } };
  /** Keyboard walks start from the top of the document. */
  const fromTop = () =>
    page.evaluate(() =>
      (
        globalThis as unknown as { document: { activeElement: { blur(): void } | null } }
      ).document.activeElement?.blur(),
    );
  const focusedText = () =>
    page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.textContent ?? '');

  /** A player handed over by their platform registers a passkey on a fresh authenticator and signs in with it. */
  const passkeyPlayer = async (name: string) => {
    if (authenticator !== undefined)
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
    authenticator = await addAuthenticator(cdp);
    const s = await call('POST', '/v1/sessions', t['platform'], { player: name, purpose: 'authentication' });
    assert.equal(s.status, 201, s.text);
    // A new document: a hash change alone would keep the signed-in player of the page before.
    await page.goto('about:blank');
    await page.goto(`${base}/trust/#/signin?session=${s.json['token'] as string}`);
    await page.getByRole('heading', { level: 1, name: 'My data' }).waitFor();
    await go('#/device', 'Passkeys');
    await page.getByRole('button', { name: 'Register a passkey on this device' }).click();
    await page.getByText('Passkey registered').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { level: 1, name: 'My data' }).waitFor();
  };

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    core = await makeCore('sqlite');
    const dir = await tempDir('verity-trust-gov-');
    cleanup = dir.cleanup;
    await buildWeb(join(dir.dir, 'web'));
    const privacy = await Privacy.open({
      store: core.store,
      log: core.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
    });
    const sessions = new Sessions({ keys: core.keys, store: core.store as Store, log: core.log });
    const tokens = new Tokens(core.store, core.log);
    const probe = buildServer({ log: core.log });
    const port = Number(new URL(await probe.listen({ host: '127.0.0.1', port: 0 })).port);
    await probe.close();
    base = `http://localhost:${port}`;
    passkeys = new Passkeys({
      store: core.store as Store,
      log: core.log,
      keys: core.keys,
      sessions,
      // Its players enrol passkeys in sessions their platform opened, trusted to (D432: `full`).
      config: { rpId: 'localhost', rpName: 'Verity', origins: [base], vouchedEnrollment: 'full' },
    });
    const governance = new Governance({
      store: core.store,
      log: core.log,
      keys: core.keys,
      privacy,
      clock,
      document: governanceDocument({ votingPeriodMs: HOUR, timelockMs: 2 * HOUR, quorum: 2 }),
    });
    const engine = PolicyEngine.load(DEFAULT_POLICIES);
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens, sessions, policies: () => engine, privacy },
      passkeys,
      governance,
      reports: { store: core.store },
      compliance: {
        store: core.store,
        keys: core.keys,
        privacy,
        rights: core.rights,
        retention: core.retention,
        governance,
      },
      web: { dir: join(dir.dir, 'web') },
    });
    await app.listen({ host: '127.0.0.1', port });
    const make = async (name: string, role: 'service' | 'operator' | 'auditor', capabilities: string[]) => {
      t[name] = (await tokens.create({ principal: name, role, capabilities, actor: 'operator:test' })).token;
    };
    await make('platform', 'service', ['session.open']);
    await make('partner', 'service', ['governance.partner']);
    await make('operator', 'operator', ['governance.operate', 'trust.read']);
    await make('auditor', 'auditor', ['compliance.read', 'trust.read']);
    const r = await call('POST', '/v1/governance/proposals', t['partner'], {
      title: 'Community events',
      rationale: 'Invite players to community events, only with their consent',
      policy: nextPolicy(),
    });
    assert.equal(r.status, 201, r.text);
    proposal = r.json['id'] as string;

    ({ context, page } = await launchChromium(join(dir.dir, 'profile'), {
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
    }));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
    cdp = await webAuthn(context, page);
  });
  after(async () => {
    await context?.close();
    await app?.close();
    await passkeys?.close();
    await core?.dispose();
    await cleanup?.();
  });

  it('a player reads the rules and the change, gives feedback and votes once', async () => {
    await passkeyPlayer('ada');
    await go(`#/governance?p=${proposal}`, 'Governance');
    const doc = page.getByTestId('governance-document');
    await doc.waitFor();
    assert.match((await doc.textContent()) ?? '', /Quorum.*at least 2 votes.*Timelock.*2 h/s);
    assert.match((await doc.locator('tr[data-role=player]').textContent()) ?? '', /feedback, vote/);
    assert.equal(await page.getByTestId('policy-version').textContent(), '1.0.0');
    assert.match((await page.getByTestId('policy-diff').textContent()) ?? '', /added.*purpose community-events/);

    await page.getByLabel('About').selectOption('marketing');
    await page.getByLabel('Your feedback').fill('please ask less often about marketing');
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByText('Thank you: your feedback is recorded').waitFor();

    await page.getByRole('button', { name: 'Vote yes' }).click();
    await page.getByTestId('you-voted').waitFor();
    assert.match((await page.getByTestId('you-voted').textContent()) ?? '', /You voted yes \(log entry \d+\)/);
    assert.equal(await page.getByRole('button', { name: 'Vote no' }).count(), 0, 'no second vote offered');
    // One person, one vote: the server refuses the same person again, whatever the page shows.
    const auth = JSON.parse((await page.evaluate(() => sessionStorage.getItem('verity.trust.auth'))) ?? '{}') as {
      token: string;
    };
    const again = await call('POST', `/v1/governance/proposals/${proposal}/votes`, auth.token, { choice: 'no' });
    assert.equal((again.json['error'] as Json)['code'], 'VERITY_E_GOVERNANCE_ALREADY_VOTED');
    await accessible('governance (voted)');
    await shot('governance-vote');
  });

  it('a second player votes with the keyboard only', async () => {
    await passkeyPlayer('ben');
    await go(`#/governance?p=${proposal}`, 'Governance');
    await page.getByTestId('vote').waitFor();
    await fromTop();
    let n = 0;
    while ((await focusedText()) !== 'Vote yes' && n++ < 40) await page.keyboard.press('Tab');
    assert.equal(await focusedText(), 'Vote yes', 'Tab reaches the vote');
    await page.keyboard.press('Enter');
    await page.getByTestId('you-voted').waitFor();
    assert.match((await page.getByTestId('you-voted').textContent()) ?? '', /You voted yes \(log entry \d+\)/);
  });

  it('closed after the voting period: the tally is recounted and verified in the page, the timelock shown', async () => {
    clock.advance(HOUR);
    const c = await call('POST', `/v1/governance/proposals/${proposal}/close`, t['operator']);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json['status'], 'adopted');
    await reopen();
    const summary = page.getByTestId('tally-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('data-ok'), 'true');
    assert.equal(await summary.getAttribute('data-failed'), '0');
    assert.match((await summary.textContent()) ?? '', /tally verified.*Recounted: 2 yes, 0 no, 0 abstain: adopted/);
    assert.equal(await page.locator('[data-testid=tally-votes] [data-verified=true]').count(), 2);
    assert.equal(await page.locator('[data-testid=tally-votes] .tag.given', { hasText: 'your vote' }).count(), 1);
    assert.equal(await page.getByTestId('timelock-state').getAttribute('data-state'), 'waiting');
    assert.match((await page.getByTestId('timelock-state').textContent()) ?? '', /may be enacted from/);
    await page.locator('[data-testid=proposal-entries] [data-verified=true]').first().waitFor();
    await accessible('governance (adopted)');
    await shot('governance-tally');
  });

  it('enacted after the timelock: the new policy is in force, each step proven in the page', async () => {
    const early = await call('POST', `/v1/governance/proposals/${proposal}/enact`, t['operator']);
    assert.equal((early.json['error'] as Json)['code'], 'VERITY_E_GOVERNANCE_TIMELOCK');
    clock.advance(2 * HOUR);
    const e = await call('POST', `/v1/governance/proposals/${proposal}/enact`, t['operator']);
    assert.equal(e.status, 200, e.text);
    await reopen();
    await page.locator('[data-testid=timelock-state][data-state=enacted]').waitFor();
    assert.equal(await page.getByTestId('policy-version').textContent(), '1.1.0');
    const entries = page.getByTestId('proposal-entries');
    await entries.waitFor();
    const actions = await entries
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-action'),
          tr.querySelector('[data-verified]')?.getAttribute('data-verified'),
        ]),
      );
    assert.deepEqual(
      actions.map((a) => a[0]),
      ['governance.propose', 'governance.tally', 'privacy.policy', 'governance.enact'],
    );
    assert.ok(
      actions.every((a) => a[1] === 'true'),
      JSON.stringify(actions),
    );
    assert.equal(await page.getByTestId('tally-summary').getAttribute('data-ok'), 'true');
    assert.equal(await page.getByTestId('alarm').count(), 0);
    await accessible('governance (enacted)');
    await shot('governance-enacted');
  });

  it('a tally whose evidence has one vote changed is flagged', async () => {
    const tally = (u: URL) => u.pathname === `/v1/governance/proposals/${proposal}/tally`;
    await page.route(tally, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { votes: { entry: string }[] };
      const v = body.votes[0] as { entry: string };
      const changed = Buffer.from(v.entry, 'base64').toString().replace('"choice":"yes"', '"choice":"no"');
      assert.notEqual(changed, Buffer.from(v.entry, 'base64').toString());
      v.entry = Buffer.from(changed).toString('base64');
      await route.fulfill({ response: res, json: body });
    });
    await reopen();
    await page.getByTestId('alarm').first().waitFor();
    const summary = page.getByTestId('tally-summary');
    assert.equal(await summary.getAttribute('data-ok'), 'false');
    assert.equal(await summary.getAttribute('data-failed'), '1');
    assert.equal(await page.locator('[data-testid=tally-votes] tr.failed [data-verified=false]').count(), 1);
    assert.match((await page.getByTestId('alarm').first().textContent()) ?? '', /does not verify/);
    await shot('governance-tampered');
    await page.unroute(tally);
  });

  it('an auditor reads the OSCAL findings, verifies their checkpoint and evidence, and downloads them', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(t['auditor'] as string);
    await page.getByRole('button', { name: 'Sign in with a token' }).click();
    await page.getByRole('heading', { level: 1, name: 'Policy, keys, witnesses' }).waitFor();
    // The keyboard reaches the compliance page from the navigation.
    await fromTop();
    let n = 0;
    while ((await focusedText()) !== 'Compliance export' && n++ < 40) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Compliance export' }).waitFor();
    const summary = page.getByTestId('compliance-summary');
    await summary.waitFor({ timeout: 60_000 });
    assert.ok(Number(await summary.getAttribute('data-findings')) >= 10);
    assert.equal(await page.locator('[data-testid=compliance-checkpoint] [data-verified=true]').count(), 1);
    const governance = page.locator('[data-testid=findings] tr[data-control="fgmv46-7.4.5"]');
    assert.equal(await governance.getAttribute('data-status'), 'satisfied');
    const verify = page.getByRole('button', { name: /^Verify log entry \d+$/ }).first();
    await verify.click();
    await page.locator('[data-testid=findings] [data-verified]').first().waitFor();
    assert.equal(await page.locator('[data-testid=findings] [data-verified=false]').count(), 0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the OSCAL JSON' }).click(),
    ]);
    const file = await download.path();
    const doc = JSON.parse(await readFile(file, 'utf8')) as Json;
    assert.ok('assessment-results' in doc);
    await page.getByText('The control catalog').waitFor();
    assert.ok((await page.locator('details[data-group]').count()) >= 3);
    await accessible('compliance');
    await shot('compliance');
    // The auditor sees the governance page too, read only.
    await go(`#/governance?p=${proposal}`, 'Governance');
    await page.locator('[data-testid=timelock-state][data-state=enacted]').waitFor();
  });

  it('broke no Content Security Policy rule and threw no error', () => {
    assert.deepEqual(violations, []);
  });
});
