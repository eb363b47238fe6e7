import { type Clock, systemClock } from '../clock/index.ts';
import { type JsonValue, utf8 } from '../encoding/index.ts';
import { InputError, isVerityError, quote, VaultError } from '../errors/index.ts';
import { FF1 } from '../fpe/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { type Access, auditEntry, type Vault } from '../vault/index.ts';
import { PrivateDatasets } from './datasets.ts';
import { DomainMakers } from './domains.ts';
import { checkDomain, Pseudonyms } from './pseudonyms.ts';

/** The record type that holds tokenized values in the vault. */
export const TOKEN_TYPE = 'verity.token';
const TOKEN_SCHEMA: JsonValue = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: { value: { type: 'string', maxLength: 4096 } },
};
const MAX_FPE_VALUES = 10_000;

/** Options of one FF1 operation. */
export interface FpeOptions {
  readonly radix: number;
  /** Exactly `radix` distinct characters; default digits then lowercase letters. */
  readonly alphabet?: string;
  readonly tweak?: Uint8Array;
}

/**
 * The de-identification toolkit over Verity's keys, vault and log (FGMV-46 7.1.3): keyed
 * pseudonyms per domain, reversible vault tokens, and FF1 format-preserving encryption under named
 * keys. Keys stay in the KeyStore. Every call is audited; re-identifying ones (detokenize, FF1
 * decryption) are the reads an auditor looks for. Authorization is the caller's: the server decides
 * `deidentify` and `reidentify` with Cedar and passes the deciding policy hash in `access`.
 */
export class Deid {
  readonly pseudonyms: Pseudonyms;
  /** Differentially private aggregates over datasets sealed in the vault, with persistent budgets. */
  readonly datasets: PrivateDatasets;
  /** Who made each pseudonym domain, token domain and FF1 key (D418). */
  readonly domains: DomainMakers;
  readonly #keys: KeyStore;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #fpe = new Map<string, Uint8Array>();

  constructor(o: { keys: KeyStore; store: Store; log: TransparencyLog; vault: Vault; clock?: Clock }) {
    this.#keys = o.keys;
    this.#store = o.store;
    this.#log = o.log;
    this.#vault = o.vault;
    this.#clock = o.clock ?? systemClock;
    this.pseudonyms = new Pseudonyms(o);
    this.datasets = new PrivateDatasets(o);
    this.domains = new DomainMakers(o);
  }

  /**
   * One audit entry for a stateless de-identification call (PII scan, anonymization): what was
   * done, with counts only.
   */
  async audit(
    action: 'deid.pii' | 'deid.anonymize',
    resource: string,
    details: Record<string, number>,
    access: Access,
  ): Promise<number> {
    const { result } = await this.#log.submit((_tx, batch) =>
      batch.add(auditEntry(this.#clock, access, action, resource, { details })),
    );
    return result;
  }

  // ---- tokens ------------------------------------------------------------------------------

  /**
   * Replaces a value of a subject by a random token: the value is sealed in the vault as a record of
   * type `verity.token` (so it is encrypted under the subject's key, shredded with the subject, and
   * every detokenization is an audited, proven read); the token is that record's id.
   */
  async tokenize(
    subject: string,
    value: string,
    domain: string,
    access: Access,
  ): Promise<{ token: string; logIndex: number }> {
    checkDomain(domain, 'token domain');
    if (typeof value !== 'string' || value.length === 0 || value.length > 4096)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a value to tokenize is a string of 1 to 4096 characters');
    await this.#ensureTokenType(access);
    const r = await this.#vault.put({
      ...access,
      subject,
      type: TOKEN_TYPE,
      data: { value },
      classification: { category: `token.${domain}`, sensitivity: 'restricted' },
    });
    return { token: r.id, logIndex: r.logIndex };
  }

  /** The domain a token belongs to, for authorization before detokenizing (undefined: no such token). */
  async tokenDomain(token: string): Promise<string | undefined> {
    const d = await this.#vault.describe(token);
    if (d === undefined || d.type !== TOKEN_TYPE || !d.category.startsWith('token.')) return undefined;
    return d.category.slice('token.'.length);
  }

  /** The value behind a token: a vault read, audited with the purpose and the deciding policy. */
  async detokenize(token: string, access: Access): Promise<{ value: string; domain: string; logIndex: number }> {
    const domain = await this.tokenDomain(token);
    if (domain === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `there is no token ${quote(token)}`);
    const r = await this.#vault.get(token, access);
    return { value: (r.data as { value: string }).value, domain, logIndex: r.readLogIndex };
  }

  async #ensureTokenType(access: Access): Promise<void> {
    if ((await this.#store.reader.getSchema(TOKEN_TYPE)) !== undefined) return;
    await this.#vault.registerSchema(TOKEN_TYPE, TOKEN_SCHEMA, access);
  }

  // ---- format-preserving encryption -----------------------------------------------------------

  /**
   * FF1-encrypts values under the named key (`fpe.NAME` in the KeyStore; the AES-256 key FF1 uses
   * is derived from it inside the KeyStore). FF1 ciphertexts carry no key version, so a named key is
   * never rotated: use a new name for a new key. One audit entry per call (key name and count).
   */
  async fpeEncrypt(
    key: string,
    values: readonly string[],
    o: FpeOptions,
    access: Access,
  ): Promise<{ values: string[]; logIndex: number }> {
    const f = await this.#ff1(key, o, true);
    const out = checkValues(values).map((v) => f.encrypt(v, o.tweak));
    return { values: out, logIndex: await this.#auditFpe('deid.fpe.encrypt', key, values.length, access) };
  }

  /** FF1-decrypts: re-identification, audited. */
  async fpeDecrypt(
    key: string,
    values: readonly string[],
    o: FpeOptions,
    access: Access,
  ): Promise<{ values: string[]; logIndex: number }> {
    const f = await this.#ff1(key, o, false);
    const checked = checkValues(values);
    // Audited before the plaintexts are released.
    const logIndex = await this.#auditFpe('deid.fpe.decrypt', key, values.length, access);
    return { values: checked.map((v) => f.decrypt(v, o.tweak)), logIndex };
  }

  async #ff1(key: string, o: FpeOptions, create: boolean): Promise<FF1> {
    checkDomain(key, 'FPE key name');
    const name = `fpe.${key}`;
    let k = this.#fpe.get(name);
    if (k === undefined) {
      if (create) await this.#keys.ensureMacKey(name);
      try {
        k = await this.#keys.mac(name, utf8('verity/ff1-key/v1'));
      } catch (e) {
        if (isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'))
          throw new VaultError('VERITY_E_RECORD_NOT_FOUND', `there is no FPE key ${quote(key)}; encrypt with it first`);
        throw e;
      }
      this.#fpe.set(name, k);
    }
    return new FF1(k, o.radix, o.alphabet);
  }

  async #auditFpe(action: 'deid.fpe.encrypt' | 'deid.fpe.decrypt', key: string, count: number, access: Access) {
    const { result } = await this.#log.submit((_tx, batch) =>
      batch.add(auditEntry(this.#clock, access, action, `fpe:${key}`, { details: { count } })),
    );
    return result;
  }
}

function checkValues(values: readonly string[]): readonly string[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_FPE_VALUES)
    throw new InputError('VERITY_E_INPUT_INVALID', `give 1 to ${MAX_FPE_VALUES} values`);
  return values;
}
