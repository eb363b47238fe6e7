// What the MLS client reads off the wire and out of group states (FGMV-46 7.2.1): queued messages,
// the identities in members' credentials, and the franking of application messages (the server's
// src/mls/franking.ts describes the scheme): the plaintext travels as [1] || franking key || body,
// the commitment HMAC-SHA-256(key, domain || body) in the message's authenticated data, followed by
// the sender's view of the log (D179), so a recipient can prove an abusive message to the service.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type ClientState, decodeMlsMessage, type MLSMessage } from 'ts-mls';
import { bytesEqual, fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { MlsError } from '../errors/index.ts';
import type { ShownKey } from './mls-keys.ts';

/** A message the client received and decrypted. */
export interface ReceivedMessage {
  readonly groupId: string;
  readonly seq: number;
  readonly at: number;
  /** The sender's identity. */
  readonly sender: string;
  readonly text: string;
  /**
   * What `report` reveals to the service; keep it while the message may be reported. Absent for a
   * message sent without franking, which only a room opened with `franking: false` relays: such a
   * message cannot be reported.
   */
  readonly franking?: { readonly stamp: string; readonly frankingKey: string; readonly body: string };
}

/** What `receive` did with each queued message. */
export type Received =
  | { readonly type: 'message'; readonly message: ReceivedMessage }
  | { readonly type: 'joined'; readonly groupId: string; readonly epoch: number }
  | { readonly type: 'commit'; readonly groupId: string; readonly epoch: number; readonly removed: boolean }
  | { readonly type: 'proposal'; readonly groupId: string }
  | {
      readonly type: 'refused';
      readonly groupId: string;
      readonly seq: number;
      readonly reason: string;
      /** The error code, e.g. a key transparency alarm (VERITY_E_MLS_KEY_UNPROVEN, VERITY_E_MLS_SPLIT_VIEW). */
      readonly code?: string;
    };

/** A message of the player's queue, as `POST /v1/mls/queue` gives it. */
export interface Queued {
  id: string;
  groupId: string;
  seq: number;
  type: 'commit' | 'welcome' | 'application' | 'proposal';
  epoch: number;
  message: string;
  at: number;
  sender?: string;
  franking?: { commitment: string; stamp: string };
}

/** Decodes one whole MLS message (attacker-controlled: nothing may follow it). */
export function decodeMessage(bytes: Uint8Array): MLSMessage {
  const m = decodeMlsMessage(bytes, 0);
  if (m === undefined || m[1] !== bytes.length)
    throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a queued message is not one MLS message');
  return m[0];
}

/**
 * The player identity a credential identity names: the identity itself, or the identity of a
 * device-qualified client id `<uuid>:<device, hex>@<identity>` (the form Wire's core-crypto gives
 * every credential), as the service reads it (src/mls/wire.ts).
 */
export function playerIdentity(credentialIdentity: string): string {
  return (
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{1,16}@([A-Za-z0-9._:@-]{1,128})$/.exec(
      credentialIdentity,
    )?.[1] ?? credentialIdentity
  );
}

/** A device id as core-crypto prints one: lowercase hex without leading zeros. */
export function deviceHex(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n.toString(16);
}

/** The identity in a leaf's basic credential (what Verity checks KeyPackages against). */
export function identityOf(leaf: { credential: { credentialType: string } }): string | undefined {
  const c = leaf.credential as { credentialType: string; identity?: Uint8Array };
  return c.credentialType === 'basic' && c.identity !== undefined ? new TextDecoder().decode(c.identity) : undefined;
}

/** Every member's key as a group state shows it: the identity in each leaf's credential and its signature key. */
export function shownKeys(state: ClientState): ShownKey[] {
  const out: ShownKey[] = [];
  for (const n of state.ratchetTree)
    if (n?.nodeType === 'leaf') {
      const identity = identityOf(n.leaf);
      if (identity === undefined)
        throw new MlsError('VERITY_E_MLS_KEY_UNPROVEN', 'a member of the room has no basic credential');
      // A device-qualified client id (core-crypto's form, D195) is its player's key entry.
      out.push({ identity: playerIdentity(identity), signatureKey: n.leaf.signaturePublicKey });
    }
  return out;
}

/** The keys `after` shows that `before` did not (members added, or leaves whose signature key changed). */
export function newKeys(before: ClientState, after: ClientState): ShownKey[] {
  const seen = new Set(shownKeys(before).map((k) => `${k.identity} ${toBase64Url(k.signatureKey)}`));
  return shownKeys(after).filter((k) => !seen.has(`${k.identity} ${toBase64Url(k.signatureKey)}`));
}

const FRANKING_VERSION = 1;
const FRANKING_BYTES = 32;
/** The sender's view of the log in the authenticated data: a tree size and root (mls-keys.ts). */
const VIEW_BYTES = 40;
const DOMAIN = new TextEncoder().encode('verity/mls/franking/v1\n');

/** The franking commitment: HMAC-SHA-256(key, domain || body), as the service recomputes it. */
export function frankingCommitment(key: Uint8Array, body: Uint8Array): Uint8Array {
  const d = new Uint8Array(DOMAIN.length + body.length);
  d.set(DOMAIN);
  d.set(body, DOMAIN.length);
  return hmac(sha256, key, d);
}

/**
 * Franks a message: the content to encrypt ([1] || fresh key || body) and the authenticated data
 * ([1] || commitment || the sender's view of the log, when it has one).
 */
export function frank(body: Uint8Array, view: Uint8Array | undefined): { content: Uint8Array; aad: Uint8Array } {
  const key = crypto.getRandomValues(new Uint8Array(FRANKING_BYTES));
  const content = new Uint8Array(1 + FRANKING_BYTES + body.length);
  content[0] = FRANKING_VERSION;
  content.set(key, 1);
  content.set(body, 1 + FRANKING_BYTES);
  const aad = new Uint8Array(1 + FRANKING_BYTES + (view?.length ?? 0));
  aad[0] = FRANKING_VERSION;
  aad.set(frankingCommitment(key, body), 1);
  if (view !== undefined) aad.set(view, 1 + FRANKING_BYTES);
  return { content, aad };
}

/**
 * Opens a received message's franking: the plaintext must open the commitment in its
 * authenticated data and the one the service stamped, else the message could not be reported and
 * is refused. Returns the body, the franking key and the sender's view of the log, if it sent one.
 */
export function openFranking(
  content: Uint8Array,
  aad: Uint8Array,
  stamped: { commitment: string } | undefined,
): { body: Uint8Array; key: Uint8Array; view: Uint8Array | undefined } {
  if (content.length < 1 + FRANKING_BYTES || content[0] !== FRANKING_VERSION || stamped === undefined)
    throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'the message is not franked');
  const key = content.slice(1, 1 + FRANKING_BYTES);
  const body = content.slice(1 + FRANKING_BYTES);
  const c = frankingCommitment(key, body);
  if (
    (aad.length !== 1 + FRANKING_BYTES && aad.length !== 1 + FRANKING_BYTES + VIEW_BYTES) ||
    !bytesEqual(aad.slice(1, 1 + FRANKING_BYTES), c) ||
    !bytesEqual(fromBase64Url(stamped.commitment, 'franking commitment'), c)
  )
    throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'the message does not open its franking commitment');
  return { body, key, view: aad.length > 1 + FRANKING_BYTES ? aad.slice(1 + FRANKING_BYTES) : undefined };
}
