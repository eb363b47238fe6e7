import { hash } from 'node:crypto';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { bytesEqual, parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store, TokenRow } from '../store/index.ts';

/** Roles an API token can carry. Players sign in with sessions, not API tokens. */
export const TOKEN_ROLES = ['service', 'operator', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/**
 * Capabilities a token is granted explicitly (`verity tokens create --capability C`), never implied
 * by its role, and the roles that may hold each: opening player sessions and recording guardianship
 * speak for players, so only platform services may; revoking sessions only takes access away.
 */
export const CAPABILITIES = {
  'session.open': ['service'],
  'session.revoke': ['service', 'operator'],
  'guardianship.set': ['service'],
  'issuer.manage': ['service', 'operator'],
  'credential.issue': ['service'],
  'credential.revoke': ['service', 'operator'],
  // Recording and reading players' consent and declared region (the player's own session needs none).
  'consent.record': ['service'],
  'report.access': ['service', 'operator'],
  'incident.manage': ['service', 'operator'],
  // Carrying out data-subject requests for any subject, extending and refusing them.
  'rights.manage': ['service', 'operator'],
  // Registering the processors that are told of rectifications, erasures and restrictions.
  'processor.manage': ['service', 'operator'],
  // Running retention on demand.
  'retention.run': ['operator'],
  // Re-identifying (detokenizing, FF1 decryption) for fraud prevention or a legal obligation: a
  // service's role alone re-identified any token of any service (D415).
  'deid.reidentify': ['service'],
  // Erasing records and shredding subjects as an operator over HTTP (a shred rotates the
  // key-encryption key and destroys retired versions, which old backups need: D415).
  'records.erase': ['operator'],
  // Rotating the key-encryption key over HTTP, and destroying retired ones (an auditor's reading of
  // the log is no right to change keys: D415).
  'key.rotate': ['operator'],
  // Reading the Trust Center's operations overview (policy versions, keys, witnesses' progress).
  'trust.read': ['operator', 'auditor'],
  // Reading compliance evidence (OSCAL assessment results over the checks run against the store).
  'compliance.read': ['auditor', 'operator'],
  // Speaking in community governance as a partner platform (feedback, proposals).
  'governance.partner': ['service'],
  // The operator's part in governance: closing votes, cancelling in the timelock, enacting.
  'governance.operate': ['operator'],
  // Acting in end-to-end encrypted rooms for a player the service names (a game server relaying
  // for its clients); the player's own session needs none. The service never holds MLS keys.
  'mls.deliver': ['service'],
  // Reading the moderation queue of abuse reports (PII-redacted) and acting on them.
  'mls.moderate': ['service', 'operator'],
  // Reading Verity's index of the chain (agreements, goods, anchors with their proofs, agreement checks).
  'chain.read': ['service', 'operator', 'auditor'],
  // Anchoring the log's latest checkpoint on chain on demand.
  'chain.anchor': ['operator'],
  // Reading players' records only under data-sharing agreements on chain between the player and the
  // token's recipient address (`agreementRecipient`), checked at every read (D231).
  'records.under-agreement': ['service'],
  // Submitting data-sharing agreements both parties signed, through the server's chain account.
  'chain.agree': ['service'],
  // Revoking an agreement the server's chain account is a party to.
  'chain.revoke': ['service', 'operator'],
  // Transferring and renting virtual goods through the server's chain account (owner or approved).
  'chain.trade': ['service'],
  // Minting goods and items (with their provenance manifest's digest) through the server's minter account (D301).
  'chain.mint': ['service', 'operator'],
  // Defining licences and registering commercial accounts through the server's licensor account (D301).
  'chain.license': ['service', 'operator'],
  // Creating a player's custodial wallet (its key in the key store) for a player the service names.
  'wallet.create': ['service'],
  // Asking a player's custodial wallet to sign: it still signs only what the player's passkey confirms.
  'wallet.sign': ['service'],
} as const satisfies Record<string, readonly TokenRole[]>;
export type Capability = keyof typeof CAPABILITIES;

/**
 * Types no API token owns, and how their values are reached instead: vault tokens only by
 * detokenizing, a differential-privacy dataset's values only through its noisy queries (D415).
 */
const UNOWNED_TYPES: Readonly<Record<string, string>> = {
  'verity.token': 'vault tokens are reached only by detokenizing (`POST /v1/deid/tokens/detokenize`)',
  'verity.dataset':
    "a dataset's values are reached only through its noisy queries, within its privacy budget (`POST /v1/deid/datasets/query`)",
};

/** An authenticated caller. */
export interface Principal {
  readonly name: string;
  readonly role: TokenRole;
  /** For services: the record types they own. */
  readonly recordTypes: readonly string[];
  /** What the token was granted explicitly (see CAPABILITIES). */
  readonly capabilities: readonly Capability[];
  readonly tokenId: string;
  /** How the principal appears in the audit trail, e.g. `service:world-eu`. */
  readonly actor: string;
  /** With `records.under-agreement`: the chain address agreements must name as recipient (lower case). */
  readonly agreementRecipient?: string;
}

/** Public facts about a token (never its secret or hash). */
export interface TokenInfo {
  readonly id: string;
  readonly principal: string;
  readonly role: TokenRole;
  readonly recordTypes: readonly string[];
  readonly capabilities: readonly Capability[];
  /** With `records.under-agreement`: the recipient address its reads need agreements with. */
  readonly agreementRecipient?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
// Token text: the id (`tok_` + 12 base64url) + `.` + the secret (43 base64url, 256 bits).
const TOKEN_RE = /^(tok_[A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;
const MAX_TTL_MS = 366 * 24 * 3600 * 1000;
const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

/** Checks a token id (`tok_` and 12 base64url characters). */
export function checkTokenId(id: unknown): string {
  if (typeof id !== 'string' || !/^tok_[A-Za-z0-9_-]{12}$/.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a token id (tok_ and 12 base64url characters)`);
  return id;
}

function unauthenticated(message: string): VerityError {
  return new VerityError('VERITY_E_UNAUTHENTICATED', message);
}

function hashSecret(secret: string): Uint8Array {
  // One-shot: no hash object per request (D311).
  const b = hash('sha256', secret, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

interface Scopes {
  readonly recordTypes: readonly string[];
  readonly capabilities: readonly Capability[];
  readonly agreementRecipient?: string;
}

/**
 * Scopes parsed once per row object (D311). Sound: rows are read-only once read (every column
 * `readonly`), and every read from the database is a new row object; the memo of verified rows
 * (D99) hands back the same frozen row while it is unchanged, so a token in use is parsed once.
 */
const parsedScopes = new WeakMap<TokenRow, Scopes>();

/** What a token's scopes say (JSON text in the row; anything unknown in it is ignored). */
function scopesOf(r: TokenRow): { recordTypes: string[]; capabilities: Capability[]; agreementRecipient?: string } {
  let s = parsedScopes.get(r);
  if (s === undefined) {
    s = Object.freeze(parseScopes(r));
    parsedScopes.set(r, s);
  }
  // Fresh arrays for each caller: a principal's lists are its own.
  return {
    recordTypes: [...s.recordTypes],
    capabilities: [...s.capabilities],
    ...(s.agreementRecipient === undefined ? {} : { agreementRecipient: s.agreementRecipient }),
  };
}

function parseScopes(r: TokenRow): Scopes {
  const s = parseJson(r.scopes, { maxBytes: 64 * 1024, maxDepth: 3 }, 'token scopes') as {
    recordTypes?: unknown;
    capabilities?: unknown;
    agreementRecipient?: unknown;
  };
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);
  const recipient = s.agreementRecipient;
  return {
    recordTypes: strings(s.recordTypes),
    capabilities: strings(s.capabilities).filter((c): c is Capability => Object.hasOwn(CAPABILITIES, c)),
    ...(typeof recipient === 'string' && ADDRESS_RE.test(recipient) ? { agreementRecipient: recipient } : {}),
  };
}

/**
 * The principal of a stored token if it is live at `now` (not revoked, not expired); throws
 * VERITY_E_UNAUTHENTICATED otherwise. `what` names the token in the message.
 */
export function livePrincipal(row: TokenRow, now: number, what = 'the bearer token'): Principal {
  if (row.revokedAt !== null) throw unauthenticated(`${what} was revoked`);
  if (now >= row.expiresAt) throw unauthenticated(`${what} has expired; create a new one`);
  const role = row.role as TokenRole;
  const scopes = scopesOf(row);
  return {
    name: row.principal,
    role,
    recordTypes: scopes.recordTypes,
    capabilities: scopes.capabilities,
    tokenId: row.id,
    actor: `${role}:${row.principal}`,
    ...(scopes.agreementRecipient === undefined ? {} : { agreementRecipient: scopes.agreementRecipient }),
  };
}

/** Checks the capabilities asked for a token of `role`. */
function checkCapabilities(role: TokenRole, asked: readonly string[]): Capability[] {
  if (asked.length > 16) throw new InputError('VERITY_E_INPUT_INVALID', 'a token has at most 16 capabilities');
  const out = new Set<Capability>();
  for (const c of asked) {
    if (!Object.hasOwn(CAPABILITIES, c))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `capability ${quote(c)} is not one of ${Object.keys(CAPABILITIES).join(', ')}`,
      );
    const roles: readonly TokenRole[] = CAPABILITIES[c as Capability];
    if (!roles.includes(role))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `capability ${quote(c)} is for ${roles.join(' or ')} tokens, not ${role} tokens`,
      );
    out.add(c as Capability);
  }
  return [...out].sort();
}

/**
 * API tokens of service principals (FGMV-46 7.1.4): random 256-bit secrets, stored only as SHA-256
 * hashes, scoped (role, record types and capabilities granted explicitly), expiring and revocable.
 * Creation and revocation are audited; revoking a token revokes the player sessions it opened.
 * Checking a token reads the store every time, so a revocation takes effect at once, on every node.
 */
export class Tokens {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;

  constructor(store: Store, log: TransparencyLog, clock: Clock = systemClock) {
    this.#store = store;
    this.#log = log;
    this.#clock = clock;
  }

  /** Creates a token; the returned `token` is shown once and never stored. */
  async create(input: {
    principal: string;
    role: string;
    recordTypes?: readonly string[];
    capabilities?: readonly string[];
    /** With `records.under-agreement` (and only then): the recipient address its reads need agreements with. */
    agreementRecipient?: string;
    ttlMs?: number;
    actor: string;
  }): Promise<{ token: string; info: TokenInfo }> {
    checkIdentifier(input.principal, 'principal name', {
      pattern: NAME_RE,
      hint: '1 to 64 lowercase letters, digits and `._-`, starting with a letter or digit',
    });
    if (!(TOKEN_ROLES as readonly string[]).includes(input.role))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `role ${quote(input.role)} must be one of ${TOKEN_ROLES.join(', ')}`,
      );
    const recordTypes = [...(input.recordTypes ?? [])];
    if (recordTypes.length > 100 || !recordTypes.every((t) => TYPE_RE.test(t)))
      throw new InputError('VERITY_E_INPUT_INVALID', 'record types must be at most 100 valid type names');
    if (input.role !== 'service' && recordTypes.length > 0)
      throw new InputError('VERITY_E_INPUT_INVALID', 'only service tokens carry record types');
    for (const t of recordTypes)
      if (Object.hasOwn(UNOWNED_TYPES, t))
        throw new InputError('VERITY_E_INPUT_INVALID', `no token owns the type \`${t}\`: ${UNOWNED_TYPES[t]}`);
    const capabilities = checkCapabilities(input.role as TokenRole, [...(input.capabilities ?? [])]);
    const underAgreement = capabilities.includes('records.under-agreement');
    const recipient = input.agreementRecipient;
    if (underAgreement !== (recipient !== undefined))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        underAgreement
          ? 'a token granted `records.under-agreement` needs the recipient address its reads need agreements with (`--agreement-recipient 0x...`)'
          : 'an agreement recipient goes only with the capability `records.under-agreement`',
      );
    if (recipient !== undefined && (typeof recipient !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(recipient)))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `agreement recipient ${quote(recipient)} must be a 20-byte 0x address`,
      );
    // The agreements' categories are such a token's scope: record types would let it read outside them.
    if (underAgreement && recordTypes.length > 0)
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'a token granted `records.under-agreement` carries no record types: the agreements on chain say what it reads',
      );
    const ttl = input.ttlMs ?? 90 * 24 * 3600 * 1000;
    if (!Number.isSafeInteger(ttl) || ttl < 1000 || ttl > MAX_TTL_MS)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a token lives from 1 second to 366 days');
    const id = `tok_${toBase64Url(randomBytesSecure(9))}`;
    const secret = toBase64Url(randomBytesSecure(32));
    const now = this.#clock.now();
    const row: TokenRow = {
      id,
      secretHash: hashSecret(secret),
      principal: input.principal,
      role: input.role,
      scopes: JSON.stringify({
        recordTypes,
        capabilities,
        ...(recipient === undefined ? {} : { agreementRecipient: recipient.toLowerCase() }),
      }),
      createdAt: now,
      expiresAt: now + ttl,
      revokedAt: null,
    };
    await this.#log.submit(async (tx, batch) => {
      await tx.insertToken(row);
      batch.add(
        encodeAuditEntry({
          actor: input.actor,
          action: 'token.create',
          resource: `token:${id}`,
          purpose: 'administration',
          outcome: 'success',
          time: now,
          details: { role: input.role, ...capabilityDetails(capabilities) },
        }),
      );
    });
    return { token: `${id}.${secret}`, info: this.#info(row) };
  }

  #info(r: TokenRow): TokenInfo {
    const scopes = scopesOf(r);
    return {
      id: r.id,
      principal: r.principal,
      role: r.role as TokenRole,
      recordTypes: scopes.recordTypes,
      capabilities: scopes.capabilities,
      ...(scopes.agreementRecipient === undefined ? {} : { agreementRecipient: scopes.agreementRecipient }),
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
      revokedAt: r.revokedAt === null ? null : new Date(r.revokedAt).toISOString(),
    };
  }

  /** Checks a bearer token (attacker-controlled text); throws VERITY_E_UNAUTHENTICATED when not live. */
  async authenticate(token: string): Promise<Principal> {
    const m = typeof token === 'string' ? TOKEN_RE.exec(token) : null;
    if (m === null) throw unauthenticated('the bearer token is malformed; use a token from `verity tokens create`');
    const row = await this.#store.reader.getToken(m[1] as string);
    // Hash before looking at the row, so unknown and wrong tokens take the same path.
    const given = hashSecret(m[2] as string);
    if (row === undefined || !bytesEqual(given, row.secretHash)) throw unauthenticated('the bearer token is not valid');
    return livePrincipal(row, this.#clock.now());
  }

  /** A token's public facts (never its secret), or undefined when there is no such token. */
  async get(id: string): Promise<TokenInfo | undefined> {
    const r = await this.#store.reader.getToken(checkTokenId(id));
    return r === undefined ? undefined : this.#info(r);
  }

  /** Revokes a token at once, and every player session it opened (audited, with how many). */
  async revoke(id: string, actor: string): Promise<boolean> {
    checkTokenId(id);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const found = await tx.revokeToken(id, now);
      if (found) {
        const sessions = await tx.revokeOpenerSessions(id, now);
        batch.add(
          encodeAuditEntry({
            actor,
            action: 'token.revoke',
            resource: `token:${id}`,
            purpose: 'security',
            outcome: 'success',
            time: now,
            details: { sessions },
          }),
        );
      }
      return found;
    });
    return result;
  }

  /** Every token's public facts. */
  async list(): Promise<TokenInfo[]> {
    return (await this.#store.reader.listTokens()).map((r) => this.#info(r));
  }
}

/**
 * A token's capabilities as audit details: the list in `capabilities`, continued in `capabilities2`,
 * `capabilities3`, ... where it is longer than one detail value may be (128 characters: a token of
 * seven capabilities or more failed to be created, D415).
 */
function capabilityDetails(capabilities: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let part = '';
  let n = 1;
  for (const c of capabilities) {
    if (part !== '' && part.length + 1 + c.length > 128) {
      out[n === 1 ? 'capabilities' : `capabilities${n}`] = part;
      n++;
      part = '';
    }
    part = part === '' ? c : `${part},${c}`;
  }
  if (part !== '') out[n === 1 ? 'capabilities' : `capabilities${n}`] = part;
  return out;
}
