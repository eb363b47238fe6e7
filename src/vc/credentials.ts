import type { JWK } from 'jose';
import { encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import type { DidWebIdentities } from '../did/index.ts';
import { fromBase64Url, type JsonValue, parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { CredentialError, InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import {
  type DisclosureFrame,
  issueSdJwt,
  publicJwk,
  SD_JWT_VC_TYP,
  STATUS,
  StatusList,
  signStatusListToken,
} from '../sdjwt/index.ts';
import { newObject, nextObject, type Store, type StoreWriter } from '../store/index.ts';

/** Object kinds: issued credentials (metadata only, never claims) and status lists. */
export const CREDENTIAL_KIND = 'vc.credential';
export const STATUS_LIST_KIND = 'vc.status-list';
/** The index from a status list entry to the credential (and its subject) it was allocated to. */
export const STATUS_ENTRY_KIND = 'vc.status-entry';

/** The credentials Verity issues, their `vct`, and which claims are selectively disclosable. */
export const CREDENTIAL_TYPES = {
  'over-18': { vct: 'urn:verity:credential:over-18', frame: { sd: ['age_over_18'] } },
  'verified-creator': {
    vct: 'urn:verity:credential:verified-creator',
    frame: { sd: ['creator_name', 'verified_since', 'asset_kinds'], nested: { asset_kinds: { items: true } } },
  },
  membership: { vct: 'urn:verity:credential:membership', frame: { sd: ['platform', 'member_since', 'tier'] } },
} as const satisfies Record<string, { vct: string; frame: DisclosureFrame }>;
export type CredentialType = keyof typeof CREDENTIAL_TYPES;

/** Entries per status list (2 bits each: VALID, INVALID, SUSPENDED), allocated at random. */
const LIST_SIZE = 1 << 16;
const MAX_TTL_S = 2 * 365 * 24 * 3600;
const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const ID_RE = /^vc_[A-Za-z0-9_-]{16}$/;

/** What Verity keeps about a credential it issued (no claim values). */
export interface CredentialRecord {
  readonly id: string;
  readonly type: CredentialType;
  readonly vct: string;
  readonly subjectRef: string;
  readonly list: string;
  readonly idx: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly status: 'valid' | 'revoked' | 'suspended';
}

interface ListBody {
  readonly id: string;
  readonly bits: 2;
  readonly size: number;
  /** The list, base64url of the raw (uncompressed) bytes. */
  readonly lst: string;
  /** Which entries are allocated, 1 bit each (base64url). */
  readonly used: string;
  readonly allocated: number;
}

/** Who asks, for the audit entry. */
export interface CredentialAccess {
  readonly actor: string;
  readonly policy?: string;
}

/** A credential request: type, subject (by pseudonym), holder key, claims and (over-18) evidence. */
export interface IssueRequest {
  readonly type: CredentialType;
  readonly subjectRef: string;
  /** The holder's public key (`cnf.jwk`): presentations must be signed with its private key. */
  readonly holderJwk: JWK;
  readonly claims?: Readonly<Record<string, JsonValue>>;
  /**
   * Over-18 only: the age evidence, a fact an authorized service attests (Verity never sees a birth
   * date). Must be `{ ageOver18: true }`.
   */
  readonly evidence?: { readonly ageOver18?: boolean };
  readonly ttlSeconds?: number;
}

function checkClaims(type: CredentialType, c: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> {
  const str = (k: string, max = 128) => {
    const v = c[k];
    if (v !== undefined && (typeof v !== 'string' || v.length < 1 || v.length > max))
      throw new InputError('VERITY_E_INPUT_INVALID', `claim ${quote(k)} is a string of 1 to ${max} characters`);
    return v;
  };
  const allowed: Record<CredentialType, readonly string[]> = {
    'over-18': [],
    'verified-creator': ['creator_name', 'verified_since', 'asset_kinds'],
    membership: ['platform', 'member_since', 'tier'],
  };
  for (const k of Object.keys(c))
    if (!allowed[type].includes(k))
      throw new InputError('VERITY_E_INPUT_INVALID', `a ${type} credential has no claim ${quote(k)}`);
  const out: Record<string, JsonValue> = {};
  for (const k of allowed[type]) {
    if (k === 'asset_kinds') {
      const a = c[k];
      if (a === undefined) continue;
      if (!Array.isArray(a) || a.length > 32 || !a.every((x) => typeof x === 'string' && x.length <= 64))
        throw new InputError('VERITY_E_INPUT_INVALID', 'asset_kinds is at most 32 strings');
      out[k] = a;
    } else if (str(k) !== undefined) out[k] = c[k] as JsonValue;
  }
  return out;
}

/**
 * Verity as an issuer of SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc), signing with its did:web key:
 * over-18 (only `age_over_18`, disclosable), verified creator, platform membership; each bound to
 * the holder's key (`cnf`) and given a random entry of a Token Status List, so it can be revoked or
 * suspended. What Verity keeps is metadata (type, status entry, the subject's pseudonym), never
 * the claims; each issuance and status change is in the log with its audit entry.
 */
export class Credentials {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #ids: DidWebIdentities;
  readonly #issuer: string;
  readonly #statusBase: string;

  /** `issuer`: Verity's did:web; `statusBase`: the URL status lists are served under (`.../v1/status-lists`). */
  constructor(o: {
    store: Store;
    log: TransparencyLog;
    identities: DidWebIdentities;
    issuer: string;
    statusBase: string;
    clock?: Clock;
  }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#ids = o.identities;
    this.#issuer = o.issuer;
    this.#statusBase = o.statusBase.replace(/\/$/, '');
  }

  get issuer(): string {
    return this.#issuer;
  }

  statusUri(list: string): string {
    return `${this.#statusBase}/${list}`;
  }

  /** Picks a free random entry of the open status list (a new list when it is three quarters full). */
  async #allocate(tx: StoreWriter): Promise<{ list: ListBody; version: number; idx: number }> {
    const open = await tx.getObject(STATUS_LIST_KIND, 'open');
    let id = open === undefined ? '1' : (parseJson(open.body) as { id: string }).id;
    let row = await tx.getObject(STATUS_LIST_KIND, id);
    let body: ListBody | undefined = row === undefined ? undefined : (parseJson(row.body) as unknown as ListBody);
    if (body !== undefined && body.allocated >= (body.size * 3) / 4) {
      id = String(Number(id) + 1);
      body = undefined;
      row = undefined;
    }
    if (body === undefined) {
      body = {
        id,
        bits: 2,
        size: LIST_SIZE,
        lst: toBase64Url(new Uint8Array(LIST_SIZE / 4)),
        used: toBase64Url(new Uint8Array(LIST_SIZE / 8)),
        allocated: 0,
      };
      await tx.putObject(
        nextObject(open, { kind: STATUS_LIST_KIND, id: 'open', doc: { id }, updatedAt: this.#clock.now() }),
      );
    }
    const used = fromBase64Url(body.used);
    // Random allocation (draft-ietf-oauth-status-list 12.2): an index says nothing about issuance order.
    for (let tries = 0; tries < 4096; tries++) {
      const r = randomBytesSecure(4);
      const idx = (((r[0] as number) << 16) | ((r[1] as number) << 8) | (r[2] as number)) % body.size;
      if (((used[idx >> 3] as number) & (1 << (idx & 7))) !== 0) continue;
      used[idx >> 3] = (used[idx >> 3] as number) | (1 << (idx & 7));
      return {
        list: { ...body, used: toBase64Url(used), allocated: body.allocated + 1 },
        version: row?.version ?? 0,
        idx,
      };
    }
    throw new CredentialError('VERITY_E_VC_STATUS_UNAVAILABLE', 'no free status list entry was found; retry');
  }

  /** Issues a credential to a holder; returns the SD-JWT (every disclosure) and its record. */
  async issue(req: IssueRequest, access: CredentialAccess): Promise<{ sdJwt: string; credential: CredentialRecord }> {
    const t = CREDENTIAL_TYPES[req.type];
    if (t === undefined || !Object.hasOwn(CREDENTIAL_TYPES, req.type))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `credential type ${quote(req.type)} is not one of ${Object.keys(CREDENTIAL_TYPES).join(', ')}`,
      );
    if (!REF_RE.test(req.subjectRef))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a credential names its subject by subject reference');
    const holder = publicJwk(req.holderJwk, 'the holder key');
    const ttl = req.ttlSeconds ?? 365 * 24 * 3600;
    if (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > MAX_TTL_S)
      throw new InputError('VERITY_E_INPUT_INVALID', `a credential lasts 60 seconds to ${MAX_TTL_S} seconds`);
    const claims = checkClaims(req.type, req.claims ?? {});
    if (req.type === 'over-18') {
      if (req.evidence?.ageOver18 !== true)
        throw new CredentialError(
          'VERITY_E_VC_EVIDENCE_REQUIRED',
          'an over-18 credential needs age evidence (`evidence.ageOver18: true`) from an authorized service',
        );
      claims['age_over_18'] = true;
    }
    const signer = await this.#ids.signer(this.#issuer);
    const now = this.#clock.now();
    const iat = Math.floor(now / 1000);
    const id = `vc_${toBase64Url(randomBytesSecure(12))}`;
    const { result } = await this.#log.submit(async (tx, batch) => {
      const { list, version, idx } = await this.#allocate(tx);
      await tx.putObject({
        kind: STATUS_LIST_KIND,
        id: list.id,
        owner: '',
        body: JSON.stringify(list),
        version: version + 1,
        updatedAt: now,
      });
      const record: CredentialRecord = {
        id,
        type: req.type,
        vct: t.vct,
        subjectRef: req.subjectRef,
        list: list.id,
        idx,
        issuedAt: now,
        expiresAt: (iat + ttl) * 1000,
        status: 'valid',
      };
      await tx.putObject(newObject({ kind: CREDENTIAL_KIND, id, owner: req.subjectRef, doc: record, updatedAt: now }));
      // The status entry names its credential, so that a verifier of a presentation can find the
      // person behind it (one person, one vote: D118) without a scan. Entries are never reused.
      await tx.putObject(
        newObject({
          kind: STATUS_ENTRY_KIND,
          id: `${list.id}/${idx}`,
          owner: req.subjectRef,
          doc: { credential: id },
          updatedAt: now,
        }),
      );
      batch.add(
        encodeSuccessEntry(
          { ...access, purpose: 'identity' },
          {
            action: 'credential.issue',
            resource: `credential:${id}`,
            time: now,
            details: { type: req.type, list: list.id },
          },
        ),
      );
      return record;
    });
    const { sdJwt } = await issueSdJwt(
      {
        iss: this.#issuer,
        iat,
        exp: iat + ttl,
        vct: t.vct,
        cnf: { jwk: holder as JsonValue },
        status: { status_list: { idx: result.idx, uri: this.statusUri(result.list) } },
        ...claims,
      },
      t.frame as DisclosureFrame,
      { alg: 'EdDSA', typ: SD_JWT_VC_TYP, kid: signer.kid, sign: signer.sign, decoys: 2 },
    );
    return { sdJwt, credential: result };
  }

  /**
   * The credential Verity issued with the status entry `idx` of the list at `uri` (a status
   * reference read from a verified presentation), or undefined when the entry is not Verity's or
   * predates the index.
   */
  async byStatus(uri: string, idx: number): Promise<CredentialRecord | undefined> {
    const prefix = this.statusUri('');
    if (typeof uri !== 'string' || !uri.startsWith(prefix) || !Number.isSafeInteger(idx) || idx < 0) return undefined;
    const list = uri.slice(prefix.length);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(list)) return undefined;
    const row = await this.#store.reader.getObject(STATUS_ENTRY_KIND, `${list}/${idx}`);
    if (row === undefined) return undefined;
    const c = (parseJson(row.body) as { credential?: unknown }).credential;
    return typeof c === 'string' ? this.get(c) : undefined;
  }

  async get(id: string): Promise<CredentialRecord | undefined> {
    if (typeof id !== 'string' || !ID_RE.test(id))
      throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a credential id`);
    const row = await this.#store.reader.getObject(CREDENTIAL_KIND, id);
    return row === undefined ? undefined : (parseJson(row.body) as unknown as CredentialRecord);
  }

  /** A subject's credentials (metadata), for the subject's own session or its administrators. */
  async listFor(
    subjectRef: string,
    page: { limit: number; after?: string } = { limit: 100 },
  ): Promise<CredentialRecord[]> {
    const rows = await this.#store.reader.listObjects(CREDENTIAL_KIND, subjectRef, page);
    return rows.map((r) => parseJson(r.body) as unknown as CredentialRecord);
  }

  /**
   * Sets a credential's status: `revoked` (final), `suspended`, or `valid` again (from suspended
   * only). Returns the record as it is now.
   */
  async setStatus(
    id: string,
    status: 'revoked' | 'suspended' | 'valid',
    access: CredentialAccess,
  ): Promise<CredentialRecord> {
    await this.get(id);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(CREDENTIAL_KIND, id);
      if (row === undefined)
        throw new CredentialError('VERITY_E_VC_NOT_FOUND', `no credential ${quote(id)} was issued here`);
      const rec = parseJson(row.body) as unknown as CredentialRecord;
      if (rec.status === status) return rec;
      if (rec.status === 'revoked')
        throw new CredentialError('VERITY_E_VC_REVOKED', 'the credential is revoked for good; issue a new one');
      const listRow = await tx.getObject(STATUS_LIST_KIND, rec.list);
      if (listRow === undefined)
        throw new CredentialError('VERITY_E_VC_NOT_FOUND', `status list ${quote(rec.list)} is missing`);
      const list = parseJson(listRow.body) as unknown as ListBody;
      const sl = new StatusList(2, fromBase64Url(list.lst));
      sl.set(rec.idx, status === 'revoked' ? STATUS.INVALID : status === 'suspended' ? STATUS.SUSPENDED : STATUS.VALID);
      await tx.putObject({
        ...listRow,
        body: JSON.stringify({ ...list, lst: toBase64Url(sl.bytes) }),
        version: listRow.version + 1,
        updatedAt: now,
      });
      const next: CredentialRecord = { ...rec, status };
      await tx.putObject({ ...row, body: JSON.stringify(next), version: row.version + 1, updatedAt: now });
      batch.add(
        encodeSuccessEntry(
          { ...access, purpose: 'identity' },
          {
            action:
              status === 'revoked'
                ? 'credential.revoke'
                : status === 'suspended'
                  ? 'credential.suspend'
                  : 'credential.reinstate',
            resource: `credential:${id}`,
            time: now,
            details: { type: rec.type },
          },
        ),
      );
      return next;
    });
    return result;
  }

  /** The signed status list token (`statuslist+jwt`) of a list, as served at its URI. */
  async statusListToken(listId: string, ttlSeconds = 300): Promise<string> {
    if (typeof listId !== 'string' || !/^[1-9][0-9]{0,8}$/.test(listId))
      throw new InputError('VERITY_E_INPUT_INVALID', `${quote(listId)} is not a status list id`);
    const row = await this.#store.reader.getObject(STATUS_LIST_KIND, listId);
    if (row === undefined) throw new CredentialError('VERITY_E_VC_NOT_FOUND', `no status list ${quote(listId)}`);
    const body = parseJson(row.body) as unknown as ListBody;
    const signer = await this.#ids.signer(this.#issuer);
    return signStatusListToken(new StatusList(2, fromBase64Url(body.lst)), {
      uri: this.statusUri(listId),
      iss: this.#issuer,
      iat: Math.floor(this.#clock.now() / 1000),
      ttl: ttlSeconds,
      alg: 'EdDSA',
      kid: signer.kid,
      sign: signer.sign,
    });
  }
}
