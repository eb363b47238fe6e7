import type { JWK } from 'jose';
import { fromBase64Url, fromUtf8, type JsonValue, parseJson } from '../encoding/index.ts';
import { quote } from '../errors/index.ts';
import { CredentialError, decodeJwsUnverified, digestOf, publicJwk, sdHash, vcError, verifyJws } from './jws.ts';

/**
 * SD-JWT verification (RFC 9901, Selective Disclosure for JSON Web Tokens), written over jose
 * rather than taken from an SD-JWT library so that every rule of RFC 9901 7.1 and 7.3 is enforced
 * exactly and visibly here: refuse unknown `_sd_alg`, digests over the exact base64url disclosure
 * string, array element disclosures, recursive disclosures, no digest twice, no disclosure left
 * unreferenced, no `_sd` or `...` claim names, a claim name never overwritten, and the Key Binding
 * JWT (`typ` `kb+jwt`, `sd_hash`, `aud`, `nonce`, `iat` in a window). Libraries we tried accepted
 * some of these cases silently or pull in their own crypto; the algorithm allowlist stays ours.
 */

/** Longest SD-JWT or SD-JWT+KB accepted, and most disclosures in one. */
export const MAX_SD_JWT_CHARS = 1024 * 1024;
export const MAX_DISCLOSURES = 1024;
/** Deepest nesting of objects, arrays and recursive disclosures walked. */
const MAX_DEPTH = 32;
const DISCLOSURE_LIMITS = { maxBytes: 64 * 1024, maxDepth: 24 };

/** An SD-JWT split into its parts (RFC 9901 4): nothing verified yet. */
export interface SdJwtParts {
  readonly jwt: string;
  readonly disclosures: readonly string[];
  /** The Key Binding JWT, when the presentation is an SD-JWT+KB. */
  readonly kbJwt: string | undefined;
  /** The presentation up to and including the last `~` (what `sd_hash` covers). */
  readonly signedPart: string;
}

/** A disclosure as decoded: [salt, name, value] for an object property, [salt, value] for an array element. */
export interface Disclosure {
  readonly encoded: string;
  readonly digest: string;
  readonly salt: string;
  readonly name: string | undefined;
  readonly value: JsonValue;
}

/** Splits an SD-JWT (`<jwt>~<d1>~...~<dn>~`) or SD-JWT+KB (`...~<kb-jwt>`); attacker-controlled text. */
export function splitSdJwt(text: string): SdJwtParts {
  if (typeof text !== 'string' || text.length === 0)
    throw vcError('VERITY_E_VC_INVALID', 'the SD-JWT is empty; give `<jwt>~<disclosures>~[<kb-jwt>]`');
  if (text.length > MAX_SD_JWT_CHARS)
    throw vcError('VERITY_E_VC_INVALID', `the SD-JWT is longer than ${MAX_SD_JWT_CHARS} characters`);
  const parts = text.split('~');
  if (parts.length < 2)
    throw vcError('VERITY_E_VC_INVALID', 'the SD-JWT has no `~`: an SD-JWT ends with `~` or a key binding JWT');
  if (parts.length - 2 > MAX_DISCLOSURES)
    throw vcError('VERITY_E_VC_INVALID', `the SD-JWT has more than ${MAX_DISCLOSURES} disclosures`);
  const last = parts[parts.length - 1] as string;
  const disclosures = parts.slice(1, -1);
  if (disclosures.some((d) => d.length === 0))
    throw vcError('VERITY_E_VC_INVALID', 'the SD-JWT has an empty disclosure (`~~`)');
  if (last !== '' && last.split('.').length !== 3)
    throw vcError('VERITY_E_VC_INVALID', 'the SD-JWT must end with `~` or with a key binding JWT');
  return {
    jwt: parts[0] as string,
    disclosures,
    kbJwt: last === '' ? undefined : last,
    signedPart: text.slice(0, text.length - last.length),
  };
}

/** Decodes one disclosure (RFC 9901 4.2): canonical base64url of a JSON array of 2 or 3 elements. */
export function decodeDisclosure(encoded: string, hash: (b: Uint8Array) => Uint8Array): Disclosure {
  let v: JsonValue;
  try {
    v = parseJson(fromUtf8(fromBase64Url(encoded, 'disclosure'), 'disclosure'), DISCLOSURE_LIMITS, 'disclosure');
  } catch (cause) {
    throw new CredentialError(
      'VERITY_E_VC_DISCLOSURE_INVALID',
      `disclosure ${quote(encoded)} is not base64url of a JSON array`,
      { cause },
    );
  }
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3) || typeof v[0] !== 'string')
    throw vcError(
      'VERITY_E_VC_DISCLOSURE_INVALID',
      `disclosure ${quote(encoded)} is not [salt, name, value] or [salt, value]`,
    );
  let name: string | undefined;
  if (v.length === 3) {
    if (typeof v[1] !== 'string')
      throw vcError(
        'VERITY_E_VC_DISCLOSURE_INVALID',
        `disclosure ${quote(encoded)} has a claim name that is not a string`,
      );
    name = v[1];
    // RFC 9901 7.1 step 3.2.2.3: these names would let a disclosure smuggle in digests.
    if (name === '_sd' || name === '...')
      throw vcError(
        'VERITY_E_VC_DISCLOSURE_INVALID',
        `disclosure ${quote(encoded)} has the reserved claim name ${quote(name)}`,
      );
  }
  return {
    encoded,
    digest: digestOf(hash, encoded),
    salt: v[0],
    name,
    value: v[v.length - 1] as JsonValue,
  };
}

function isObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where a disclosure sits in the processed payload (for the holder's selection). */
export interface DisclosurePlace {
  readonly disclosure: Disclosure;
  /** Claim names and array indices from the payload root to the disclosed value. */
  readonly path: readonly (string | number)[];
  /** The disclosure this one is nested in (recursive disclosures), if any. */
  readonly parent: Disclosure | undefined;
}

/**
 * Replaces embedded digests with the disclosed claims (RFC 9901 7.1 step 3): every digest seen
 * once at most, each disclosure used exactly once, `_sd` and `_sd_alg` removed, undisclosed array
 * elements dropped. Returns the processed payload and where each disclosure went.
 */
export function processPayload(
  payload: Record<string, JsonValue>,
  disclosures: readonly Disclosure[],
): { claims: Record<string, JsonValue>; places: DisclosurePlace[] } {
  const byDigest = new Map<string, Disclosure>();
  for (const d of disclosures) {
    if (byDigest.has(d.digest)) throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'the same disclosure is given twice');
    byDigest.set(d.digest, d);
  }
  const seen = new Set<string>();
  const used = new Set<string>();
  const places: DisclosurePlace[] = [];
  const see = (digest: unknown): Disclosure | undefined => {
    if (typeof digest !== 'string') throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'a digest is not a string');
    // RFC 9901 7.1 step 4: a digest found twice (in the payload or in disclosures) is refused.
    if (seen.has(digest)) throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', `digest ${quote(digest)} appears twice`);
    seen.add(digest);
    const d = byDigest.get(digest);
    if (d !== undefined) used.add(digest);
    return d;
  };
  const walk = (v: JsonValue, depth: number, path: (string | number)[], parent: Disclosure | undefined): JsonValue => {
    if (depth > MAX_DEPTH) throw vcError('VERITY_E_VC_INVALID', `the payload nests deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) {
      const out: JsonValue[] = [];
      for (const el of v) {
        if (isObject(el) && Object.hasOwn(el, '...')) {
          // RFC 9901 4.2.4.2: `{"...": digest}` and no other key.
          if (Object.keys(el).length !== 1)
            throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'an array element digest object has keys besides `...`');
          const d = see(el['...']);
          if (d === undefined) continue;
          if (d.name !== undefined)
            throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'an array element digest points at a claim disclosure');
          const at = [...path, out.length];
          places.push({ disclosure: d, path: at, parent });
          out.push(walk(d.value, depth + 1, at, d));
        } else out.push(walk(el, depth + 1, [...path, out.length], parent));
      }
      return out;
    }
    if (!isObject(v)) return v;
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === '_sd') continue;
      Object.defineProperty(out, k, {
        value: walk(x, depth + 1, [...path, k], parent),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (Object.hasOwn(v, '_sd')) {
      const sd = v['_sd'];
      if (!Array.isArray(sd)) throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', '`_sd` is not an array of digests');
      for (const digest of sd) {
        const d = see(digest);
        if (d === undefined) continue;
        if (d.name === undefined)
          throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'an `_sd` digest points at an array element disclosure');
        // RFC 9901 7.1 step 3.2.2.4: a disclosed claim never replaces one already there.
        if (Object.hasOwn(out, d.name))
          throw vcError(
            'VERITY_E_VC_DISCLOSURE_INVALID',
            `claim ${quote(d.name)} is disclosed where it already exists`,
          );
        const at = [...path, d.name];
        places.push({ disclosure: d, path: at, parent });
        Object.defineProperty(out, d.name, {
          value: walk(d.value, depth + 1, at, d),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  };
  const claims = walk(payload, 0, [], undefined) as Record<string, JsonValue>;
  delete claims['_sd_alg'];
  // RFC 9901 7.1 step 5: every disclosure must be referenced by a digest.
  if (used.size !== byDigest.size)
    throw vcError('VERITY_E_VC_DISCLOSURE_INVALID', 'a disclosure is not referenced by any digest in the SD-JWT');
  return { claims, places };
}

/** What a verifier demands of key binding. */
export interface KeyBindingOptions {
  /** Refuse a presentation without a KB-JWT (implied by `audience` or `nonce`). */
  readonly required?: boolean;
  /** The KB-JWT's `aud` must be this. */
  readonly audience?: string;
  /** The KB-JWT's `nonce` must be this. */
  readonly nonce?: string;
  /** Oldest acceptable KB-JWT `iat`, in seconds before now (default 300). */
  readonly maxAgeSeconds?: number;
}

export interface VerifySdJwtOptions {
  /** The issuer's public key (from configuration: never from the token). */
  readonly issuerKey: JWK;
  /** Accepted `typ` values of the issuer-signed JWT (any when absent). */
  readonly types?: readonly string[];
  readonly keyBinding?: KeyBindingOptions;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /** Allowed clock difference, seconds (default 60). */
  readonly skewSeconds?: number;
}

/** A verified SD-JWT. */
export interface VerifiedSdJwt {
  readonly header: Record<string, JsonValue>;
  /** The Processed SD-JWT Payload (RFC 9901 7.1): always-visible and disclosed claims. */
  readonly claims: Record<string, JsonValue>;
  readonly disclosures: readonly Disclosure[];
  /** The verified Key Binding JWT's payload, when there was one. */
  readonly keyBinding: Record<string, JsonValue> | undefined;
}

function numeric(v: JsonValue | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw vcError('VERITY_E_VC_INVALID', `\`${name}\` is not a number`);
  return v;
}

/**
 * Verifies an SD-JWT or SD-JWT+KB (RFC 9901 7.1 and 7.3): the issuer's signature with the given
 * key, every disclosure, validity times (`exp`, `nbf`, after disclosures are applied), and the Key
 * Binding JWT when present or required. Throws a CredentialError whose code says what failed.
 */
export async function verifySdJwt(text: string, o: VerifySdJwtOptions): Promise<VerifiedSdJwt> {
  const parts = splitSdJwt(text);
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const skew = o.skewSeconds ?? 60;
  const { header, payload } = await verifyJws(
    parts.jwt,
    publicJwk(o.issuerKey, 'the issuer key'),
    'the issuer-signed JWT',
    o.types,
  );
  const hash = sdHash(payload['_sd_alg']);
  const disclosures = parts.disclosures.map((d) => decodeDisclosure(d, hash));
  const { claims } = processPayload(payload, disclosures);
  const exp = numeric(claims['exp'], 'exp');
  if (exp !== undefined && now >= exp + skew)
    throw new CredentialError('VERITY_E_VC_EXPIRED', 'the SD-JWT has expired (`exp`); ask the issuer for a new one');
  const nbf = numeric(claims['nbf'], 'nbf');
  if (nbf !== undefined && now < nbf - skew)
    throw new CredentialError('VERITY_E_VC_EXPIRED', 'the SD-JWT is not valid yet (`nbf`)');
  const kb = o.keyBinding ?? {};
  const required = kb.required === true || kb.audience !== undefined || kb.nonce !== undefined;
  if (parts.kbJwt === undefined) {
    if (required)
      throw new CredentialError('VERITY_E_VC_KEY_BINDING_INVALID', 'key binding is required: present an SD-JWT+KB');
    return { header, claims, disclosures, keyBinding: undefined };
  }
  // Not required but present: its signature, `typ` and `sd_hash` are still checked (an altered
  // presentation never verifies), its freshness is not (no transaction to be fresh for).
  const keyBinding = await verifyKeyBinding(parts, claims, hash, kb, now, skew, required);
  return { header, claims, disclosures, keyBinding };
}

function kbError(message: string): CredentialError {
  return new CredentialError('VERITY_E_VC_KEY_BINDING_INVALID', message);
}

/** RFC 9901 7.3 step 5: the KB-JWT, signed by the key in `cnf.jwk`, bound to this presentation. */
async function verifyKeyBinding(
  parts: SdJwtParts,
  claims: Record<string, JsonValue>,
  hash: (b: Uint8Array) => Uint8Array,
  o: KeyBindingOptions,
  now: number,
  skew: number,
  fresh: boolean,
): Promise<Record<string, JsonValue>> {
  const cnf = claims['cnf'];
  if (!isObject(cnf) || !isObject(cnf['jwk']))
    throw kbError('the SD-JWT has a key binding JWT but no `cnf.jwk` holder key to check it with');
  const holderKey = publicJwk(cnf['jwk'], 'the holder key (`cnf.jwk`)');
  let verified: Awaited<ReturnType<typeof verifyJws>>;
  try {
    verified = await verifyJws(parts.kbJwt as string, holderKey, 'the key binding JWT', ['kb+jwt']);
  } catch (e) {
    if (e instanceof CredentialError && e.code !== 'VERITY_E_VC_ALG_UNSUPPORTED') throw kbError(e.message);
    throw e;
  }
  const p = verified.payload;
  if (typeof p['sd_hash'] !== 'string' || p['sd_hash'] !== digestOf(hash, parts.signedPart))
    throw kbError('the key binding JWT `sd_hash` does not match this presentation');
  const iat = p['iat'];
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw kbError('the key binding JWT has no numeric `iat`');
  const maxAge = o.maxAgeSeconds ?? 300;
  if (fresh) {
    if (iat > now + skew) throw kbError('the key binding JWT `iat` is in the future');
    if (iat < now - maxAge - skew)
      throw kbError(`the key binding JWT is older than ${maxAge} seconds; present it again`);
    const exp = p['exp'];
    if (exp !== undefined && (typeof exp !== 'number' || now >= exp + skew))
      throw kbError('the key binding JWT has expired');
  }
  if (typeof p['nonce'] !== 'string') throw kbError('the key binding JWT has no `nonce`');
  const aud = p['aud'];
  if (typeof aud !== 'string' && !(Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')))
    throw kbError('the key binding JWT has no `aud`');
  if (o.audience !== undefined && (typeof aud === 'string' ? aud !== o.audience : !aud.includes(o.audience)))
    throw kbError(`the key binding JWT is for another audience, not ${quote(o.audience)}`);
  if (o.nonce !== undefined && p['nonce'] !== o.nonce)
    throw kbError('the key binding JWT `nonce` is not the one asked for');
  return p;
}

/** The issuer-signed JWT's header and payload WITHOUT verifying anything (to find the issuer's key). */
export function decodeSdJwtUnverified(text: string): {
  header: Record<string, JsonValue>;
  payload: Record<string, JsonValue>;
} {
  return decodeJwsUnverified(splitSdJwt(text).jwt, 'the issuer-signed JWT');
}
