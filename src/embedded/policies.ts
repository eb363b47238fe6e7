// The policies a data directory decides by (D416). DIR/policies holds the files an operator edits;
// what is in force is what the authenticated state holds: the Cedar set (`access.policies/current`)
// and the privacy policy version (`privacy.policy/current`). `verity policy install` puts the files
// in force with the key store's secret; a start or a local command only reads what is in force and
// says when the files differ.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_POLICIES, namedPolicies, PolicyEngine, policySetHash } from '../access/index.ts';
import type { Clock } from '../clock/index.ts';
import { ConfigError, quote, StoreError } from '../errors/index.ts';
import { PolicySets } from '../policies/index.ts';
import { Privacy } from '../privacy/index.ts';
import type { Verity } from '../verity/index.ts';
import { dataDirPrivacyPolicy, policyFiles, readPolicies } from './data-dir.ts';

/** What decides requests on an open data directory, and what the caller should tell its operator. */
export interface OpenedPolicies {
  readonly engine: PolicyEngine;
  readonly sets: PolicySets;
  readonly privacy: Privacy;
  /** Lines for the operator: the files differ from what is in force, or were pinned just now. */
  readonly notes: readonly string[];
  /** Whether DIR/policies holds exactly what is in force (both files). */
  readonly filesInForce: boolean;
}

/** How a default policy of this release stands in a data directory. */
export interface DefaultPolicyStanding {
  readonly id: string;
  /** In force: the same text, another text under its id, or none of its id. */
  readonly inForce: 'same' | 'differs' | 'missing';
  /** In DIR/policies as edited, likewise. */
  readonly inFiles: 'same' | 'differs' | 'missing';
  /** The default policy's text, as this release ships it. */
  readonly text: string;
}

/** This release's default policies by id, parsed once. */
let defaults: Record<string, string> | undefined;

/**
 * This release's default policies against a set's text, by id: the ones it lacks and the ones it
 * holds with another text. A data directory made by an earlier release keeps the defaults it was
 * made with (what is in force changes only by an install), so a policy added to the defaults since
 * (`player-own-rights`, D417) is missing there until its operator installs it.
 */
export function standingOfDefaults(inForce: string, files: string | undefined): DefaultPolicyStanding[] {
  defaults ??= namedPolicies(DEFAULT_POLICIES);
  const force = namedPolicies(inForce);
  // Files that do not parse hold none of the defaults as far as an install would go.
  let edited: Record<string, string> = {};
  try {
    edited = files === undefined ? {} : namedPolicies(files);
  } catch {
    edited = {};
  }
  const standing = (held: Record<string, string>, id: string, text: string) =>
    !Object.hasOwn(held, id) ? 'missing' : (held[id] as string).trim() === text.trim() ? 'same' : 'differs';
  return Object.entries(defaults).map(([id, text]) => ({
    id,
    inForce: standing(force, id, text),
    inFiles: standing(edited, id, text),
    text,
  }));
}

/**
 * The ids of this release's default policies that the set `engine` holds in force lacks (a data
 * directory made by an earlier release, or an operator who removed them): `verity policy defaults`
 * shows them. Read from the loaded set's ids, for a start to name (D423).
 */
export function missingDefaultPolicies(engine: PolicyEngine): string[] {
  if (engine.policyText === DEFAULT_POLICIES) return [];
  defaults ??= namedPolicies(DEFAULT_POLICIES);
  const held = new Set(engine.policyIds);
  return Object.keys(defaults).filter((id) => !held.has(id));
}

function install(dir: string): string {
  return `\`verity policy install --data ${dir}\``;
}

/**
 * Opens the policies in force on a data directory. A directory made before policies were pinned
 * gets its files pinned as they are (logged). Files that differ from what is in force decide
 * nothing: `notes` says so. An invalid privacy policy file is refused (as a start always refused it).
 */
export async function openPolicies(
  v: Pick<Verity, 'store' | 'log'>,
  dir: string,
  o: { actor: string; clock?: Clock },
): Promise<OpenedPolicies> {
  const notes: string[] = [];
  const filePrivacy = await dataDirPrivacyPolicy(dir);
  const privacy = await Privacy.open({
    store: v.store,
    log: v.log,
    policy: filePrivacy,
    actor: o.actor,
    keepInForce: true,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
  const privacyInForce = privacy.policy.hash === filePrivacy.hash;
  if (!privacyInForce)
    notes.push(
      `the privacy policy file (version ${quote(filePrivacy.version)}) is not the version in force (${quote(privacy.policy.version)}); it decides nothing until ${install(dir)} installs it`,
    );
  const sets = new PolicySets({ store: v.store, log: v.log, ...(o.clock === undefined ? {} : { clock: o.clock }) });
  const folder = join(dir, 'policies');
  // The files are only compared with what is in force: files that cannot be read decide nothing either.
  let files: string | undefined;
  try {
    files = existsSync(folder) ? await readPolicies(folder) : undefined;
  } catch (e) {
    notes.push(`the policy files in ${folder} cannot be read (${(e as Error).message})`);
  }
  let set = await sets.inForce();
  if (set === undefined) {
    // A store from before D416: what its files hold is what decided until now; it is pinned once.
    const pinned = await sets.install(files ?? DEFAULT_POLICIES, {
      actor: o.actor,
      reason: 'pinned the policies of a data directory made before policies were installed',
    });
    notes.push(`pinned the policies in ${folder} as the set in force (${pinned.hash}, log entry ${pinned.logIndex})`);
    set = await sets.inForce();
    if (set === undefined)
      throw new StoreError('VERITY_E_STATE_TAMPERED', 'the policy set just installed is not in the state');
  }
  const engine = PolicyEngine.load(set.text);
  if (engine.policyHash !== set.hash)
    throw new StoreError(
      'VERITY_E_STATE_TAMPERED',
      `the installed policy set's text does not hash to its recorded hash (state object ${quote('access.policies/current')}); run \`verity log verify --data DIR\``,
    );
  const cedarInForce = files !== undefined && policySetHash(files) === set.hash;
  if (!cedarInForce)
    notes.push(
      `the Cedar policies in ${folder} (${files === undefined ? 'missing' : policySetHash(files)}) are not the set in force (${set.hash}, log entry ${set.logIndex}); they decide nothing until ${install(dir)} installs them`,
    );
  return { engine, sets, privacy, notes, filesInForce: privacyInForce && cedarInForce };
}

/** What `installPolicies` did. */
export interface InstalledPolicies {
  readonly cedar: {
    readonly hash: string;
    readonly logIndex: number;
    readonly installed: boolean;
    /** The files installed, and the policy ids added to, removed from and changed in the set in force. */
    readonly files: readonly string[];
    readonly added: readonly string[];
    readonly removed: readonly string[];
    /** The ids kept with another text: a condition edited in place. */
    readonly changed: readonly string[];
  };
  readonly privacyPolicy: { readonly version: string; readonly hash: string; readonly inForce: boolean };
}

/**
 * `verity policy install`: puts the files of DIR/policies in force. The Cedar set must load
 * (VERITY_E_POLICY_INVALID otherwise) and is pinned with a `policy.install` entry; a new privacy
 * policy version is installed with its `privacy.policy` entry (a changed document under an
 * installed version is refused). A version the community enacted stays in force over an older
 * installed one (`inForce: false`).
 */
export async function installPolicies(
  v: Pick<Verity, 'store' | 'log'>,
  dir: string,
  o: { actor: string; clock?: Clock },
): Promise<InstalledPolicies> {
  const folder = join(dir, 'policies');
  if (!existsSync(folder))
    throw new ConfigError('VERITY_E_CONFIG_INVALID', `there is no ${quote(folder)} to install policies from`);
  const clock = o.clock === undefined ? {} : { clock: o.clock };
  const file = await dataDirPrivacyPolicy(dir);
  const text = await readPolicies(folder);
  const cedar = await new PolicySets({ store: v.store, log: v.log, ...clock }).install(text, { actor: o.actor });
  const privacy = await Privacy.open({ store: v.store, log: v.log, policy: file, actor: o.actor, ...clock });
  return {
    cedar: {
      hash: cedar.hash,
      logIndex: cedar.logIndex,
      installed: cedar.installed,
      files: await policyFiles(folder),
      added: cedar.added,
      removed: cedar.removed,
      changed: cedar.changed,
    },
    privacyPolicy: { version: file.version, hash: file.hash, inForce: privacy.policy.hash === file.hash },
  };
}

/** The file `verity policy defaults --write` adds this release's missing default policies to. */
export const DEFAULTS_FILE = 'verity-defaults.cedar';

/** What `verity policy defaults` found, and what it wrote. */
export interface DefaultsReport {
  readonly policies: readonly Omit<DefaultPolicyStanding, 'text'>[];
  /** The file written (with `write`) and the ids written to it. */
  readonly wrote?: { readonly file: string; readonly ids: readonly string[] };
  readonly next?: string;
}

/**
 * `verity policy defaults`: how each of this release's default policies stands in the set in force
 * and in DIR/policies. With `write`, the default policies the files lack are added, as this release
 * ships them, to DIR/policies/verity-defaults.cedar (made, or appended to): nothing is in force
 * before its operator reads them and runs `verity policy install`. A policy the files hold under
 * the same id with another text is left as the operator wrote it.
 */
export async function writeMissingDefaults(
  v: Pick<Verity, 'store' | 'log'>,
  dir: string,
  o: { write: boolean; clock?: Clock },
): Promise<DefaultsReport> {
  const folder = join(dir, 'policies');
  const set = await new PolicySets({
    store: v.store,
    log: v.log,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  }).inForce();
  const files = existsSync(folder) ? await readPolicies(folder) : undefined;
  const standing = standingOfDefaults(set?.text ?? '', files);
  const policies = standing.map(({ text: _text, ...s }) => s);
  const toWrite = standing.filter((s) => s.inFiles === 'missing');
  if (!o.write || toWrite.length === 0) {
    const pending = standing.filter((s) => s.inForce === 'missing' && s.inFiles !== 'missing');
    return pending.length === 0
      ? { policies }
      : {
          policies,
          next: `the files hold ${pending.map((s) => s.id).join(', ')}: \`verity policy install --data ${dir}\` puts them in force`,
        };
  }
  const file = join(folder, DEFAULTS_FILE);
  const header = existsSync(file)
    ? ''
    : "// Default policies of a later Verity release that this data directory's policies lacked, added by\n// `verity policy defaults --write`. Read them; `verity policy install` puts them in force.\n";
  const body = toWrite.map((s) => `\n${s.text.trim()}\n`).join('');
  await writeFile(file, `${header}${body}`, { flag: 'a', mode: 0o600 });
  return {
    policies,
    wrote: { file, ids: toWrite.map((s) => s.id) },
    next: `read ${file}, then \`verity policy install --data ${dir}\` puts it in force`,
  };
}
