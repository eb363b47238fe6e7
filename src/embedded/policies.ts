// The policies a data directory decides by (D416). DIR/policies holds the files an operator edits;
// what is in force is what the authenticated state holds: the Cedar set (`access.policies/current`)
// and the privacy policy version (`privacy.policy/current`). `verity policy install` puts the files
// in force with the key store's secret; a start or a local command only reads what is in force and
// says when the files differ.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICIES, PolicyEngine, policySetHash } from '../access/index.ts';
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
    /** The files installed, and the policy ids added to and removed from the set in force. */
    readonly files: readonly string[];
    readonly added: readonly string[];
    readonly removed: readonly string[];
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
    },
    privacyPolicy: { version: file.version, hash: file.hash, inForce: privacy.policy.hash === file.hash },
  };
}
