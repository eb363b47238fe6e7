import { StoreError } from '../errors/index.ts';
import type { LifecycleState, RecordRow, SubjectKeyRow } from './types.ts';

/** Lifecycle states the stores accept (a CHECK constraint in both schemas, too). */
export const STATES: readonly LifecycleState[] = [
  'created',
  'captured',
  'stored',
  'shared',
  'used',
  'archived',
  'erased',
];

/** A record row as a database driver returns it (snake_case columns). */
export interface RecordColumns {
  id: string;
  version: number;
  subject_ref: string;
  type: string;
  state: string;
  meta: string;
  envelope: Uint8Array | null;
  created_at: number;
  retain_until: number | null;
  log_index: number;
}

export function bytes(v: Uint8Array): Uint8Array {
  // Drivers hand out Buffers; callers compare with Uint8Array, so normalize the prototype.
  return Object.getPrototypeOf(v) === Uint8Array.prototype ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export function toRecord(c: RecordColumns): RecordRow {
  if (!STATES.includes(c.state as LifecycleState))
    throw new StoreError('VERITY_E_STORE_CORRUPT', 'a stored record has an unknown lifecycle state');
  return {
    id: c.id,
    version: c.version,
    subjectRef: c.subject_ref,
    type: c.type,
    state: c.state as LifecycleState,
    meta: c.meta,
    envelope: c.envelope === null ? null : bytes(c.envelope),
    createdAt: c.created_at,
    retainUntil: c.retain_until,
    logIndex: c.log_index,
  };
}

export interface SubjectKeyColumns {
  subject_ref: string;
  kek_version: number;
  wrapped_key: Uint8Array;
  created_at: number;
}

export function toSubjectKey(c: SubjectKeyColumns): SubjectKeyRow {
  return {
    subjectRef: c.subject_ref,
    kekVersion: c.kek_version,
    wrappedKey: bytes(c.wrapped_key),
    createdAt: c.created_at,
  };
}

export function conflict(what: string, cause: unknown): StoreError {
  return new StoreError('VERITY_E_STORE_CONFLICT', `${what} exists already; retry with fresh values`, { cause });
}

export function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new RangeError('invalid log range');
}
