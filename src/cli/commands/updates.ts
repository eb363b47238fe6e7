/**
 * `verity updates ...`: the TUF repository of policies, schemas and PII data (`repo-*`, where the
 * updates are made and signed), and the data directory's side (`trust`, `check`, `apply`,
 * `rollback`, `status`). docs/updates.md walks through both.
 */

import { fromUtf8 } from '../../encoding/index.ts';
import { UpdateError } from '../../errors/index.ts';
import type { Role, TufRepository, Updates } from '../../updates/index.ts';

/**
 * The updates capability, loaded when an updates command runs: its TUF libraries take a tenth of a
 * second to load, which every other command of the CLI would otherwise pay.
 */
const updatesLib = () => import('../../updates/index.ts');

import { type Command, type Group, type Invocation, type OptionSpec, usage, type Values } from '../command.ts';
import { ACTOR, DATA, dataDir, int, list, opt, printWithVerity, str } from '../common.ts';
import { outJson, readInput } from '../io.ts';

const REPO: Readonly<Record<string, OptionSpec>> = {
  repo: {
    type: 'string',
    value: 'DIR',
    required: true,
    help: 'the repository folder (metadata/ and targets/ are what you publish)',
  },
  'keys-dir': {
    type: 'string',
    value: 'DIR',
    help: 'where the private keys are (default DIR/keys; keep root keys offline)',
  },
};

/** The repository passphrase: VERITY_UPDATES_PASSPHRASE or the file VERITY_UPDATES_PASSPHRASE_FILE names. */
async function repoPassphrase(): Promise<string> {
  const env = process.env;
  if (env['VERITY_UPDATES_PASSPHRASE']) return env['VERITY_UPDATES_PASSPHRASE'];
  if (env['VERITY_UPDATES_PASSPHRASE_FILE'])
    return fromUtf8(await readInput(env['VERITY_UPDATES_PASSPHRASE_FILE'], 4096), 'passphrase file').replace(
      /\r?\n$/,
      '',
    );
  throw new UpdateError(
    'VERITY_E_UPDATE_REPOSITORY',
    'the repository keys need a passphrase: set VERITY_UPDATES_PASSPHRASE or VERITY_UPDATES_PASSPHRASE_FILE',
  );
}

async function repoOptions(values: Values): Promise<{ passphrase: string; keysDir?: string }> {
  const keysDir = opt(values, 'keys-dir');
  return { passphrase: await repoPassphrase(), ...(keysDir === undefined ? {} : { keysDir }) };
}

async function openRepo(values: Values): Promise<TufRepository> {
  return (await updatesLib()).TufRepository.open(str(values, 'repo'), await repoOptions(values));
}

/** The newest versions of a repository, printed after each change. */
async function printRepo(repo: TufRepository): Promise<number> {
  const root = await repo.root();
  const { timestamp, snapshot, targets } = await repo.current();
  await outJson({
    root: { version: root.signed.version, expires: root.signed.expires },
    targets: {
      version: targets.signed.version,
      expires: targets.signed.expires,
      files: Object.keys(targets.signed.targets).sort(),
    },
    snapshot: { version: snapshot.signed.version, expires: snapshot.signed.expires },
    timestamp: { version: timestamp.signed.version, expires: timestamp.signed.expires },
    roles: Object.fromEntries(
      (await updatesLib()).ROLES.map((r) => [
        r,
        { keys: root.signed.roles[r]?.keyIDs, threshold: root.signed.roles[r]?.threshold },
      ]),
    ),
  });
  return 0;
}

const repoInit: Command = {
  name: 'repo-init',
  summary: 'create a TUF repository: Ed25519 keys, root, targets, snapshot and timestamp (version 1 each)',
  details: 'The repository passphrase (encrypting the keys) comes from VERITY_UPDATES_PASSPHRASE(_FILE).',
  options: {
    ...REPO,
    'root-keys': { type: 'string', value: 'N', help: 'keys of the root role (default 1)' },
    'root-threshold': { type: 'string', value: 'N', help: 'signatures a root needs (default 1)' },
    'targets-keys': { type: 'string', value: 'N', help: 'keys of the targets role (default 1)' },
    'targets-threshold': { type: 'string', value: 'N', help: 'signatures targets need (default 1)' },
  },
  async run({ values }) {
    const keys: Partial<Record<Role, number>> = {};
    const thresholds: Partial<Record<Role, number>> = {};
    for (const r of ['root', 'targets'] as const) {
      const k = int(values, `${r}-keys`, false);
      const t = int(values, `${r}-threshold`, false);
      if (k !== undefined) keys[r] = k;
      if (t !== undefined) thresholds[r] = t;
    }
    return printRepo(
      await (await updatesLib()).TufRepository.init(str(values, 'repo'), {
        ...(await repoOptions(values)),
        keys,
        thresholds,
      }),
    );
  },
};

/** A command that changes an open repository, then prints its newest versions. */
function repoCommand(
  name: string,
  summary: string,
  change: (repo: TufRepository, i: Invocation) => Promise<unknown>,
  extra: { options?: Readonly<Record<string, OptionSpec>>; args?: readonly string[] } = {},
): Command {
  return {
    name,
    summary,
    options: { ...REPO, ...extra.options },
    ...(extra.args === undefined ? {} : { args: extra.args }),
    async run(i) {
      const repo = await openRepo(i.values);
      await change(repo, i);
      return printRepo(repo);
    },
  };
}

const PATH: Readonly<Record<string, OptionSpec>> = {
  path: { type: 'string', value: 'TARGET', required: true, help: 'the target path' },
};

const repoAdd = repoCommand(
  'repo-add',
  'add or replace a target (policies/NAME.cedar, policies/privacy-policy.json, schemas/TYPE.json, pii/names-places.jsonl)',
  async (repo, { values, positionals }) =>
    repo.addTargets([{ path: str(values, 'path'), data: await readInput(positionals[0] as string, 16 * 1024 * 1024) }]),
  { options: PATH, args: ['FILE'] },
);
const repoRemove = repoCommand(
  'repo-remove',
  'remove a target',
  (repo, { values }) => repo.removeTargets([str(values, 'path')]),
  { options: PATH },
);
const repoSign = repoCommand(
  'repo-sign',
  'sign targets, snapshot and timestamp again (new versions and expiries)',
  (repo) => repo.resign(),
);
const repoTimestamp = repoCommand(
  'repo-timestamp',
  'sign a new timestamp (run it more often than the timestamp expires: a day by default)',
  (repo) => repo.publishTimestamp(),
);

const repoRotate: Command = {
  name: 'repo-rotate-key',
  summary: "replace a role's keys or threshold: a new root signed by the old and the new root keys",
  options: {
    ...REPO,
    role: { type: 'string', value: 'ROLE', required: true, help: 'root, targets, snapshot or timestamp' },
    remove: { type: 'string', multiple: true, value: 'KEYID', help: 'a key id (16 hex digits or more) that leaves' },
    add: { type: 'string', value: 'N', help: 'new keys to make for the role' },
    threshold: { type: 'string', value: 'N', help: 'the new threshold' },
  },
  async run({ values }) {
    const role = str(values, 'role');
    const { ROLES } = await updatesLib();
    if (!(ROLES as readonly string[]).includes(role))
      usage(`--role must be one of ${ROLES.join(', ')}`, 'updates repo-rotate-key');
    const add = int(values, 'add', false);
    const threshold = int(values, 'threshold', false);
    const repo = await openRepo(values);
    const r = await repo.rotateKeys(role as Role, {
      remove: list(values, 'remove'),
      ...(add === undefined ? {} : { add }),
      ...(threshold === undefined ? {} : { threshold }),
    });
    process.stderr.write(
      `verity: root version ${r.rootVersion}; added ${r.added.length} key(s), removed ${r.removed.length}\n`,
    );
    return printRepo(repo);
  },
};

const trust: Command = {
  name: 'trust',
  summary: 'trust a repository: its root metadata (from a safe channel) and its URL',
  options: {
    ...DATA,
    root: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: "the repository's root.json (its keys become the trust anchor)",
    },
    url: { type: 'string', value: 'URL', required: true, help: 'the repository: URL/metadata/ and URL/targets/' },
    replace: { type: 'boolean', help: 'replace the repository trusted before' },
  },
  async run({ values }) {
    const url = str(values, 'url').replace(/\/+$/, '');
    const r = await (await updatesLib()).Updates.trust(dataDir(values), {
      root: await readInput(str(values, 'root'), 512 * 1024),
      metadataUrl: `${url}/metadata/`,
      targetsUrl: `${url}/targets/`,
      replace: values['replace'] === true,
    });
    await outJson({ trusted: url, rootVersion: r.rootVersion, keys: r.keys });
    return 0;
  },
};

async function updatesOf(v: Parameters<Parameters<typeof printWithVerity>[1]>[0], values: Values): Promise<Updates> {
  const { Updates } = await updatesLib();
  return new Updates({ dir: dataDir(values), log: v.log, vault: v.vault, store: v.store, actor: ACTOR });
}

/** A command of the data directory's side: the directory opened with its secret, the answer printed. */
function local(name: string, summary: string, fn: (u: Updates) => Promise<unknown>): Command {
  return {
    name,
    summary,
    options: { ...DATA },
    run: ({ values }) => printWithVerity(values, async (v) => fn(await updatesOf(v, values))),
  };
}

const LOCAL: readonly [string, string, (u: Updates) => Promise<unknown>][] = [
  ['check', 'fetch and verify the repository metadata; list what it offers, apply nothing', (u) => u.check()],
  ['apply', 'fetch, verify, check and apply the newest update as one set; logged (run from a timer)', (u) => u.apply()],
  [
    'rollback',
    'make the set before the current one current again; logged; that version is then held back',
    (u) => u.rollback(),
  ],
  ['status', 'the current set, the sets before it, and what is held back', (u) => u.status()],
];

export const updates: Group = {
  name: 'updates',
  summary: 'policies, schemas and PII data as TUF-signed updates (FGMV-46 7.3.5)',
  commands: [
    repoInit,
    repoAdd,
    repoRemove,
    repoSign,
    repoTimestamp,
    repoRotate,
    trust,
    ...LOCAL.map(([name, summary, fn]) => local(name, summary, fn)),
  ],
};
