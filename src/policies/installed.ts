// The Cedar policy set in force, pinned in the authenticated state (D416): the set's text and hash
// in the state object `access.policies/current`, put there only with a `policy.install` log entry.
// The files of DIR/policies are where an operator edits; they decide nothing until installed, so
// whoever can write the data directory but holds no key store secret cannot change what is allowed.
import { namedPolicies, PolicyEngine } from '../access/index.ts';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { nextObject, type ObjectRow, type Store } from '../store/index.ts';

/**
 * What a Cedar policy file may be named, in a data directory's `policies/` and in a signed update:
 * what `ls` shows (no hidden file installed unseen, D416), lowercase letters, digits and `._-`.
 */
export function isPolicyFileName(name: string): boolean {
  return /^[a-z0-9][a-z0-9._-]{0,63}\.cedar$/.test(name);
}

/** The state object kind of the installed Cedar policy set. */
export const POLICY_SET_KIND = 'access.policies';
const CURRENT = 'current';

/** The policy set in force as the state holds it. */
export interface InstalledPolicySet {
  /** `sha256:` and the base64url SHA-256 of the text (`PolicyEngine.policyHash`). */
  readonly hash: string;
  readonly text: string;
  readonly installedAt: number;
  /** The index of its `policy.install` entry. */
  readonly logIndex: number;
  readonly actor: string;
}

function parse(row: ObjectRow | undefined): InstalledPolicySet | undefined {
  if (row === undefined) return undefined;
  const doc = JSON.parse(row.body) as Partial<InstalledPolicySet>;
  if (
    typeof doc.hash !== 'string' ||
    typeof doc.text !== 'string' ||
    typeof doc.installedAt !== 'number' ||
    typeof doc.logIndex !== 'number' ||
    typeof doc.actor !== 'string'
  )
    throw new VerityError(
      'VERITY_E_POLICY_INVALID',
      'the installed policy set is not readable; run `verity log verify --data DIR` and install the policies again',
    );
  return doc as InstalledPolicySet;
}

/**
 * The Cedar policy set in force: read from, and installed into, the authenticated state.
 *
 * @example
 * ```ts
 * const sets = new PolicySets({ store, log });
 * const { hash } = await sets.install(text, { actor: 'operator:cli' });
 * const engine = PolicyEngine.load((await sets.inForce())!.text);
 * ```
 */
export class PolicySets {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;

  constructor(o: { store: Store; log: TransparencyLog; clock?: Clock }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
  }

  /** The set in force, read through the state map (a changed row is VERITY_E_STATE_TAMPERED), or undefined. */
  async inForce(): Promise<InstalledPolicySet | undefined> {
    return parse(await this.#store.reader.getObject(POLICY_SET_KIND, CURRENT));
  }

  /**
   * Puts `text` in force: it must load as a policy set (VERITY_E_POLICY_INVALID otherwise); the
   * state object and its `policy.install` entry (the set's hash as content hash, the previous
   * set's hash in details) are written in one transaction. A set already in force is left as it is
   * (`installed: false`).
   */
  async install(
    text: string,
    o: { actor: string; reason?: string },
  ): Promise<{
    hash: string;
    logIndex: number;
    installed: boolean;
    previous?: string;
    /**
     * The policy ids this set adds to the one it replaces, those it drops, and those it keeps with
     * another text (a condition edited in place under its id, D425).
     */
    added: string[];
    removed: string[];
    changed: string[];
  }> {
    const engine = PolicyEngine.load(text, { cacheSize: 0 });
    const hash = engine.policyHash;
    const named = engine.policyTexts;
    const ids = engine.policyIds;
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(POLICY_SET_KIND, CURRENT);
      const current = parse(row);
      if (current?.hash === hash)
        return { hash, logIndex: current.logIndex, installed: false, added: [], removed: [], changed: [] };
      // The set it replaces was validated when installed: parsed here, not loaded again.
      const previous = current === undefined ? {} : namedPolicies(current.text);
      const before = Object.keys(previous);
      const added = ids.filter((id) => !before.includes(id));
      const removed = before.filter((id) => !ids.includes(id));
      const changed = ids.filter(
        (id) => Object.hasOwn(previous, id) && (previous[id] as string).trim() !== (named[id] as string).trim(),
      );
      const now = this.#clock.now();
      const logIndex = batch.add(
        encodeAuditEntry({
          actor: o.actor,
          action: 'policy.install',
          resource: 'policies:cedar',
          purpose: 'security',
          outcome: 'success',
          time: now,
          contentHash: hash,
          details: {
            ...(current === undefined ? {} : { previous: current.hash }),
            ...(o.reason === undefined ? {} : { reason: o.reason }),
            added: added.length,
            removed: removed.length,
            changed: changed.length,
          },
        }),
      );
      const doc: InstalledPolicySet = { hash, text, installedAt: now, logIndex, actor: o.actor };
      await tx.putObject(nextObject(row, { kind: POLICY_SET_KIND, id: CURRENT, doc, updatedAt: now }));
      return {
        hash,
        logIndex,
        installed: true,
        ...(current === undefined ? {} : { previous: current.hash }),
        added,
        removed,
        changed,
      };
    });
    return result;
  }
}
