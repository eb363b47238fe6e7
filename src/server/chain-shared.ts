// What the chain routes share: their schemas and the capability check (D216, D232).

import { VerityError } from '../errors/index.ts';
import type { Capability } from '../principals/index.ts';
import { type Gate, notGranted, type Principal } from './gate.ts';
import { nat } from './schemas.ts';
import { Type } from './typebox.ts';

export const PURPOSE = 'chain-read';
export const Hex32 = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' });
export const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' });
export const Item = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'A name (its keccak-256 is the on-chain identifier) or the 32-byte identifier in hex',
});
export const Tx = Type.String({ pattern: '^0x[0-9a-f]{64}$', description: 'The transaction that set this state' });
export const Doc = Type.Object({}, { additionalProperties: true });
export const Evidence = Type.Object(
  {
    checkpoint: Type.String({ description: 'The signed checkpoint whose state map every proof leads to' }),
    rows: Type.Array(
      Type.Object({
        kind: Type.String(),
        id: Type.String(),
        row: Type.Union([
          Type.Object({ owner: Type.String(), body: Type.String(), version: nat, updatedAt: nat }),
          Type.Null(),
        ]),
        proof: Type.String({ contentEncoding: 'base64', description: 'The state proof of `object.KIND` + id' }),
      }),
      { maxItems: 128 },
    ),
  },
  { description: 'The rows read, each with its state proof (check with `verifyChainProofs`)' },
);

/**
 * Logs a capability decision, allowed or denied, as a `policy.decision` entry, and refuses a denied
 * one with VERITY_E_ACCESS_DENIED and `denied` as the message.
 */
export async function decideCapability(
  gate: Gate,
  p: Principal,
  cap: Capability,
  where: { readonly label: string; readonly purpose: string },
  allowed: boolean,
  denied: () => string,
): Promise<void> {
  await gate.logOutcome(p, where.label, where.purpose, allowed ? 'success' : 'denied', {
    action: cap,
    decision: allowed ? 'allow' : 'deny',
  });
  if (!allowed) throw new VerityError('VERITY_E_ACCESS_DENIED', denied());
}

/**
 * Requires `cap` of a token (never of a player session, never implied by a role) and logs the
 * decision, allowed or denied, as a `policy.decision` entry.
 */
export function requireCapability(gate: Gate, p: Principal, cap: Capability, label: string): Promise<void> {
  const allowed = p.role !== 'player' && p.capabilities.includes(cap);
  return decideCapability(gate, p, cap, { label, purpose: PURPOSE }, allowed, () =>
    p.role === 'player' ? 'a player session cannot do this' : notGranted(p, cap),
  );
}
