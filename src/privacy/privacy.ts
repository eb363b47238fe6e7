// The privacy capability over the authenticated store and the log: the installed policy versions,
// players' declared regions, their consents, and the consent a decision reads. Every change is a
// state object written in the same transaction as its log entry.
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import type { ConsentProofs } from '../consent/index.ts';
import {
  CONSENT_KIND,
  CONSENT_STATUSES,
  type ConsentChange,
  type ConsentRecord,
  type ConsentStatus,
  changeCommitment,
  checkRecord,
  consentObjectId,
  HISTORY_KIND,
  historyObjectId,
  METHOD_RE,
  REGION_RE,
  SUBJECT_KIND,
} from '../consent/index.ts';
import { randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError, quote, StoreError } from '../errors/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { newObject, nextObject, type Store, type StoreReader, type StoreWriter } from '../store/index.ts';
import type { PrivacyPolicy, Regime } from './policy.ts';
import { proveConsents } from './prove.ts';
import { body, type InstalledPolicy, PolicyVersions } from './versions.ts';

/** Who acts (named in the log entry). */
export interface PrivacyAccess {
  readonly actor: string;
}

/** A consent change asked for. */
export interface ConsentInput {
  readonly purpose: string;
  readonly category?: string;
  readonly status: ConsentStatus;
  /** How it was collected, e.g. `web-form`, `in-world-dialog`, `api`, `gpc-signal`. */
  readonly method: string;
  /** The privacy policy version the player was shown (default: the one in force). */
  readonly policyVersion?: string;
  /** The player's declared region, recorded first when given (ISO 3166, e.g. `DE`, `US-CA`). */
  readonly region?: string;
}

/** What a decision reads: the Cedar context value, and why consent denies when it does. */
export interface ConsentAnswer {
  readonly consent: 'granted' | 'denied' | 'unknown';
  readonly because?: 'required' | 'opted-out';
}

/** One installed policy version (the `privacy.policy` object `v/VERSION`). */
const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const MAX_CONSENTS = 512;

function checkRef(subjectRef: string): string {
  if (typeof subjectRef !== 'string' || !REF_RE.test(subjectRef))
    throw new TypeError('a player is named by subject reference (vault.subjectRef)');
  return subjectRef;
}

/** A retry-safe write: another writer changed the object first. */
function isConflict(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'VERITY_E_STORE_CONFLICT';
}

/** Country names by ISO 3166-1 alpha-2 code (ICU's CLDR data, shipped with Node.js). */
const COUNTRY_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
/** Codes CLDR names that are no country: unknown, the EU, the eurozone, the UN, outlying Oceania. */
const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);

/**
 * Whether `code` is a country's ISO 3166-1 alpha-2 code: CLDR names it (a user-assigned code such as
 * XX, AA or QZ has no name), and it is no grouping. Subdivision codes are not checked past their
 * country (no list of them ships with the runtime).
 */
function isCountry(code: string): boolean {
  return !NOT_COUNTRIES.has(code) && COUNTRY_NAMES.of(code) !== code;
}

/**
 * Privacy policy versions, declared regions and consent (FGMV-46 7.4.1). Construct with `open`,
 * which installs the policy given (a new version is stored and logged; an installed version with
 * other content is refused).
 *
 * @example
 * ```ts
 * const privacy = await Privacy.open({ store, log, policy: PrivacyPolicy.parse(text) });
 * await privacy.recordConsent(ref, { purpose: 'personalisation', status: 'given', method: 'web-form' }, { actor: 'service:world' });
 * (await privacy.consentFor(ref, 'personalisation')).consent; // 'granted'
 * ```
 */
export class Privacy {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #versions: PolicyVersions;
  /** Consent records parsed from the rows the store served (the same row object while unchanged). */
  readonly #parsed = new WeakMap<object, ConsentRecord>();
  // Replaced when a governance proposal is enacted (`enact`) or another node enacted one (`refresh`).
  #policy: PrivacyPolicy;

  private constructor(store: Store, log: TransparencyLog, clock: Clock, policy: PrivacyPolicy) {
    this.#store = store;
    this.#log = log;
    this.#clock = clock;
    this.#versions = new PolicyVersions({ store, log, clock });
    this.#policy = policy;
  }

  /**
   * Installs `policy` (when it is new) and returns the capability over it. With `keepInForce`, the
   * version the state holds in force stays in force and `policy` is installed only when there is
   * none (D416: a data directory's file decides nothing until `verity policy install`).
   */
  static async open(o: {
    store: Store;
    log: TransparencyLog;
    policy: PrivacyPolicy;
    clock?: Clock;
    actor?: string;
    keepInForce?: boolean;
  }): Promise<Privacy> {
    const p = new Privacy(o.store, o.log, o.clock ?? systemClock, o.policy);
    if (o.keepInForce === true && (await p.#versions.inForce()) !== undefined) await p.refresh();
    else await p.#install(o.actor ?? 'system:verity');
    return p;
  }

  /** The policy in force. */
  get policy(): PrivacyPolicy {
    return this.#policy;
  }

  async #install(actor: string): Promise<void> {
    if ((await this.#versions.install(this.#policy, actor)) === 'enacted') await this.refresh();
  }

  /**
   * Reads the policy in force from the state (`privacy.policy/current`) and takes it up when it is
   * not the one this node holds: a version enacted through governance on another node reaches this
   * one here. Returns the version in force.
   */
  async refresh(): Promise<string> {
    const next = await this.#versions.inForceIfNot(this.#policy.hash);
    if (next !== undefined) this.#policy = next;
    return this.#policy.version;
  }

  /**
   * Installs `policy` as a new version and puts it in force at once, in one transaction with its
   * `privacy.policy` entry (details name the governance proposal that enacted it). The version must
   * be new. The caller (governance) writes its own step in the same transaction through `tx`.
   */
  async enact(
    policy: PrivacyPolicy,
    access: PrivacyAccess & { readonly proposal: string },
    inTx?: (tx: StoreWriter, batch: LogBatch, logIndex: number) => Promise<void>,
  ): Promise<InstalledPolicy> {
    const installed = await this.#versions.enact(policy, access, inTx);
    this.#policy = policy;
    return installed;
  }

  /** The pointer to the version in force: its version, hash, log index, and the proposal that enacted it. */
  inForce(): Promise<{ version: string; hash: string; logIndex: number; enactedBy?: string } | undefined> {
    return this.#versions.inForce();
  }

  /** Every installed version, by version (installed versions are never removed). */
  installedVersions(): Promise<InstalledPolicy[]> {
    return this.#versions.installedVersions();
  }

  /** The text of an installed version, or undefined. */
  installedDocument(version: string): Promise<string | undefined> {
    return this.#versions.installedDocument(version);
  }

  /** The player's declared region, if any. */
  async regionOf(subjectRef: string, reader: StoreReader = this.#store.reader): Promise<string | undefined> {
    const r = body(await reader.getObject(SUBJECT_KIND, checkRef(subjectRef)))?.['region'];
    return typeof r === 'string' ? r : undefined;
  }

  /** The regime that applies to the player (from their declared region; the default without one). */
  async regimeOf(subjectRef: string): Promise<string> {
    return this.#policy.regimeFor(await this.regionOf(subjectRef));
  }

  /**
   * Records the player's declared region (ISO 3166-1 alpha-2 or 3166-2, e.g. `DE`, `US-CA`); the
   * log entry names the regime it selects, never the region or the player. Rights already
   * requested keep the regime and policy version they were requested under.
   */
  async declareRegion(
    subjectRef: string,
    region: string,
    access: PrivacyAccess,
  ): Promise<{ regime: string; logIndex: number }> {
    checkRef(subjectRef);
    if (typeof region !== 'string' || !REGION_RE.test(region) || !isCountry(region.slice(0, 2)))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `region ${quote(region)} is not an ISO 3166 code of a country (two capital letters, e.g. DE, or a subdivision like US-CA)`,
      );
    const regime = this.#policy.regimeFor(region);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(SUBJECT_KIND, subjectRef);
      const b = body(row) ?? {};
      const now = this.#clock.now();
      const sid = typeof b['id'] === 'string' ? b['id'] : `psj_${toBase64Url(randomBytesSecure(16))}`;
      const logIndex = batch.add(
        encodeAuditEntry({
          actor: access.actor,
          action: 'privacy.region',
          resource: `privacy-subject:${sid}`,
          purpose: 'legal-obligation',
          outcome: 'success',
          time: now,
          details: { regime, policyVersion: this.#policy.version },
        }),
      );
      await tx.putObject(
        nextObject(row, {
          kind: SUBJECT_KIND,
          id: subjectRef,
          owner: subjectRef,
          doc: { id: sid, region, regime, declaredAt: now, logIndex },
          updatedAt: now,
        }),
      );
      return logIndex;
    });
    return { regime, logIndex: result };
  }

  /** The current state of one consent, or undefined. */
  async consent(subjectRef: string, purpose: string, category?: string): Promise<ConsentRecord | undefined> {
    const row = await this.#store.reader.getObject(
      CONSENT_KIND,
      consentObjectId(checkRef(subjectRef), purpose, category),
    );
    if (row === undefined) return undefined;
    // The store serves an unchanged row as the same frozen object (D99): parse it once.
    let parsed = this.#parsed.get(row);
    if (parsed === undefined) {
      parsed = Object.freeze(checkRecord(JSON.parse(row.body)));
      this.#parsed.set(row, parsed);
    }
    return parsed;
  }

  /** Every consent of a player (current states), by purpose. */
  async consents(subjectRef: string): Promise<ConsentRecord[]> {
    const rows = await this.#store.reader.listObjects(CONSENT_KIND, checkRef(subjectRef), { limit: MAX_CONSENTS });
    return rows.map((r) => checkRecord(JSON.parse(r.body)));
  }

  /**
   * A player's consents with their evidence against the latest signed checkpoint: each current state
   * with its state proof, every change with its inclusion proof (check with `verifyConsentProofs`).
   */
  prove(subjectRef: string): Promise<ConsentProofs> {
    return proveConsents(this.#store, this.#log, checkRef(subjectRef), this.#policy.version);
  }

  /**
   * Records a change of consent: its history item, its new current state and its log entry in one
   * transaction. The policy version shown must be an installed one.
   */
  async recordConsent(
    subjectRef: string,
    input: ConsentInput,
    access: PrivacyAccess,
  ): Promise<{ record: ConsentRecord; logIndex: number }> {
    checkRef(subjectRef);
    const policy = this.#policy;
    const purpose = policy.checkPurpose(input.purpose);
    const category = input.category === undefined ? null : policy.checkCategory(input.category);
    if (!(CONSENT_STATUSES as readonly string[]).includes(input.status))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `consent status ${quote(input.status)} is not one of ${CONSENT_STATUSES.join(', ')}`,
      );
    if (typeof input.method !== 'string' || !METHOD_RE.test(input.method))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `collection method ${quote(input.method)} must be a short token such as web-form, in-world-dialog, api`,
      );
    const shown = input.policyVersion ?? policy.version;
    if (shown !== policy.version && (await this.installedDocument(shown)) === undefined)
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `privacy policy version ${quote(shown)} was never installed here; name the version the player was shown`,
      );
    if (input.region !== undefined) await this.declareRegion(subjectRef, input.region, access);
    const id = consentObjectId(subjectRef, purpose, category);
    for (let attempt = 0; ; attempt++) {
      try {
        const { result } = await this.#log.submit(async (tx, batch) => {
          const row = await tx.getObject(CONSENT_KIND, id);
          const prev = row === undefined ? undefined : checkRecord(JSON.parse(row.body));
          const region = await this.regionOf(subjectRef, tx);
          const now = this.#clock.now();
          const change: ConsentChange = {
            consentId: prev?.consentId ?? `cns_${toBase64Url(randomBytesSecure(16))}`,
            subjectRef,
            purpose,
            category,
            status: input.status,
            at: now,
            policyVersion: shown,
            method: input.method,
            regime: policy.regimeFor(region),
          };
          const salt = randomBytesSecure(16);
          const logIndex = batch.add(
            encodeAuditEntry({
              actor: access.actor,
              action: 'consent.record',
              resource: `consent:${change.consentId}`,
              purpose,
              outcome: 'success',
              time: now,
              contentHash: changeCommitment(change, salt),
              details: { status: change.status, method: change.method, policyVersion: shown, regime: change.regime },
            }),
          );
          const n = (prev?.changes ?? 0) + 1;
          await tx.putObject(
            newObject({
              kind: HISTORY_KIND,
              id: historyObjectId(change.consentId, n),
              owner: subjectRef,
              doc: { change, salt: toBase64Url(salt), logIndex },
              updatedAt: now,
            }),
          );
          const record: ConsentRecord = {
            consentId: change.consentId,
            subjectRef,
            purpose,
            category,
            status: change.status,
            givenAt: change.status === 'given' ? now : (prev?.givenAt ?? null),
            withdrawnAt: change.status === 'given' ? null : now,
            policyVersion: shown,
            method: change.method,
            regime: change.regime,
            changes: n,
            logIndex,
            updatedAt: now,
          };
          await tx.putObject(
            nextObject(row, { kind: CONSENT_KIND, id, owner: subjectRef, doc: record, updatedAt: now }),
          );
          return { record, logIndex };
        });
        return result;
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /**
   * The consent an authorization decision reads, at the time it is made (nothing is cached, so a
   * withdrawal is seen by the very next request, on every node). `unknown` when consent does not
   * bear on the purpose for the player's regime; `denied` when it is needed (opt-in) and not given,
   * or the player opted out (a recorded opt-out, or `gpc` for a sale, sharing or `share` under a
   * regime that honours Global Privacy Control).
   */
  async consentFor(
    subjectRef: string,
    purpose: string,
    o: { category?: string; gpc?: boolean; action?: string } = {},
  ): Promise<ConsentAnswer> {
    const policy = this.#policy;
    const gpcSelling = o.gpc === true && (policy.saleOrSharing(purpose) !== undefined || o.action === 'share');
    const special = policy.isSpecial(o.category);
    // Most traffic: consent bears on the purpose nowhere; no read at all.
    if (policy.consentFree(purpose) && !special && !gpcSelling) return { consent: 'unknown' };
    if (!policy.hasPurpose(purpose)) return { consent: 'unknown' };
    // The player's regime is read only when it matters (the purpose's mode differs between regimes,
    // a special category, or a GPC signal): a decision reads one object in the common case.
    const uniform = special || gpcSelling ? 'mixed' : policy.uniformMode(purpose);
    let mode = uniform === 'mixed' ? undefined : uniform;
    if (uniform === 'mixed') {
      const regime = policy.regimeFor(await this.regionOf(subjectRef));
      const g: Regime = policy.regime(regime);
      if (gpcSelling && g.honoursGpc === true) return { consent: 'denied', because: 'opted-out' };
      mode = policy.consentMode(purpose, regime, o.category);
    }
    // Consent to a special category is its own (GDPR Art. 9(2)(a)); otherwise per purpose.
    const latest = await this.consent(subjectRef, purpose, special ? o.category : undefined);
    if (mode === 'opt-in')
      return latest?.status === 'given' ? { consent: 'granted' } : { consent: 'denied', because: 'required' };
    if (mode === 'opt-out' && latest !== undefined && latest.status !== 'given')
      return { consent: 'denied', because: 'opted-out' };
    return { consent: latest?.status === 'given' ? 'granted' : 'unknown' };
  }

  /**
   * A Global Privacy Control signal (`Sec-GPC: 1`) from the player's own user agent: under a
   * regime that honours it, an opt-out of every sale and sharing purpose is recorded (method
   * `gpc-signal`) unless one is already. Returns how many were recorded.
   */
  async honourGpc(subjectRef: string, access: PrivacyAccess): Promise<number> {
    const regime = this.#policy.regime(await this.regimeOf(subjectRef));
    if (regime.honoursGpc !== true) return 0;
    let n = 0;
    for (const purpose of this.#policy.salePurposes) {
      const cur = await this.consent(subjectRef, purpose);
      if (cur !== undefined && cur.status !== 'given') continue;
      await this.recordConsent(
        subjectRef,
        { purpose, status: cur === undefined ? 'refused' : 'withdrawn', method: 'gpc-signal' },
        access,
      );
      n++;
    }
    return n;
  }
}
