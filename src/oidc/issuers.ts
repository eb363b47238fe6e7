import { createLocalJWKSet, errors as joseErrors } from 'jose';
import { type AuditAction, encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { parseJson } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Sessions } from '../principals/index.ts';
import { nextObject, type ObjectRow, type Store, type StoreReader } from '../store/index.ts';
import {
  checkIssuerName,
  checkJwks,
  ISSUER_KIND,
  type IssuerConfig,
  type IssuerInput,
  issuerConfig,
  JWKS_KIND,
  type JwkSet,
} from './config.ts';
import { type FetchLike, fetchJwks } from './jwks.ts';
import type { KeyResolver } from './verify.ts';

/** Who manages issuers, why, and the policy set that allowed it (recorded in the audit entry). */
export interface IssuerAccess {
  readonly actor: string;
  readonly purpose: string;
  readonly policy?: string;
}

/** Public facts about a trusted issuer (its keys by id and type; nothing secret exists here). */
export interface IssuerInfo {
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly algorithms: string[];
  readonly jwksUri: string | null;
  readonly keys: { kid: string | null; kty: string; alg: string | null }[];
  /** When the keys were last fetched from `jwksUri` (ISO 8601), or null. */
  readonly keysFetchedAt: string | null;
  readonly trustedAudiences: string[];
  readonly subjectClaim: string;
  readonly namespace: string;
  readonly clockSkewSeconds: number;
  readonly maxTokenAgeSeconds: number;
  readonly createdAt: string;
  readonly removedAt: string | null;
  /** The version of its state object (one more at every change). */
  readonly version: number;
}

/** The keys fetched from an issuer's `jwksUri` (the body of its `oidc.jwks` object). */
interface FetchedKeys {
  readonly uri: string;
  readonly fetchedAt: number;
  readonly jwks: JwkSet;
}

/** The keys a decision used and where they are kept: `oidc.jwks/<name>@<version>` or `oidc.issuer/...`. */
export interface IssuerKeys {
  readonly jwks: JwkSet;
  readonly source: string;
}

const PAGE = 500;
/** Most issuers read when checking that a namespace is free. */
const MAX_ISSUERS = 5000;
const MAX_KEY_SETS_CACHED = 256;

function notFound(name: string): VerityError {
  return new VerityError(
    'VERITY_E_OIDC_ISSUER_NOT_FOUND',
    `there is no trusted issuer ${quote(name)}; \`verity issuers list\` shows them`,
  );
}

/** An issuer object's configuration (bound to the state map: it was checked when read). */
export function configOf(row: ObjectRow): IssuerConfig {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 16 }, 'issuer') as unknown as IssuerConfig;
}

function fetchedOf(row: ObjectRow): FetchedKeys {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 16 }, 'issuer keys') as unknown as FetchedKeys;
}

/** Whether an issuer vouches at `now` (the rule `Sessions` applies on every request). */
function isLive(c: IssuerConfig, now: number): boolean {
  return c.revokedAt === null || c.revokedAt > now;
}

function info(name: string, row: ObjectRow, fetched: ObjectRow | undefined): IssuerInfo {
  const c = configOf(row);
  const f = fetched === undefined ? undefined : fetchedOf(fetched);
  const keys = (c.jwks ?? f?.jwks ?? { keys: [] }).keys;
  return {
    name,
    issuer: c.issuer,
    clientId: c.clientId,
    algorithms: [...c.algorithms],
    jwksUri: c.jwksUri,
    keys: keys.map((k) => ({
      kid: typeof k.kid === 'string' ? k.kid : null,
      kty: k.kty,
      alg: typeof k['alg'] === 'string' ? k['alg'] : null,
    })),
    keysFetchedAt: f === undefined ? null : new Date(f.fetchedAt).toISOString(),
    trustedAudiences: [...c.trustedAudiences],
    subjectClaim: c.subjectClaim,
    namespace: c.namespace,
    clockSkewSeconds: c.clockSkewSeconds,
    maxTokenAgeSeconds: c.maxTokenAgeSeconds,
    createdAt: new Date(c.createdAt).toISOString(),
    removedAt: c.revokedAt === null ? null : new Date(c.revokedAt).toISOString(),
    version: row.version,
  };
}

/**
 * The identity providers Verity trusts for platform sign-in (FGMV-46 7.1.6), as authenticated
 * state: one `oidc.issuer` object per issuer (its configuration and, when given, its keys) and, for
 * an issuer that publishes its keys at a `jwksUri`, one `oidc.jwks` object holding the keys last
 * fetched, so that the keys any sign-in was checked with are in the state map. Every change is
 * audited. Removing an issuer ends every session it signed in, on the next request, on every node.
 */
export class Issuers {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #sessions: Sessions;
  readonly #clock: Clock;
  readonly #fetch: FetchLike | undefined;
  /** Last fetch attempt per issuer (failures included), for the refetch rate limit. */
  readonly #attempts = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<IssuerKeys>>();
  readonly #sets = new Map<string, ReturnType<typeof createLocalJWKSet>>();

  /** `fetch`: how `jwksUri` is fetched; without it, issuers must be given their keys. */
  constructor(o: { store: Store; log: TransparencyLog; sessions: Sessions; clock?: Clock; fetch?: FetchLike }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#sessions = o.sessions;
    this.#clock = o.clock ?? systemClock;
    this.#fetch = o.fetch;
  }

  #entry(access: IssuerAccess, action: AuditAction, name: string, details: Record<string, string | number | boolean>) {
    return encodeSuccessEntry(access, { action, resource: `issuer:${name}`, time: this.#clock.now(), details });
  }

  #fetcher(): FetchLike {
    if (this.#fetch === undefined)
      throw new VerityError(
        'VERITY_E_OIDC_JWKS_UNAVAILABLE',
        'this process fetches no JWK Sets; give the issuer its keys with `jwks`',
      );
    return this.#fetch;
  }

  /** Ends every session an issuer signed in (audited, one entry per session). */
  async #endSessions(name: string, access: IssuerAccess): Promise<number> {
    const r = await this.#sessions.revokeAll({ openerTokenId: `object:${ISSUER_KIND}/${name}` }, access);
    return r.revoked.length;
  }

  /**
   * Trusts an issuer: checks its configuration, fetches its keys when it has a `jwksUri`, and stores
   * both. Refused when a live issuer has the name or the namespace (VERITY_E_OIDC_ISSUER_EXISTS).
   * A removed issuer's name may be reused: the sessions it signed in stay ended.
   */
  async add(input: IssuerInput, access: IssuerAccess): Promise<IssuerInfo> {
    const now = this.#clock.now();
    const { name, config } = issuerConfig(input, now);
    const fetched = config.jwksUri === null ? undefined : await fetchJwks(this.#fetcher(), config.jwksUri);
    const old = await this.#store.reader.getObject(ISSUER_KIND, name);
    if (old !== undefined) {
      if (isLive(configOf(old), now))
        throw new VerityError('VERITY_E_OIDC_ISSUER_EXISTS', `an issuer named ${quote(name)} is trusted already`);
      // A removal that stopped before ending its sessions: end them before the name vouches again.
      await this.#endSessions(name, access);
    }
    await this.#log.submit(async (tx, batch) => {
      const prev = await tx.getObject(ISSUER_KIND, name);
      if (prev !== undefined && isLive(configOf(prev), now))
        throw new VerityError('VERITY_E_OIDC_ISSUER_EXISTS', `an issuer named ${quote(name)} is trusted already`);
      const clash = (await liveIssuers(tx, now)).find(([n, c]) => n !== name && c.namespace === config.namespace);
      if (clash !== undefined)
        throw new VerityError(
          'VERITY_E_OIDC_ISSUER_EXISTS',
          `issuer ${quote(clash[0])} already names its players ${config.namespace}:...; give another --namespace`,
        );
      // A namespace names players for good: once an issuer's players had it, only that issuer (the
      // same `iss`) may take it again after a removal; another would sign in as every one of them
      // (D415).
      const former = (await issuerRows(tx))
        .map(([n, r]) => [n, configOf(r)] as const)
        .find(([, c]) => c.namespace === config.namespace && c.issuer !== config.issuer);
      if (former !== undefined)
        throw new VerityError(
          'VERITY_E_OIDC_ISSUER_EXISTS',
          `the namespace ${config.namespace} named the players of another issuer (${quote(former[1].issuer)}); give this one another --namespace`,
        );
      await tx.putObject(nextObject(prev, { kind: ISSUER_KIND, id: name, doc: config, updatedAt: now }));
      const keys = await tx.getObject(JWKS_KIND, name);
      if (fetched !== undefined) {
        const doc: FetchedKeys = { uri: config.jwksUri as string, fetchedAt: now, jwks: fetched };
        await tx.putObject(nextObject(keys, { kind: JWKS_KIND, id: name, doc, updatedAt: now }));
      } else if (keys !== undefined) await tx.deleteObject(JWKS_KIND, name);
      return batch.add(
        this.#entry(access, 'oidc.issuer.add', name, {
          algorithms: config.algorithms.join(','),
          keys: (config.jwks ?? fetched)?.keys.length ?? 0,
        }),
      );
    });
    return (await this.get(name)) as IssuerInfo;
  }

  /** An issuer's public facts (a removed one's too), or undefined. */
  async get(name: string): Promise<IssuerInfo | undefined> {
    const row = await this.#store.reader.getObject(ISSUER_KIND, checkIssuerName(name));
    return row === undefined ? undefined : info(name, row, await this.#store.reader.getObject(JWKS_KIND, name));
  }

  /**
   * Whether `namespace` names, or named, a trusted issuer's players (removed issuers' too: their
   * players keep the name, D415). A service opens no session for such a player (D422).
   */
  async namespaceTaken(namespace: string): Promise<boolean> {
    return (await issuerRows(this.#store.reader)).some(([, row]) => configOf(row).namespace === namespace);
  }

  /** Every issuer (`all`: removed ones too), by name. */
  async list(all = false): Promise<IssuerInfo[]> {
    const now = this.#clock.now();
    const out: IssuerInfo[] = [];
    for (const [name, row] of await issuerRows(this.#store.reader)) {
      if (!all && !isLive(configOf(row), now)) continue;
      out.push(info(name, row, await this.#store.reader.getObject(JWKS_KIND, name)));
    }
    return out;
  }

  /**
   * Stops trusting an issuer: its object is marked removed (every session it signed in is refused
   * from the next request on, on every node: `Sessions` reads it on every request), then those
   * sessions are revoked, each audited. Returns how many were revoked.
   */
  async remove(name: string, access: IssuerAccess): Promise<{ revokedSessions: number }> {
    checkIssuerName(name);
    const now = this.#clock.now();
    await this.#log.submit(async (tx, batch) => {
      const row = await tx.getObject(ISSUER_KIND, name);
      if (row === undefined) throw notFound(name);
      const c = configOf(row);
      if (!isLive(c, now)) throw notFound(name);
      await tx.putObject({
        ...row,
        body: JSON.stringify({ ...c, revokedAt: now }),
        version: row.version + 1,
        updatedAt: now,
      });
      await tx.deleteObject(JWKS_KIND, name);
      return batch.add(this.#entry(access, 'oidc.issuer.remove', name, {}));
    });
    this.#sets.clear();
    return { revokedSessions: await this.#endSessions(name, access) };
  }

  /**
   * Rotates an issuer's keys: replaces the keys it was given (`jwks`), or fetches its `jwksUri` now
   * (without `jwks`). A key left out is refused from then on.
   */
  async rotate(name: string, jwks: unknown, access: IssuerAccess): Promise<IssuerInfo> {
    checkIssuerName(name);
    const now = this.#clock.now();
    const row = await this.#store.reader.getObject(ISSUER_KIND, name);
    if (row === undefined || !isLive(configOf(row), now)) throw notFound(name);
    const c = configOf(row);
    if (c.jwksUri !== null) {
      if (jwks !== undefined)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          'this issuer publishes its keys at its jwksUri; rotate fetches them',
        );
      await this.#refresh(name, c, access);
    } else {
      if (jwks === undefined)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          'give the issuer’s new JWK Set (`jwks`; `--jwks FILE` on the command line): its keys are not fetched',
        );
      const set = checkJwks(jwks, true);
      await this.#log.submit(async (tx, batch) => {
        const cur = await tx.getObject(ISSUER_KIND, name);
        if (cur === undefined || !isLive(configOf(cur), now)) throw notFound(name);
        await tx.putObject({
          ...cur,
          body: JSON.stringify({ ...configOf(cur), jwks: set }),
          version: cur.version + 1,
          updatedAt: now,
        });
        return batch.add(this.#entry(access, 'oidc.issuer.update', name, { keys: set.keys.length }));
      });
    }
    return (await this.get(name)) as IssuerInfo;
  }

  /** A live issuer's configuration and object version, or undefined (unknown or removed). */
  async live(name: string): Promise<{ config: IssuerConfig; version: number } | undefined> {
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) return undefined;
    const row = await this.#store.reader.getObject(ISSUER_KIND, name);
    if (row === undefined) return undefined;
    const config = configOf(row);
    return isLive(config, this.#clock.now()) ? { config, version: row.version } : undefined;
  }

  /** Fetches an issuer's keys now and stores them (one fetch at a time per issuer). */
  #refresh(name: string, c: IssuerConfig, access: IssuerAccess): Promise<IssuerKeys> {
    const running = this.#inflight.get(name);
    if (running !== undefined) return running;
    const p = (async () => {
      this.#attempts.set(name, this.#clock.now());
      const jwks = await fetchJwks(this.#fetcher(), c.jwksUri as string);
      const now = this.#clock.now();
      const { result } = await this.#log.submit(async (tx, batch) => {
        const prev = await tx.getObject(JWKS_KIND, name);
        const doc: FetchedKeys = { uri: c.jwksUri as string, fetchedAt: now, jwks };
        const row = nextObject(prev, { kind: JWKS_KIND, id: name, doc, updatedAt: now });
        await tx.putObject(row);
        const changed = prev === undefined || JSON.stringify(fetchedOf(prev).jwks) !== JSON.stringify(jwks);
        batch.add(
          this.#entry(access, 'oidc.jwks.fetch', name, { keys: jwks.keys.length, changed, version: row.version }),
        );
        return row.version;
      });
      return { jwks, source: `${JWKS_KIND}/${name}@${result}` };
    })().finally(() => this.#inflight.delete(name));
    this.#inflight.set(name, p);
    return p;
  }

  /**
   * The keys to verify an issuer's token with: the keys it was given, or those last fetched from
   * its `jwksUri` while younger than `jwksMaxAgeSeconds` (fetched again, and stored, when older).
   */
  async keys(name: string, issuer: { config: IssuerConfig; version: number }): Promise<IssuerKeys> {
    const c = issuer.config;
    if (c.jwks !== null) return { jwks: c.jwks, source: `${ISSUER_KIND}/${name}@${issuer.version}` };
    const row = await this.#store.reader.getObject(JWKS_KIND, name);
    if (row !== undefined) {
      const f = fetchedOf(row);
      if (f.uri === c.jwksUri && this.#clock.now() - f.fetchedAt < c.jwksMaxAgeSeconds * 1000)
        return { jwks: f.jwks, source: `${JWKS_KIND}/${name}@${row.version}` };
    }
    return this.#refresh(name, c, { actor: 'system:oidc', purpose: 'authentication' });
  }

  /** May the keys of an issuer be fetched again now (an unknown `kid`)? At most once per `jwksMinRefetchSeconds`. */
  async #mayRefetch(name: string, c: IssuerConfig): Promise<boolean> {
    if (c.jwksUri === null) return false;
    const now = this.#clock.now();
    const last = this.#attempts.get(name) ?? 0;
    const row = await this.#store.reader.getObject(JWKS_KIND, name);
    const fetchedAt = row === undefined ? 0 : fetchedOf(row).fetchedAt;
    return now - Math.max(last, fetchedAt) >= c.jwksMinRefetchSeconds * 1000;
  }

  #set(k: IssuerKeys): ReturnType<typeof createLocalJWKSet> {
    let s = this.#sets.get(k.source);
    if (s === undefined) {
      if (this.#sets.size >= MAX_KEY_SETS_CACHED) this.#sets.clear();
      s = createLocalJWKSet(k.jwks as Parameters<typeof createLocalJWKSet>[0]);
      this.#sets.set(k.source, s);
    }
    return s;
  }

  /**
   * A key resolver for one sign-in: the issuer's current keys; when none matches the token's `kid`
   * (the issuer rotated), its `jwksUri` is fetched again, at most once per `jwksMinRefetchSeconds`.
   * `used()` says which stored keys the decision was made with.
   */
  async resolver(
    name: string,
    issuer: { config: IssuerConfig; version: number },
  ): Promise<{ resolve: KeyResolver; used: () => string }> {
    let keys = await this.keys(name, issuer);
    const resolve = (async (header: Parameters<ReturnType<typeof createLocalJWKSet>>[0], token) => {
      try {
        return await this.#set(keys)(header, token);
      } catch (e) {
        if (!(e instanceof joseErrors.JWKSNoMatchingKey) || !(await this.#mayRefetch(name, issuer.config))) throw e;
        keys = await this.#refresh(name, issuer.config, { actor: 'system:oidc', purpose: 'authentication' });
        return this.#set(keys)(header, token);
      }
    }) as KeyResolver;
    return { resolve, used: () => keys.source };
  }
}

/** Every issuer object, by name (at most MAX_ISSUERS). */
async function issuerRows(reader: StoreReader): Promise<[string, ObjectRow][]> {
  const out: [string, ObjectRow][] = [];
  for (let after: string | undefined; out.length < MAX_ISSUERS; ) {
    const rows = await reader.listObjects(ISSUER_KIND, undefined, {
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    for (const r of rows) out.push([r.id, r]);
    if (rows.length < PAGE) break;
    after = (rows[rows.length - 1] as ObjectRow).id;
  }
  return out;
}

async function liveIssuers(reader: StoreReader, now: number): Promise<[string, IssuerConfig][]> {
  return (await issuerRows(reader))
    .map(([n, r]) => [n, configOf(r)] as [string, IssuerConfig])
    .filter(([, c]) => isLive(c, now));
}
