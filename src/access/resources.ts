import type { PlayerRef, ResourceRef } from './entities.ts';

/** What the policies read of a record: its type and classification (vault metadata has these). */
export interface RecordFacts {
  readonly type: string;
  readonly category: string;
  readonly sensitivity: string;
}

/**
 * A record as the policies see it. An absent record (`facts` undefined) is decided like any other,
 * as the most restricted record of no type, so that a denial does not tell whether it exists.
 */
export function recordResource(id: string, owner: PlayerRef, facts: RecordFacts | undefined): ResourceRef {
  return {
    kind: 'record',
    id,
    owner,
    type: facts?.type ?? 'absent',
    category: facts?.category ?? 'unclassified',
    sensitivity: facts?.sensitivity ?? 'restricted',
  };
}

/**
 * What a subject query that may read none of the subject's records is decided as: the record it
 * pages after, when that is one of the subject's (`start`, its facts), else an absent record of the
 * subject. So paging to the end of what one may read answers `[]`, and a query about another's
 * records is denied whether or not they have any.
 */
export function listingResource(
  owner: PlayerRef,
  after: string | undefined,
  start: RecordFacts | undefined,
): ResourceRef {
  return recordResource(after ?? 'subject:records', owner, start);
}

/** The owner of an absent record. */
export const ABSENT_OWNER: PlayerRef = Object.freeze({ id: 'absent' });
