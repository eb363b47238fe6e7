// Sessions, capabilities and guardianship from the command line, against a running server in
// another process: a revocation made by `verity sessions revoke` or `verity tokens revoke` on the
// data directory is seen by the server on the next request (no cache outlives it), and the local
// operator does not record guardianship unless a policy written for it says so.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDataDir } from '../src/embedded/index.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { runVerity, startNode, stopNode, type VerityRun } from './helpers/node.ts';

type Run = VerityRun;

const verity = runVerity;

async function ok(r: Promise<Run>): Promise<Run> {
  const x = await r;
  assert.equal(x.code, 0, `exit ${x.code}: ${x.stderr}`);
  return x;
}

describe('sessions and guardianship from the command line', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let url: string;
  let server: Awaited<ReturnType<typeof startNode>>['child'];

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    ({ url, child: server } = await startNode(data));
  });
  after(async () => {
    await stopNode(server);
    await cleanup();
  });

  const tokenOf = async (...args: string[]) =>
    (await ok(verity(['tokens', 'create', '--data', data, ...args]))).stdout.trim();
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const logSize = async () => Number((await ok(verity(['log', 'checkpoint', '--data', data]))).stdout.split('\n')[1]);
  // The audit entries (the transactions' state entries set aside).
  const entriesFrom = async (from: number) =>
    (
      JSON.parse((await ok(verity(['log', 'entries', '--data', data, '--from', String(from)]))).stdout) as {
        entry?: {
          action: string;
          actor: string;
          resource: string;
          contentHash?: string;
          details?: Record<string, unknown>;
        };
      }[]
    ).filter(
      (
        e,
      ): e is {
        entry: {
          action: string;
          actor: string;
          resource: string;
          contentHash?: string;
          details?: Record<string, unknown>;
        };
      } => e.entry !== undefined,
    );

  it('tokens create grants capabilities explicitly, and refuses those a role may not hold', async () => {
    const token = await tokenOf(
      '--principal',
      'platform',
      '--role',
      'service',
      '--record-types',
      'profile',
      '--capability',
      'session.open',
      '--capability',
      'guardianship.set',
    );
    const id = token.split('.')[0];
    const list = JSON.parse((await ok(verity(['tokens', 'list', '--data', data]))).stdout) as {
      id: string;
      capabilities: string[];
    }[];
    assert.deepEqual(list.find((t) => t.id === id)?.capabilities, ['guardianship.set', 'session.open']);
    for (const args of [
      ['--role', 'operator', '--capability', 'session.open'],
      ['--role', 'operator', '--capability', 'guardianship.set'],
      ['--role', 'service', '--capability', 'admin'],
      ['--role', 'service', '--record-types', 'profile,verity.token'],
    ]) {
      const r = await verity(['tokens', 'create', '--data', data, '--principal', 'x', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(JSON.parse(r.stderr).error.code, 'VERITY_E_INPUT_INVALID');
    }
  });

  it("ends sessions from the command line, and with their opener's token, on the running server's next request", async () => {
    const platform = await tokenOf(
      '--principal',
      'platform',
      '--role',
      'service',
      '--record-types',
      'profile',
      '--capability',
      'session.open',
    );
    const rec = await call(platform, 'POST', '/v1/records', {
      subject: 'player-c',
      type: 'profile',
      purpose: 'service-provision',
      data: { name: 'Cy' },
    });
    assert.equal(rec.status, 201);
    const open = async () => {
      const r = await call(platform, 'POST', '/v1/sessions', { player: 'player-c', purpose: 'authentication' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; token: string };
    };
    const read = async (s: { token: string }) =>
      (await call(s.token, 'GET', `/v1/records/${rec.body['id']}?purpose=user-request`)).status;
    const s1 = await open();
    const s2 = await open();
    assert.equal(await read(s1), 200);
    const listed = JSON.parse(
      (await ok(verity(['sessions', 'list', '--data', data, '--subject', 'player-c']))).stdout,
    ) as { id: string; opener: string; openerTokenId: string }[];
    assert.deepEqual(listed.map((s) => s.id).sort(), [s1.id, s2.id].sort());
    assert.equal(listed[0]?.opener, 'service:platform');
    assert.equal(listed[0]?.openerTokenId, platform.split('.')[0]);
    const before = await logSize();
    assert.deepEqual(JSON.parse((await ok(verity(['sessions', 'revoke', '--data', data, '--id', s1.id]))).stdout), {
      revoked: 1,
    });
    assert.equal(await read(s1), 401, 'the server sees the revocation made by another process at once');
    assert.equal(await read(s2), 200);
    const entries = (await entriesFrom(before)).filter((e) => e.entry.action.startsWith('session.'));
    assert.deepEqual(
      entries.map((e) => [e.entry.action, e.entry.actor, e.entry.resource]),
      [['session.revoke', 'operator:cli', `session:${s1.id}`]],
    );
    const none = await verity(['sessions', 'revoke', '--data', data, '--id', 'AAAAAAAAAAAAAAAA']);
    assert.equal(none.code, 1);
    assert.equal((await verity(['sessions', 'revoke', '--data', data])).code, 2, 'one of --id, --subject, --opener');
    const s3 = await open();
    assert.deepEqual(
      JSON.parse((await ok(verity(['sessions', 'revoke', '--data', data, '--subject', 'player-c']))).stdout),
      { revoked: 2 },
    );
    assert.equal(await read(s2), 401);
    assert.equal(await read(s3), 401);
    const s4 = await open();
    assert.equal(await read(s4), 200);
    await ok(verity(['tokens', 'revoke', '--data', data, platform.split('.')[0] as string]));
    assert.equal(await read(s4), 401, "revoking the opener's token ends its sessions");
  });

  it('refuses guardianship to the local operator by default, logged; a policy written for it opens the path', async () => {
    const args = [
      'subjects',
      'guardianship',
      '--data',
      data,
      '--subject',
      'kid-7',
      '--minor',
      '--guardian',
      'mum-7',
      '--evidence-kind',
      'court-order',
      '--evidence-ref',
      'case-2026-117',
    ];
    const before = await logSize();
    const refused = await verity(args);
    assert.equal(refused.code, 1, refused.stderr);
    const err = JSON.parse(refused.stderr).error as { code: string; message: string };
    assert.equal(err.code, 'VERITY_E_ACCESS_DENIED');
    assert.match(err.message, /`guardianship\.set`/);
    const denial = (await entriesFrom(before)).map((e) => e.entry);
    assert.deepEqual(
      denial.map((e) => [e.action, e.actor, e.details?.['action'], e.details?.['decision']]),
      [['policy.decision', 'operator:cli', 'setGuardianship', 'deny']],
    );
    assert.equal((await verity(args.slice(0, -4))).code, 2, 'the evidence is required');
    assert.equal((await verity([...args.slice(0, -3), 'hearsay', ...args.slice(-2)])).code, 2);
    // An operator who wants this path writes it into the policies: the forbid out, a permit in.
    const file = join(data, 'policies', 'verity.cedar');
    const text = readFileSync(file, 'utf8');
    const forbid = /@id\("operators-never-set-guardianship"\)\nforbid[^;]*;\n/;
    assert.match(text, forbid);
    writeFileSync(
      file,
      `${text.replace(forbid, '')}
@id("local-operator-records-guardianship")
permit (principal == Verity::Operator::"local:cli", action == Verity::Action::"setGuardianship", resource)
when { context.purpose == "guardianship" };
`,
    );
    // An edit of the files decides nothing until it is installed (D416): still refused, and said so.
    const edited = await verity(args);
    assert.equal(edited.code, 1, edited.stderr);
    assert.match(edited.stderr, /not the set in force.*verity policy install --data/);
    const installed = JSON.parse((await ok(verity(['policy', 'install', '--data', data]))).stdout);
    assert.equal(installed.cedar.installed, true);
    const pin = (await entriesFrom(installed.cedar.logIndex))[0]?.entry;
    assert.deepEqual(
      [pin?.action, pin?.actor, pin?.contentHash],
      ['policy.install', 'operator:cli', installed.cedar.hash],
    );
    const from = await logSize();
    const set = JSON.parse((await ok(verity(args))).stdout) as { logIndex: number };
    const e = (await entriesFrom(set.logIndex))[0]?.entry;
    assert.equal(e?.action, 'subject.guardianship');
    assert.equal(e?.details?.['evidenceKind'], 'court-order');
    assert.match(String(e?.details?.['evidence']), /^sha256:/);
    const all = JSON.stringify(await entriesFrom(from));
    for (const secret of ['case-2026-117', 'kid-7', 'mum-7']) assert.ok(!all.includes(secret), secret);
    const self = await verity([...args.slice(0, 6), '--guardian', 'kid-7', ...args.slice(-4)]);
    assert.equal(self.code, 1, self.stderr);
    assert.equal(JSON.parse(self.stderr).error.code, 'VERITY_E_INPUT_INVALID');
  });
});
