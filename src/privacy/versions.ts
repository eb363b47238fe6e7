// The privacy policy's versions in the authenticated state: each installed version (immutable,
// `privacy.policy/v/VERSION`), the pointer to the version in force (`privacy.policy/current`),
// and the `privacy.policy` log entry that puts a version in force.
import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { POLICY_KIND } from '../consent/index.ts';
import { PrivacyError, quote } from '../errors/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { newObject, nextObject, type ObjectRow, type Store, type StoreWriter } from '../store/index.ts';
import { PrivacyPolicy } from './policy.ts';

export interface InstalledPolicy {
  readonly version: string;
  readonly hash: string;
  readonly installedAt: number;
  readonly logIndex: number;
}

const CURRENT = 'current';

/** The JSON object a state row holds, or undefined. */
export function body(row: ObjectRow | undefined): Record<string, unknown> | undefined {
  if (row === undefined) return undefined;
  try {
    const v = JSON.parse(row.body) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The state object of an installed policy version (written once: versions are immutable). */
function versionObject(policy: PrivacyPolicy, now: number, logIndex: number): ObjectRow {
  return newObject({
    kind: POLICY_KIND,
    id: `v/${policy.version}`,
    doc: { version: policy.version, hash: policy.hash, installedAt: now, logIndex, document: policy.canonical },
    updatedAt: now,
  });
}

/**
 * Puts `policy` in force in a log transaction: its `privacy.policy` entry, its version object when
 * the version is new, and the pointer to the version in force (naming the enacting proposal, if
 * any). Returns the entry's log index.
 */
async function putInForce(
  tx: StoreWriter,
  batch: LogBatch,
  o: {
    actor: string;
    policy: PrivacyPolicy;
    now: number;
    current: ObjectRow | undefined;
    isNew: boolean;
    proposal?: string;
  },
): Promise<number> {
  const { policy, now } = o;
  const logIndex = batch.add(
    encodeAuditEntry({
      actor: o.actor,
      action: 'privacy.policy',
      resource: `privacy-policy:${policy.version}`,
      purpose: 'accountability',
      outcome: 'success',
      time: now,
      contentHash: policy.hash,
      details: {
        version: policy.version,
        installed: o.isNew,
        ...(o.proposal === undefined ? {} : { proposal: o.proposal }),
      },
    }),
  );
  if (o.isNew) await tx.putObject(versionObject(policy, now, logIndex));
  await tx.putObject(
    nextObject(o.current, {
      kind: POLICY_KIND,
      id: CURRENT,
      doc: {
        version: policy.version,
        hash: policy.hash,
        since: now,
        logIndex,
        ...(o.proposal === undefined ? {} : { enactedBy: o.proposal }),
      },
      updatedAt: now,
    }),
  );
  return logIndex;
}

/** The installed policy versions and the one in force. */
export class PolicyVersions {
  /** The store, the log and the clock of the `Privacy` that owns these versions. */
  readonly #c: { readonly store: Store; readonly log: TransparencyLog; readonly clock: Clock };

  constructor(c: { readonly store: Store; readonly log: TransparencyLog; readonly clock: Clock }) {
    this.#c = c;
  }

  /**
   * Installs `policy` (a new version is stored and logged, an installed one with other content is
   * refused) and puts it in force, unless the version in force was enacted by the community and
   * `policy` is an installed, older one: then answers `enacted` (the caller takes up that one).
   */
  async install(policy: PrivacyPolicy, actor: string): Promise<'in-force' | 'enacted'> {
    const cur = body(await this.#c.store.reader.getObject(POLICY_KIND, CURRENT));
    if (cur?.['hash'] === policy.hash) return 'in-force';
    // A version the community enacted (D120) stays in force when Verity restarts on a file that
    // holds an older, already installed version: only a new version in the file replaces it.
    if (typeof cur?.['enactedBy'] === 'string') {
      const known = body(await this.#c.store.reader.getObject(POLICY_KIND, `v/${policy.version}`));
      if (known?.['hash'] === policy.hash) return 'enacted';
    }
    await this.#c.log.submit(async (tx, batch) => {
      const now = this.#c.clock.now();
      const id = `v/${policy.version}`;
      const known = await tx.getObject(POLICY_KIND, id);
      const knownBody = body(known);
      if (known !== undefined && knownBody?.['hash'] !== policy.hash)
        throw new PrivacyError(
          'VERITY_E_POLICY_VERSION_CONFLICT',
          `privacy policy version ${quote(policy.version)} is installed already with other content; give the changed document a new version`,
        );
      const current = await tx.getObject(POLICY_KIND, CURRENT);
      if (body(current)?.['hash'] === policy.hash) return;
      await putInForce(tx, batch, { actor, policy, now, current, isNew: known === undefined });
    });
    return 'in-force';
  }

  /**
   * The policy in force as the state holds it (`privacy.policy/current`), when its hash is not
   * `held`: a version enacted through governance on another node reaches this one here.
   */
  async inForceIfNot(held: string): Promise<PrivacyPolicy | undefined> {
    const cur = body(await this.#c.store.reader.getObject(POLICY_KIND, CURRENT));
    if (cur === undefined || cur['hash'] === held) return undefined;
    const text = await this.installedDocument(String(cur['version']));
    if (text === undefined) return undefined;
    const next = PrivacyPolicy.parse(text);
    if (next.hash !== cur['hash'])
      throw new PrivacyError(
        'VERITY_E_POLICY_VERSION_CONFLICT',
        `the stored privacy policy version ${quote(next.version)} does not match the hash in force; run \`verity log verify\``,
      );
    return next;
  }

  /**
   * Installs `policy` as a new version and puts it in force at once, in one transaction with its
   * `privacy.policy` entry (details name the governance proposal that enacted it). The version must
   * be new. The caller (governance) writes its own step in the same transaction through `tx`.
   */
  async enact(
    policy: PrivacyPolicy,
    access: { readonly actor: string; readonly proposal: string },
    inTx?: (tx: StoreWriter, batch: LogBatch, logIndex: number) => Promise<void>,
  ): Promise<InstalledPolicy> {
    const { result } = await this.#c.log.submit(async (tx, batch) => {
      const now = this.#c.clock.now();
      const id = `v/${policy.version}`;
      if ((await tx.getObject(POLICY_KIND, id)) !== undefined)
        throw new PrivacyError(
          'VERITY_E_POLICY_VERSION_CONFLICT',
          `privacy policy version ${quote(policy.version)} is installed already; a proposal must bring a new version`,
        );
      const current = await tx.getObject(POLICY_KIND, CURRENT);
      const logIndex = await putInForce(tx, batch, {
        actor: access.actor,
        policy,
        now,
        current,
        isNew: true,
        proposal: access.proposal,
      });
      if (inTx !== undefined) await inTx(tx, batch, logIndex);
      return { version: policy.version, hash: policy.hash, installedAt: now, logIndex };
    });
    return result;
  }

  /** The pointer to the version in force: its version, hash, log index, and the proposal that enacted it. */
  async inForce(): Promise<{ version: string; hash: string; logIndex: number; enactedBy?: string } | undefined> {
    const cur = body(await this.#c.store.reader.getObject(POLICY_KIND, CURRENT));
    if (cur === undefined) return undefined;
    return {
      version: String(cur['version']),
      hash: String(cur['hash']),
      logIndex: Number(cur['logIndex']),
      ...(typeof cur['enactedBy'] === 'string' ? { enactedBy: cur['enactedBy'] } : {}),
    };
  }

  /** Every installed version, by version (installed versions are never removed). */
  async installedVersions(): Promise<InstalledPolicy[]> {
    const rows = await this.#c.store.reader.listObjects(POLICY_KIND, '', { limit: 1000 });
    return rows
      .filter((r) => r.id.startsWith('v/'))
      .map((r) => {
        const b = body(r) ?? {};
        return {
          version: String(b['version']),
          hash: String(b['hash']),
          installedAt: Number(b['installedAt']),
          logIndex: Number(b['logIndex']),
        };
      });
  }

  /** The text of an installed version, or undefined. */
  async installedDocument(version: string): Promise<string | undefined> {
    const b = body(await this.#c.store.reader.getObject(POLICY_KIND, `v/${version}`));
    return typeof b?.['document'] === 'string' ? b['document'] : undefined;
  }
}
