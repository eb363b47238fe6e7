import { checkIdentifier } from '../identifiers/index.ts';

/** Fields of request bodies that name something (a subject, a purpose, a domain, ...). */
const NAMED = ['subject', 'player', 'type', 'purpose', 'domain', 'name', 'key'] as const;

/**
 * Checks the identifiers of a request before it leaves (see `checkIdentifier`): a lone surrogate
 * or an unnormalized id is refused here, not silently rewritten on the way to the server.
 */
export function checkNames(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const b = body as Record<string, unknown>;
  for (const k of NAMED)
    if (typeof b[k] === 'string') checkIdentifier(b[k], k === 'subject' || k === 'player' ? 'subject id' : k);
  if (Array.isArray(b['guardians'])) for (const g of b['guardians']) checkIdentifier(g, 'guardian id');
}

/** A query string of identifiers (a purpose, a version), each checked first. */
export function query(params: Record<string, string>): URLSearchParams {
  for (const [k, v] of Object.entries(params)) checkIdentifier(v, k);
  return new URLSearchParams(params);
}
