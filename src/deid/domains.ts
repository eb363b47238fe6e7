// Who made each de-identification domain (D418): a pseudonym domain, a token domain or an FF1 key
// name belongs to the principal that first used it, kept in the authenticated state
// (`deid.domain/KIND:NAME`) with a `deid.domain` entry. Another service using the name would share
// the key: its pseudonyms would match the maker's (re-identifying them by guessed ids), its FF1
// ciphertexts too, and it could detokenize the maker's tokens.
import { createHash } from 'node:crypto';
import { type Clock, systemClock } from '../clock/index.ts';
import { VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { newObject, type Store } from '../store/index.ts';
import { type Access, auditEntry } from '../vault/index.ts';
import { checkDomain } from './pseudonyms.ts';

/** What a domain names: a pseudonym key, a token domain, an FF1 key. */
export type DomainKind = 'pseudonym' | 'token' | 'fpe';

const KIND = 'deid.domain';

/** The makers of de-identification domains, in the authenticated state. */
export class DomainMakers {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;

  constructor(o: { store: Store; log: TransparencyLog; clock?: Clock }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
  }

  /** The principal (its audit actor) that made the domain, or undefined when none has yet. */
  async makerOf(kind: DomainKind, name: string): Promise<string | undefined> {
    const row = await this.#store.reader.getObject(KIND, `${kind}:${checkDomain(name)}`);
    return row === undefined ? undefined : (JSON.parse(row.body) as { maker: string }).maker;
  }

  /**
   * Uses the domain as `access.actor`: a free one becomes theirs (its `deid.domain` entry and state
   * object in one transaction); another's is refused (VERITY_E_ACCESS_DENIED), unless `anyMaker`
   * (the local operator, who holds the keys anyway, uses any domain and claims the free ones).
   * Domains used before makers were kept are free until their next use.
   */
  async use(kind: DomainKind, name: string, access: Access, o: { anyMaker?: boolean } = {}): Promise<void> {
    const id = `${kind}:${checkDomain(name)}`;
    // The PII scan's own domains (D429): nobody claims them, so nobody reproduces another's digests.
    if (kind === 'pseudonym' && o.anyMaker !== true && isPiiScanDomain(name))
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `the pseudonym domain \`${name}\` is the PII scan's (\`pii\`, and \`pii.\` and a service's own digest for each service's default): name a domain of your own`,
      );
    let maker = await this.makerOf(kind, name);
    if (maker === undefined)
      ({ result: maker } = await this.#log.submit(async (tx, batch) => {
        const row = await tx.getObject(KIND, id);
        if (row !== undefined) return (JSON.parse(row.body) as { maker: string }).maker;
        const now = this.#clock.now();
        const logIndex = batch.add(auditEntry(this.#clock, access, 'deid.domain', id));
        await tx.putObject(
          newObject({
            kind: KIND,
            id,
            owner: access.actor,
            doc: { maker: access.actor, at: now, logIndex },
            updatedAt: now,
          }),
        );
        return access.actor;
      }));
    if (maker !== access.actor && o.anyMaker !== true) throw notYours(kind, name);
  }

  /** Refuses a domain another principal made; a domain no one made yet is not claimed by this. */
  async check(kind: DomainKind, name: string, actor: string): Promise<void> {
    const maker = await this.makerOf(kind, name);
    if (maker !== undefined && maker !== actor) throw notYours(kind, name);
  }
}

/** Whether `name` is a domain of the PII scan's defaults: `pii`, or `pii.` and more (D429). */
export function isPiiScanDomain(name: string): boolean {
  return name === 'pii' || name.startsWith('pii.');
}

/**
 * The PII scan's default domain for `hash` and `pseudonymize` for a service: its own (`pii.` and 32
 * hex digits of the SHA-256 of its principal name), so that no other service reproduces its
 * digests by scanning guesses (D429). The local operator's and other roles' default stays `pii`.
 */
export function piiScanDomain(principal: string): string {
  return `pii.${createHash('sha256').update(`verity/pii-scan-domain/v1\n${principal}`).digest('hex').slice(0, 32)}`;
}

function notYours(kind: DomainKind, name: string): VerityError {
  const what = kind === 'fpe' ? 'FPE key' : `${kind} domain`;
  return new VerityError(
    'VERITY_E_ACCESS_DENIED',
    `the ${what} \`${name}\` belongs to another principal (the first to use it): use a name of your own`,
  );
}
