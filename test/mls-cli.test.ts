// `verity mls reports` and `verity mls act` on a data directory: a real abuse report (two players'
// MlsClients through the data directory's own server, a franked message reported by its recipient)
// listed PII-redacted by the operator's CLI, acted on, and both the read and the action logged
// without the text; bad input refused with exit 2.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { listen } from '../src/cli/http.ts';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { MODERATION_ACTIONS } from '../src/mls/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { MemoryMlsStorage, MlsClient, type ReceivedMessage } from '../src/sdk/mls.ts';
import { type CliRun, verityCli } from './helpers/cli.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';

const EMAIL = 'mallory.cli@example.com';

function verity(args: string[]): CliRun {
  return verityCli(args, { env: { VERITY_PASSPHRASE: TEST_SECRET.passphrase } });
}

describe('verity mls (CLI)', () => {
  let data: string;
  let cleanup: () => Promise<void>;
  let reportId: string;

  before(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    data = join(t.dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    const v = await openDataDir(data, { secret: TEST_SECRET });
    const server = await listen(v, data, {
      host: '127.0.0.1',
      port: 0,
      corsOrigins: [],
      logs: { level: 'silent', format: undefined },
    });
    try {
      const platform = (
        await new Tokens(v.store, v.log).create({
          principal: 'platform',
          role: 'service',
          recordTypes: [],
          capabilities: ['session.open'],
          actor: 'operator:test',
        })
      ).token;
      const open = async (player: string) => {
        const res = await fetch(`${server.url}/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${platform}`, 'content-type': 'application/json' },
          body: JSON.stringify({ player, purpose: 'authentication' }),
        });
        const { token } = (await res.json()) as { token: string };
        return MlsClient.open({
          url: server.url,
          token,
          storage: new MemoryMlsStorage(),
          verifierKey: v.log.verifierKey,
        });
      };
      const alice = await open('alice');
      const bob = await open('bob');
      await bob.publishKeyPackages(1);
      const room = await alice.createRoom();
      await alice.add(room, [{ player: 'bob' }]);
      await bob.receive();
      await alice.send(room, `send the gold to ${EMAIL} or else`);
      const got = await bob.receive();
      const message = (got[0] as { message: ReceivedMessage }).message;
      reportId = (await bob.report(message, 'harassment')).id;
    } finally {
      await server.close();
      await v.close();
    }
  });
  after(() => cleanup?.());

  it('lists the open report with its text PII-redacted, and logs the read without it', async () => {
    const r = verity(['mls', 'reports', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const { reports } = JSON.parse(r.stdout) as { reports: { id: string; status: string; text: string }[] };
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.id, reportId);
    assert.equal(reports[0]?.status, 'open');
    assert.ok(!r.stdout.includes(EMAIL), 'the reported address is redacted for moderators');
    assert.match(reports[0]?.text ?? '', /send the gold to .* or else/);
    assert.deepEqual(JSON.parse(verity(['mls', 'reports', '--data', data, '--status', 'closed']).stdout), {
      reports: [],
    });
  });

  it('acts on the report, which closes it; the action and the reads are in the log, the text is not', async () => {
    const r = verity(['mls', 'act', '--data', data, '--id', reportId, '--action', 'warn']);
    assert.equal(r.code, 0, r.stderr);
    const acted = JSON.parse(r.stdout) as { status: string; actions: { action: string; by: string }[] };
    assert.equal(acted.status, 'closed');
    assert.deepEqual(
      acted.actions.map((a) => [a.action, a.by]),
      [['warn', 'operator:cli']],
    );
    const closed = JSON.parse(verity(['mls', 'reports', '--data', data, '--status', 'closed']).stdout) as {
      reports: { id: string }[];
    };
    assert.deepEqual(
      closed.reports.map((x) => x.id),
      [reportId],
    );
    const v = await openDataDir(data, { secret: TEST_SECRET });
    try {
      const { size } = await v.log.head();
      const entries = (await v.log.entries(0, size)).flatMap((b) => {
        try {
          return [decodeAuditEntry(b)];
        } catch {
          return [];
        }
      });
      const cli = entries.filter((e) => e.actor === 'operator:cli' && e.action === 'mls.moderate');
      assert.deepEqual(
        cli.map((e) => e.resource),
        ['mls:reports', 'mls:reports', `mls.report:${reportId}`, 'mls:reports'],
      );
      const text = JSON.stringify(entries);
      assert.ok(!text.includes('gold') && !text.includes(EMAIL), 'no reported text in the log');
    } finally {
      await v.close();
    }
  });

  it('names in its help exactly the actions the library takes', () => {
    const help = verity(['mls', 'act', '--help']).stdout;
    assert.match(help, new RegExp(`one of ${MODERATION_ACTIONS.join(', ')}`));
  });

  it('refuses a bad status, action or id with exit 2, and an unknown report with its code', () => {
    for (const args of [
      ['mls', 'reports', '--data', data, '--status', 'pending'],
      ['mls', 'reports', '--data', data, '--after', 'rep_short'],
      ['mls', 'act', '--data', data, '--id', reportId, '--action', 'ban'],
    ]) {
      const r = verity(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const missing = verity(['mls', 'act', '--data', data, '--id', `rep_${'A'.repeat(22)}`, '--action', 'dismiss']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /VERITY_E_MLS_REPORT_NOT_FOUND/);
  });
});
