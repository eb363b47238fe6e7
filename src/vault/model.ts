import { bindAad } from '../envelope/index.ts';
import type { LifecycleState } from '../store/index.ts';

/** How sensitive a record is (drives policy in later layers). */
export type Sensitivity = 'public' | 'internal' | 'confidential' | 'restricted';

/** Classification of a record: what kind of data it is and how sensitive. */
export interface Classification {
  /** Data category, e.g. a W3C DPV personal data category such as `dpv-pd:Contact`. */
  readonly category: string;
  readonly sensitivity: Sensitivity;
}

/** An Ed25519 signature by the data's creator over `canonicalJson({ type, data })`. */
export interface ProvenanceSignature {
  readonly alg: 'Ed25519';
  /** Standard base64 of the raw 32-byte public key. */
  readonly publicKey: string;
  /** Standard base64 of the 64-byte signature. */
  readonly value: string;
}

/** Where a record came from. */
export interface Provenance {
  /** The principal that wrote it (filled in by Verity from the authenticated actor). */
  readonly creator: string;
  /** The system or device it was captured from, e.g. `world:eu-1`. */
  readonly source?: string;
  readonly signature?: ProvenanceSignature;
}

/** The non-secret metadata of one record version, as returned on reads. */
export interface RecordMeta {
  readonly id: string;
  readonly version: number;
  readonly type: string;
  readonly subject?: string;
  readonly state: LifecycleState;
  /** How the data entered the lifecycle. */
  readonly origin: 'created' | 'captured';
  readonly classification: Classification;
  readonly provenance: Provenance;
  /** Ids of the records this one was derived from. */
  readonly lineage: readonly string[];
  /** The purpose the data was collected for. */
  readonly purpose: string;
  /** RFC 3339 time of this version's write. */
  readonly createdAt: string;
  /** RFC 3339 retention deadline, or null. */
  readonly retainUntil: string | null;
  /** Salted commitment to the data (see the audit entry of the write). */
  readonly contentHash: string;
  /** The schema the data was validated with: `TYPE@sha256:...` or `verity:generic`. */
  readonly schema: string;
  /** Index of the log entry that recorded this version's write. */
  readonly logIndex: number;
}

/** Allowed lifecycle transitions (erasure has its own operation). */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = Object.freeze({
  created: ['stored'],
  captured: ['stored'],
  stored: ['shared', 'used', 'archived'],
  shared: ['stored', 'used', 'archived'],
  used: ['stored', 'shared', 'archived'],
  archived: ['stored'],
  erased: [],
});

/** The metadata stored beside a record version's envelope (plain JSON: stored, never hashed or signed). */
export interface StoredMeta {
  readonly origin: 'created' | 'captured';
  readonly classification: Classification;
  readonly provenance: Provenance;
  readonly lineage: readonly string[];
  readonly purpose: string;
  readonly contentHash: string;
  readonly schema: string;
}

/**
 * The additional data a record's envelope is sealed with: its identity, so that a ciphertext moved
 * to another record, version, subject or type fails to open.
 */
export function recordAad(id: string, version: number, subjectRef: string, type: string): Uint8Array {
  return bindAad('verity/record/v1', [id, String(version), subjectRef, type]);
}
