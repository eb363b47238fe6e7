import type { JWK } from 'jose';
import { parseJson } from '../encoding/index.ts';
import { DidError, quote } from '../errors/index.ts';
import { DID_CONTEXT, type DidDocument, didKeyDocument, jwkFromDidKey, type VerificationMethod } from './key.ts';

/**
 * did:web (W3C CCG did:web method): `did:web:<host>[%3A<port>][:<path>...]` maps to
 * `https://<host>[:<port>]/.well-known/did.json`, or `https://<host>/<path...>/did.json` with a
 * path. Documents are fetched through an injected `fetch` (the library opens no socket itself).
 */

const HOST_RE = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*(%3A[0-9]{1,5})?$/;
const SEGMENT_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}$/;
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** Splits a did:web into its host (port decoded) and path segments, checking each. */
export function parseDidWeb(did: string): { host: string; path: string[] } {
  if (typeof did !== 'string' || did.length > 512 || !did.startsWith('did:web:'))
    throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} is not a did:web`);
  const [host, ...path] = did.slice('did:web:'.length).split(':');
  if (host === undefined || !HOST_RE.test(host.replace('%3a', '%3A')))
    throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} has no valid host (lowercase, port as %3A)`);
  for (const s of path)
    if (!SEGMENT_RE.test(s))
      throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} has a path segment Verity refuses`);
  return { host: host.replace(/%3A/i, ':'), path };
}

/** The HTTPS URL of a did:web's document (did:web 3.2.1 steps 1 to 6). */
export function didWebUrl(did: string): string {
  const { host, path } = parseDidWeb(did);
  return path.length === 0 ? `https://${host}/.well-known/did.json` : `https://${host}/${path.join('/')}/did.json`;
}

/** The did:web for a host (with its port, if any) and optional path segments. */
export function didWebFor(host: string, path: readonly string[] = []): string {
  const did = `did:web:${host.toLowerCase().replace(':', '%3A')}${path.map((s) => `:${s}`).join('')}`;
  parseDidWeb(did);
  return did;
}

/** A did:web document: every key (retired ones marked `revoked`), the current one authenticates and asserts. */
export function didWebDocument(
  did: string,
  keys: readonly { kid: string; jwk: JWK; retiredAt?: number | undefined }[],
): DidDocument {
  const vms: VerificationMethod[] = keys.map((k) => ({
    id: `${did}#${k.kid}`,
    type: 'JsonWebKey2020',
    controller: did,
    publicKeyJwk: k.jwk,
    ...(k.retiredAt === undefined ? {} : { revoked: new Date(k.retiredAt).toISOString() }),
  }));
  const current = vms.filter((v) => v.revoked === undefined).map((v) => v.id);
  return {
    '@context': DID_CONTEXT,
    id: did,
    verificationMethod: vms,
    authentication: current,
    assertionMethod: current,
  };
}

/** What did:web resolution needs from the outside: an HTTP GET. */
export type DidFetch = (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Resolves a DID to its document: did:key locally, did:web through `fetch`. */
export async function resolveDid(did: string, o: { fetch?: DidFetch } = {}): Promise<DidDocument> {
  if (did.startsWith('did:key:')) return didKeyDocument(did);
  if (!did.startsWith('did:web:'))
    throw new DidError('VERITY_E_DID_UNSUPPORTED', 'Verity resolves did:key and did:web');
  const url = didWebUrl(did);
  if (o.fetch === undefined)
    throw new DidError('VERITY_E_DID_RESOLUTION_FAILED', 'no fetch was given to resolve did:web');
  let text: string;
  try {
    const r = await o.fetch(url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    text = await r.text();
  } catch (cause) {
    throw new DidError('VERITY_E_DID_RESOLUTION_FAILED', `cannot fetch the did:web document at ${quote(url)}`, {
      cause,
    });
  }
  let doc: unknown;
  try {
    doc = parseJson(text, { maxBytes: MAX_DOCUMENT_BYTES, maxDepth: 16 }, 'DID document');
  } catch (cause) {
    throw new DidError('VERITY_E_DID_RESOLUTION_FAILED', 'the did:web document is not JSON of at most 256 KiB', {
      cause,
    });
  }
  const d = doc as Partial<DidDocument>;
  if (typeof d !== 'object' || d === null || d.id !== did || !Array.isArray(d.verificationMethod))
    throw new DidError('VERITY_E_DID_RESOLUTION_FAILED', 'the did:web document does not describe this DID');
  return d as DidDocument;
}

/**
 * The public key of a verification method (`did#fragment`, or `#fragment` relative to `did`):
 * `publicKeyJwk`, or `publicKeyMultibase` of an Ed25519 or P-256 Multikey. With `revoked`, when
 * the document says the key was retired.
 */
export function verificationKey(doc: DidDocument, ref: string): { jwk: JWK; revoked: number | undefined } {
  const id = ref.startsWith('#') ? `${doc.id}${ref}` : ref;
  const vm = doc.verificationMethod.find((v) => v.id === id || (v.id.startsWith('#') && `${doc.id}${v.id}` === id));
  if (vm === undefined) throw new DidError('VERITY_E_DID_NOT_FOUND', `the DID document has no key ${quote(ref)}`);
  const m = vm as VerificationMethod & { publicKeyMultibase?: unknown };
  let jwk: JWK;
  if (typeof m.publicKeyJwk === 'object' && m.publicKeyJwk !== null) jwk = m.publicKeyJwk;
  else if (typeof m.publicKeyMultibase === 'string') jwk = jwkFromDidKey(`did:key:${m.publicKeyMultibase}`);
  else throw new DidError('VERITY_E_DID_UNSUPPORTED', `key ${quote(ref)} is neither a JWK nor a Multikey`);
  const revoked = typeof m.revoked === 'string' ? Date.parse(m.revoked) : undefined;
  return { jwk, revoked: revoked !== undefined && Number.isFinite(revoked) ? revoked : undefined };
}
