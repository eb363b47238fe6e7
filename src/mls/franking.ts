// Message franking for abuse reporting in end-to-end encrypted rooms (Facebook's scheme: "Messenger
// Secret Conversations" technical whitepaper, 2017; Grubbs, Lu, Ristenpart, "Message Franking via
// Committing Authenticated Encryption", CRYPTO 2017). The sender draws a fresh 32-byte franking
// key nf and commits to the plaintext with c = HMAC-SHA-256(nf, domain || body). Inside the MLS
// application message (encrypted) travel nf and the body; outside, in the PrivateMessage's
// authenticated_data (clear to the service, bound to the ciphertext by the AEAD and the sender's
// signature), travels c. The service stamps c for each recipient with a MAC key of its KeyStore,
// over the sender, the room, the recipient, the message's sequence number and time. A recipient's
// report reveals the body and nf: the service recomputes c and checks its stamp, so an altered
// body, another sender, another room or a report by someone the message was not delivered to is
// refused. Only the body and nf stay client-side until a report; the service never sees them
// otherwise.
import { createHmac, createSecretKey } from 'node:crypto';
import { MlsError } from '../errors/index.ts';

/** The version byte that starts the franked content and the commitment in authenticated_data. */
export const FRANKING_VERSION = 1;
/** Bytes of a franking key and of a commitment (HMAC-SHA-256). */
export const FRANKING_BYTES = 32;
/** The KeyStore MAC key the service stamps commitments with. */
export const FRANKING_KEY = 'mls-franking';
const DOMAIN = new TextEncoder().encode('verity/mls/franking/v1\n');

/**
 * The sender's commitment to `body` under the franking key `nf`: HMAC-SHA-256(nf, domain || body).
 * The SDK computes the same (src/sdk/mls.ts), with noble's HMAC so it runs in browsers too.
 */
export function commitment(nf: Uint8Array, body: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', createSecretKey(nf)).update(DOMAIN).update(body).digest());
}

/** Bytes of the sender's view of the log that may follow the commitment: tree size (8) and root (32). */
export const LOG_VIEW_BYTES = 40;

/**
 * The commitment an application message carries in its authenticated_data: the version byte and
 * 32 bytes, optionally followed by the sender's view of the log (the size and root hash of the
 * checkpoint their client trusts, D179), which the service does not read. Attacker-controlled:
 * anything else is refused.
 */
export function readCommitment(authenticatedData: Uint8Array): Uint8Array {
  const n = authenticatedData.byteLength;
  if (
    (n !== 1 + FRANKING_BYTES && n !== 1 + FRANKING_BYTES + LOG_VIEW_BYTES) ||
    authenticatedData[0] !== FRANKING_VERSION
  )
    throw new MlsError(
      'VERITY_E_MLS_MESSAGE_INVALID',
      'the application message carries no franking commitment in its authenticated data; send it with the SDK (MlsClient.send), which commits to the plaintext so that it can be reported',
    );
  return authenticatedData.slice(1, 1 + FRANKING_BYTES);
}

/** What a stamp binds: the commitment, who sent it, in which room, to whom, its sequence and time. */
export interface StampContext {
  readonly commitment: string;
  readonly sender: string;
  readonly groupId: string;
  readonly recipient: string;
  readonly seq: number;
  readonly at: number;
}

/** The bytes the service MACs for a stamp (fields are base64url or ids without newlines, and integers). */
export function stampInput(s: StampContext): Uint8Array {
  return new TextEncoder().encode(
    `verity/mls/stamp/v1\n${s.commitment}\n${s.sender}\n${s.groupId}\n${s.recipient}\n${s.seq}\n${s.at}`,
  );
}
