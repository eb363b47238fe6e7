import { type JsonValue, randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { digestOf, type JwsAlgorithm, sdHash, signJws } from './jws.ts';
import { type Disclosure, decodeDisclosure, decodeSdJwtUnverified, processPayload, splitSdJwt } from './sd-jwt.ts';

/**
 * Issuing SD-JWTs (RFC 9901 4) and presenting them (RFC 9901 7.2, 4.3): the issuer hides the
 * claims a frame names behind salted digests; the holder picks which disclosures to send and may
 * bind the presentation to a verifier with a Key Binding JWT.
 */

/**
 * Which claims are selectively disclosable: `sd` names claims of this object, `items` makes every
 * element of this array disclosable, `nested` applies a frame to a claim's value (structured and
 * recursive disclosures).
 */
export interface DisclosureFrame {
  readonly sd?: readonly string[];
  readonly items?: boolean;
  readonly nested?: Readonly<Record<string, DisclosureFrame>>;
}

/** Signs a JWS signing input (`header.payload` bytes). */
export type JwsSigner = (input: Uint8Array) => Promise<Uint8Array>;

export interface IssueSdJwtOptions {
  readonly alg: JwsAlgorithm;
  /** The issuer-signed JWT's `typ` (e.g. `dc+sd-jwt`). */
  readonly typ: string;
  readonly kid?: string;
  readonly sign: JwsSigner;
  /** Random salts (128 bits each) unless given (tests). */
  readonly salt?: () => string;
  /** Decoy digests to add to each `_sd` array (RFC 9901 4.2.5), default 0. */
  readonly decoys?: number;
}

function encodeDisclosure(content: JsonValue[]): string {
  return toBase64Url(utf8(JSON.stringify(content)));
}

/**
 * Issues an SD-JWT: `claims` with the claims `frame` names replaced by digests, signed; returns the
 * SD-JWT with every disclosure (`<jwt>~<d1>~...~`), for the holder.
 */
export async function issueSdJwt(
  claims: Record<string, JsonValue>,
  frame: DisclosureFrame,
  o: IssueSdJwtOptions,
): Promise<{ sdJwt: string; disclosures: string[] }> {
  const hash = sdHash('sha-256');
  const salt = o.salt ?? (() => toBase64Url(randomBytesSecure(16)));
  const disclosures: string[] = [];
  const decoy = () => digestOf(hash, toBase64Url(randomBytesSecure(32)));
  const hide = (v: JsonValue, f: DisclosureFrame | undefined): JsonValue => {
    if (f === undefined) return v;
    if (Array.isArray(v)) {
      return v.map((el) => {
        const inner = hide(el, f.nested?.['*']);
        if (f.items !== true) return inner;
        const d = encodeDisclosure([salt(), inner]);
        disclosures.push(d);
        return { '...': digestOf(hash, d) };
      });
    }
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, JsonValue> = {};
    const sd: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      const inner = hide(x, f.nested?.[k]);
      if (f.sd?.includes(k) === true) {
        const d = encodeDisclosure([salt(), k, inner]);
        disclosures.push(d);
        sd.push(digestOf(hash, d));
      } else out[k] = inner;
    }
    for (let i = 0; i < (o.decoys ?? 0) && sd.length > 0; i++) sd.push(decoy());
    // Sorted so that the order of digests says nothing about the order of claims (RFC 9901 4.2.4.1).
    if (sd.length > 0) out['_sd'] = sd.sort();
    return out;
  };
  const payload = hide(claims, frame) as Record<string, JsonValue>;
  payload['_sd_alg'] = 'sha-256';
  const header: Record<string, unknown> = { alg: o.alg, typ: o.typ, ...(o.kid === undefined ? {} : { kid: o.kid }) };
  const jwt = await signJws(header, payload, o.sign);
  return { sdJwt: `${jwt}~${disclosures.map((d) => `${d}~`).join('')}`, disclosures };
}

/** A disclosure the holder can choose, with where it lands in the processed payload. */
export interface Disclosable {
  readonly disclosure: Disclosure;
  readonly path: readonly (string | number)[];
}

/** Every disclosure of an SD-JWT the holder holds, with its place (nothing verified). */
export function listDisclosures(sdJwt: string): Disclosable[] {
  const parts = splitSdJwt(sdJwt);
  const { payload } = decodeSdJwtUnverified(sdJwt);
  const hash = sdHash(payload['_sd_alg']);
  const ds = parts.disclosures.map((d) => decodeDisclosure(d, hash));
  return processPayload(payload, ds).places.map((p) => ({ disclosure: p.disclosure, path: p.path }));
}

export interface KeyBindingInput {
  readonly alg: JwsAlgorithm;
  readonly sign: JwsSigner;
  readonly audience: string;
  readonly nonce: string;
  /** Seconds since the epoch (default now). */
  readonly iat?: number;
}

/**
 * Makes a presentation: keeps the disclosures `select` accepts (and the ones they are nested in),
 * drops the rest, and adds a Key Binding JWT when `kb` is given.
 */
export async function presentSdJwt(
  sdJwt: string,
  select: (d: Disclosable) => boolean,
  kb?: KeyBindingInput,
): Promise<string> {
  const parts = splitSdJwt(sdJwt);
  const { payload } = decodeSdJwtUnverified(sdJwt);
  const hash = sdHash(payload['_sd_alg']);
  const ds = parts.disclosures.map((d) => decodeDisclosure(d, hash));
  const { places } = processPayload(payload, ds);
  const parentOf = new Map(places.map((p) => [p.disclosure.digest, p.parent]));
  const keep = new Set<string>();
  for (const p of places) {
    if (!select({ disclosure: p.disclosure, path: p.path })) continue;
    for (let d: Disclosure | undefined = p.disclosure; d !== undefined; d = parentOf.get(d.digest)) keep.add(d.digest);
  }
  const chosen = ds.filter((d) => keep.has(d.digest)).map((d) => d.encoded);
  const signedPart = `${parts.jwt}~${chosen.map((d) => `${d}~`).join('')}`;
  if (kb === undefined) return signedPart;
  const kbJwt = await signJws(
    { alg: kb.alg, typ: 'kb+jwt' },
    {
      iat: kb.iat ?? Math.floor(Date.now() / 1000),
      aud: kb.audience,
      nonce: kb.nonce,
      sd_hash: digestOf(hash, signedPart),
    },
    kb.sign,
  );
  return `${signedPart}${kbJwt}`;
}
