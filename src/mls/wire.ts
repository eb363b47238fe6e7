// What the delivery service reads of MLS messages (RFC 9420) without any group secret: the
// KeyPackage (its credential, signatures, lifetime and reference), the clear header of a commit or
// application message (group id, epoch, content type) and the KeyPackage references a Welcome is
// encrypted to. Decoding and signature checks are ts-mls's.
import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  decodeMlsMessage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type KeyPackage,
  type MLSMessage,
  nobleCryptoProvider,
} from 'ts-mls';
import { makeKeyPackageRef, verifyKeyPackage } from 'ts-mls/keyPackage.js';
import { verifyLeafNodeSignatureKeyPackage } from 'ts-mls/leafNode.js';
import { toBase64Url } from '../encoding/index.ts';
import { MlsError, quote } from '../errors/index.ts';

/** The ciphersuites the service accepts unless configured otherwise (RFC 9420 17.1, the mandatory one). */
export const DEFAULT_CIPHERSUITES: readonly CiphersuiteName[] = ['MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'];
/** Most bytes of one MLS message the service takes (a KeyPackage, commit, Welcome or application message). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const impls = new Map<CiphersuiteName, Promise<CiphersuiteImpl>>();

/** The ciphersuite's implementation (noble, so the same code runs in Node and browsers), built once. */
export function suiteImpl(name: CiphersuiteName): Promise<CiphersuiteImpl> {
  let p = impls.get(name);
  if (p === undefined) {
    p = getCiphersuiteImpl(getCiphersuiteFromName(name), nobleCryptoProvider);
    impls.set(name, p);
  }
  return p;
}

export function invalid(what: string): MlsError {
  return new MlsError('VERITY_E_MLS_MESSAGE_INVALID', `${what}; send it as ts-mls encodes it (encodeMlsMessage)`);
}

/** Decodes one whole MLS message, refusing trailing bytes, oversize input and other wire formats. */
export function decodeMessage<W extends MLSMessage['wireformat']>(
  bytes: Uint8Array,
  wireformat: W,
  what: string,
): Extract<MLSMessage, { wireformat: W }> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES)
    throw invalid(`the ${what} must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== bytes.byteLength) throw invalid(`the ${what} is not one MLS message`);
  const [m] = decoded;
  if (m.version !== 'mls10') throw invalid(`the ${what} is not MLS 1.0`);
  if (m.wireformat !== wireformat) throw invalid(`the ${what} is a ${m.wireformat}, not a ${wireformat}`);
  return m as Extract<MLSMessage, { wireformat: W }>;
}

/**
 * A device-qualified client id, `<uuid>:<device, hex>@<identity>` (the form Wire's core-crypto,
 * OpenMLS inside, gives every basic credential): the identity is the part after `@`. Anchored and
 * bounded, so nothing else parses as one.
 */
const CLIENT_ID_RE =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{1,16}@([A-Za-z0-9._:@-]{1,128})$/;

/**
 * The player identity a basic credential's identity names: the identity itself, or the identity of
 * a device-qualified client id (`<uuid>:<device>@<identity>`). The SDK reads credentials the same
 * way (src/sdk/mls.ts `playerIdentity`).
 */
export function playerIdentity(credentialIdentity: string): string {
  return CLIENT_ID_RE.exec(credentialIdentity)?.[1] ?? credentialIdentity;
}

/** What the service keeps of a checked KeyPackage. */
export interface CheckedKeyPackage {
  /** Base64url of its KeyPackageRef (RFC 9420 5.2). */
  readonly ref: string;
  readonly ciphersuite: CiphersuiteName;
  /** Seconds since the epoch after which it may no longer be used. */
  readonly notAfter: number;
  /** Base64url of the leaf's signature public key, which signed the package. */
  readonly signatureKey: string;
}

/**
 * Checks a KeyPackage as the authentication service: an allowed ciphersuite, a basic credential
 * whose identity is `player` (the player the caller is authenticated as), or a device-qualified
 * client id of `player` (`playerIdentity`), valid signatures of the
 * leaf node and of the package (so the signature key in the credential's leaf is the one that
 * signed it), and a lifetime that covers `nowMs`.
 */
export async function checkKeyPackage(
  kp: KeyPackage,
  player: string,
  allowed: readonly CiphersuiteName[],
  nowMs: number,
): Promise<CheckedKeyPackage> {
  if (!allowed.includes(kp.cipherSuite))
    throw new MlsError(
      'VERITY_E_MLS_CIPHERSUITE',
      `ciphersuite ${quote(kp.cipherSuite)} is not allowed here; use one of ${allowed.join(', ')}`,
    );
  const refuse = (why: string) =>
    new MlsError('VERITY_E_MLS_CREDENTIAL', `the KeyPackage ${why}; publish a KeyPackage of your own identity`);
  const leaf = kp.leafNode;
  if (leaf.credential.credentialType !== 'basic') throw refuse('does not carry a basic credential');
  let identity: string;
  try {
    identity = new TextDecoder('utf-8', { fatal: true }).decode(leaf.credential.identity);
  } catch {
    throw refuse('names an identity that is not UTF-8 text');
  }
  // Not constant-time: the identity and the player id are public to the room, not secrets.
  if (playerIdentity(identity) !== player) throw refuse('names another identity than the player publishing it');
  const impl = await suiteImpl(kp.cipherSuite);
  const signed =
    (await verifyLeafNodeSignatureKeyPackage(leaf, impl.signature)) && (await verifyKeyPackage(kp, impl.signature));
  if (!signed) throw refuse('is not signed by the signature key of its leaf');
  const now = BigInt(Math.floor(nowMs / 1000));
  if (leaf.lifetime.notBefore > now || leaf.lifetime.notAfter < now) throw refuse('is outside its lifetime');
  const ref = toBase64Url(await makeKeyPackageRef(kp, impl.hash));
  return {
    ref,
    ciphersuite: kp.cipherSuite,
    notAfter: Number(leaf.lifetime.notAfter),
    signatureKey: toBase64Url(leaf.signaturePublicKey),
  };
}

/** The clear header of a commit or application message: its group, epoch and content type. */
export interface MessageHeader {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly contentType: 'commit' | 'application' | 'proposal';
  /** The clear authenticated_data (for an application message: the franking commitment). */
  readonly authenticatedData: Uint8Array;
}

/**
 * Reads the clear header of a group message: a PrivateMessage (its header is not encrypted) or a
 * PublicMessage (its framed content).
 */
export function messageHeader(bytes: Uint8Array, what: string): MessageHeader {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES)
    throw invalid(`the ${what} must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
  let m: MLSMessage;
  try {
    m = decodeMessage(bytes, 'mls_private_message', what);
  } catch {
    m = decodeMessage(bytes, 'mls_public_message', what);
  }
  const h =
    m.wireformat === 'mls_private_message'
      ? m.privateMessage
      : {
          groupId: m.publicMessage.content.groupId,
          epoch: m.publicMessage.content.epoch,
          contentType: m.publicMessage.content.contentType,
          authenticatedData: m.publicMessage.content.authenticatedData,
        };
  if (h.epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`the ${what}'s epoch is out of range`);
  return {
    groupId: h.groupId,
    epoch: Number(h.epoch),
    contentType: h.contentType,
    authenticatedData: h.authenticatedData,
  };
}

/** The KeyPackage references (base64url) a Welcome is encrypted to, and its ciphersuite. */
export function welcomeRecipients(bytes: Uint8Array): { ciphersuite: CiphersuiteName; refs: string[] } {
  const { welcome } = decodeMessage(bytes, 'mls_welcome', 'Welcome');
  const refs = welcome.secrets.map((s) => toBase64Url(s.newMember));
  if (refs.length === 0 || new Set(refs).size !== refs.length)
    throw invalid('the Welcome names no new member, or one twice');
  return { ciphersuite: welcome.cipherSuite, refs };
}
