// Provenance manifests of creations (FGMV-46 7.2.4, 6.3.1; in the spirit of C2PA): what a creator
// states about an upload (a model, a texture, an avatar) - the content's hash, the creator's DID, the
// tools, the parent assets, the licence - signed with a key of that DID as a compact JWS (RFC 7515,
// through jose). Verity checks the signature against the DID document, the creator against the
// signing DID, and the file against the hash; the manifest's digest is what a token refers to.

import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { type DidDocument, type DidFetch, resolveDid, verificationKey } from '../did/index.ts';
import { canonicalJson, parseJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError, ProvenanceError, quote } from '../errors/index.ts';

export const PROVENANCE_FORMAT = 'verity-provenance/1';
/** The JWS `typ` of a provenance manifest. */
export const PROVENANCE_TYP = 'verity-provenance+jws';
/** Largest manifest (the compact JWS), in bytes. */
export const MAX_MANIFEST_BYTES = 64 * 1024;
const ALGORITHMS = ['EdDSA', 'ES256'];
const MAX_TOOLS = 32;
const MAX_PARENTS = 64;
const DIGEST_RE = /^sha256:[A-Za-z0-9_-]{43}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const DID_RE = /^did:(key|web):[A-Za-z0-9._:%-]{1,512}$/;

/** The terms a creator licenses a creation under: where a contract can enforce them, it does (D186). */
export interface LicenceTerms {
  /** The licence text, e.g. an a16z "Can't Be Evil" licence or a VRM licence URL. */
  readonly uri: string;
  readonly commercialUse: boolean;
  readonly modification: boolean;
  readonly resale: boolean;
}

/** What a creator states about a creation. */
export interface ProvenanceManifest {
  readonly format: typeof PROVENANCE_FORMAT;
  readonly content: { readonly sha256: string; readonly bytes: number; readonly mediaType: string };
  readonly name?: string;
  /** The creator's DID (did:key or did:web): the DID whose key signs the manifest. */
  readonly creator: string;
  /** RFC 3339. */
  readonly created: string;
  readonly tools: readonly { readonly name: string; readonly version?: string }[];
  /** Digests (`sha256:...`) of the manifests of the assets this one was made from. */
  readonly parents: readonly string[];
  readonly licence: LicenceTerms;
}

/** A manifest that verified: what it says, its digest, and the key that signed it. */
export interface VerifiedProvenance {
  readonly manifest: ProvenanceManifest;
  /** `sha256:` and the base64url SHA-256 of the compact JWS: what a token refers to. */
  readonly digest: string;
  /** The DID URL of the signing key. */
  readonly kid: string;
}

function invalid(message: string, cause?: unknown): ProvenanceError {
  return new ProvenanceError('VERITY_E_PROVENANCE_INVALID', message, cause === undefined ? undefined : { cause });
}

/** The digest a token refers to: `sha256:` and the base64url SHA-256 of the compact JWS. */
export function provenanceDigest(jws: string): string {
  return `sha256:${toBase64Url(createHash('sha256').update(jws, 'ascii').digest())}`;
}

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || /[\u0000-\u001f]/.test(v))
    throw invalid(`${what} must be text of 1 to ${max} characters`);
  return v;
}

/** Checks a payload against the format; every field is attacker-controlled. */
function checkManifest(v: unknown): ProvenanceManifest {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('the manifest is not a JSON object');
  const m = v as Record<string, unknown>;
  const allowed = new Set(['format', 'content', 'name', 'creator', 'created', 'tools', 'parents', 'licence']);
  for (const k of Object.keys(m)) if (!allowed.has(k)) throw invalid(`the manifest has an unknown member ${quote(k)}`);
  if (m['format'] !== PROVENANCE_FORMAT) throw invalid(`the manifest's format is not ${PROVENANCE_FORMAT}`);
  const c = m['content'] as Record<string, unknown> | undefined;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c['sha256'] !== 'string' ||
    !HEX64.test(c['sha256']) ||
    !Number.isSafeInteger(c['bytes']) ||
    (c['bytes'] as number) < 0 ||
    Object.keys(c).length !== 3
  )
    throw invalid('content must be { sha256: 64 lowercase hex, bytes, mediaType }');
  text(c['mediaType'], 'content.mediaType', 128);
  if (m['name'] !== undefined) text(m['name'], 'name', 200);
  if (typeof m['creator'] !== 'string' || !DID_RE.test(m['creator']))
    throw invalid('creator must be a did:key or did:web DID');
  if (typeof m['created'] !== 'string' || !Number.isFinite(Date.parse(m['created'])))
    throw invalid('created must be an RFC 3339 time');
  const tools = m['tools'];
  if (!Array.isArray(tools) || tools.length > MAX_TOOLS) throw invalid(`tools must be a list of at most ${MAX_TOOLS}`);
  for (const t of tools) {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw invalid('each tool is { name, version? }');
    const tt = t as Record<string, unknown>;
    text(tt['name'], 'a tool name', 100);
    if (tt['version'] !== undefined) text(tt['version'], 'a tool version', 50);
    if (Object.keys(tt).some((k) => k !== 'name' && k !== 'version')) throw invalid('each tool is { name, version? }');
  }
  const parents = m['parents'];
  if (
    !Array.isArray(parents) ||
    parents.length > MAX_PARENTS ||
    parents.some((p) => typeof p !== 'string' || !DIGEST_RE.test(p))
  )
    throw invalid(`parents must be at most ${MAX_PARENTS} manifest digests (sha256:...)`);
  if (new Set(parents).size !== parents.length) throw invalid('a parent is listed twice');
  const l = m['licence'] as Record<string, unknown> | undefined;
  if (
    typeof l !== 'object' ||
    l === null ||
    Object.keys(l).length !== 4 ||
    typeof l['commercialUse'] !== 'boolean' ||
    typeof l['modification'] !== 'boolean' ||
    typeof l['resale'] !== 'boolean'
  )
    throw invalid('licence must be { uri, commercialUse, modification, resale }');
  const uri = text(l['uri'], 'licence.uri', 512);
  if (!/^(https|ipfs|ar):\/\/\S+$/.test(uri)) throw invalid('licence.uri must be an https, ipfs or ar URI');
  return m as unknown as ProvenanceManifest;
}

/** SHA-256 (lowercase hex) and length of a file, as a manifest states them. */
export function contentOf(bytes: Uint8Array, mediaType: string): ProvenanceManifest['content'] {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, mediaType };
}

/**
 * Signs a manifest as its creator: `kid` is the DID URL of the signing key, under `manifest.creator`.
 *
 * @example
 * ```ts
 * const jws = await signProvenance(
 *   { format: PROVENANCE_FORMAT, content: contentOf(file, 'model/gltf-binary'), creator: did, created: new Date().toISOString(),
 *     tools: [{ name: 'Blender', version: '4.2' }], parents: [], licence: { uri, commercialUse: false, modification: true, resale: true } },
 *   { key: privateJwk, kid: `${did}#${did.slice(8)}`, alg: 'EdDSA' },
 * );
 * ```
 */
export async function signProvenance(
  manifest: ProvenanceManifest,
  signer: { readonly key: KeyObject | JWK; readonly kid: string; readonly alg: 'EdDSA' | 'ES256' },
): Promise<string> {
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  if (!signer.kid.startsWith(`${manifest.creator}#`))
    throw new ProvenanceError(
      'VERITY_E_PROVENANCE_CREATOR',
      'the signing key must be a key of the creator (kid under the creator DID)',
    );
  const key = 'kty' in signer.key ? await importJWK(signer.key as JWK, signer.alg) : signer.key;
  return new CompactSign(utf8(canonicalJson(manifest)))
    .setProtectedHeader({ alg: signer.alg, typ: PROVENANCE_TYP, kid: signer.kid })
    .sign(key as KeyObject);
}

/** How DIDs are resolved: did:key locally, did:web through `fetch` (or a resolver the caller gives). */
export interface ResolveOptions {
  readonly fetch?: DidFetch;
  readonly resolve?: (did: string) => Promise<DidDocument>;
  /** Now, in milliseconds: a key revoked at or before it does not sign (default Date.now()). */
  readonly now?: number;
}

/**
 * Verifies a manifest alone: the JWS signature by the key its `kid` names in the DID document
 * (EdDSA or ES256 only), the creator equal to that DID and the key not revoked
 * (VERITY_E_PROVENANCE_CREATOR otherwise), and the payload's format. Nothing of the manifest is
 * trusted before its signature verifies. `verifyProvenance` also checks the file.
 */
export async function verifyManifest(jws: string, o: ResolveOptions = {}): Promise<VerifiedProvenance> {
  if (
    typeof jws !== 'string' ||
    jws.length > MAX_MANIFEST_BYTES ||
    !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)
  )
    throw invalid(`a manifest is a compact JWS of at most ${MAX_MANIFEST_BYTES} bytes`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw invalid('the manifest has no readable protected header', cause);
  }
  if (header.typ !== PROVENANCE_TYP) throw invalid(`the manifest's typ is not ${PROVENANCE_TYP}`);
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg))
    throw invalid('the manifest is signed with EdDSA or ES256 only');
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length > 600 || !kid.includes('#')) throw invalid('the kid must be a DID URL');
  const signer = kid.slice(0, kid.indexOf('#'));
  if (!DID_RE.test(signer)) throw invalid('the kid must name a did:key or did:web key');
  let jwk: JWK;
  let revoked: number | undefined;
  try {
    const doc =
      o.resolve !== undefined
        ? await o.resolve(signer)
        : await resolveDid(signer, o.fetch === undefined ? {} : { fetch: o.fetch });
    ({ jwk, revoked } = verificationKey(doc, kid));
  } catch (cause) {
    throw new ProvenanceError(
      'VERITY_E_PROVENANCE_CREATOR',
      `the signing key ${quote(kid)} could not be resolved from its DID document`,
      { cause },
    );
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK(jwk, header.alg), { algorithms: ALGORITHMS }));
  } catch (cause) {
    if (isVerityError(cause)) throw cause;
    throw invalid('the manifest signature does not verify with the key its kid names', cause);
  }
  let manifest: ProvenanceManifest;
  try {
    manifest = checkManifest(parseJson(payload, { maxBytes: MAX_MANIFEST_BYTES, maxDepth: 8 }, 'the manifest'));
  } catch (cause) {
    if (cause instanceof ProvenanceError) throw cause;
    throw invalid('the manifest payload is not valid JSON', cause);
  }
  if (manifest.creator !== signer)
    throw new ProvenanceError(
      'VERITY_E_PROVENANCE_CREATOR',
      `the manifest names ${quote(manifest.creator)} as creator but is signed by a key of ${quote(signer)}`,
    );
  if (revoked !== undefined && revoked <= (o.now ?? Date.now()))
    throw new ProvenanceError('VERITY_E_PROVENANCE_CREATOR', `the signing key ${quote(kid)} is revoked`);
  return { manifest, digest: provenanceDigest(jws), kid };
}

/**
 * Verifies a manifest (see `verifyManifest`) and the file it describes: its SHA-256 and length
 * (VERITY_E_PROVENANCE_CONTENT when the file was altered or belongs to another manifest).
 */
export async function verifyProvenance(
  jws: string,
  content: Uint8Array,
  o: ResolveOptions = {},
): Promise<VerifiedProvenance> {
  const v = await verifyManifest(jws, o);
  const actual = contentOf(content, v.manifest.content.mediaType);
  if (actual.sha256 !== v.manifest.content.sha256 || actual.bytes !== v.manifest.content.bytes)
    throw new ProvenanceError(
      'VERITY_E_PROVENANCE_CONTENT',
      'the file is not the one the manifest describes (its SHA-256 or length differs)',
    );
  return v;
}
