// Verity's authorization requests as Cedar entities: who asks (principals), what is asked for
// (resources), and the one mapping of both onto Cedar's entities and attributes (see schema.ts).
import type * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { InputError } from '../errors/index.ts';

/** A player as the policies see them. */
export interface PlayerRef {
  readonly id: string;
  readonly minor?: boolean;
  readonly guardians?: readonly string[];
}

/**
 * Who asks. A player is a session: `recordTypes` are those of the service that opened it. A
 * token's `capabilities` (session.open, session.revoke, guardianship.set) are granted explicitly;
 * absent means none.
 */
export type PrincipalRef =
  | { readonly kind: 'player'; readonly id: string; readonly recordTypes?: readonly string[] }
  | {
      readonly kind: 'service';
      readonly id: string;
      readonly recordTypes: readonly string[];
      readonly capabilities?: readonly string[];
    }
  | { readonly kind: 'operator' | 'auditor'; readonly id: string; readonly capabilities?: readonly string[] };

/** What is asked for. */
export type ResourceRef =
  | {
      readonly kind: 'record';
      readonly id: string;
      readonly owner: PlayerRef;
      readonly type: string;
      readonly category: string;
      readonly sensitivity: string;
    }
  | { readonly kind: 'subject'; readonly owner: PlayerRef }
  /** A player session: its id, its player, and the name of the service that opened it. */
  | { readonly kind: 'session'; readonly id: string; readonly owner: PlayerRef; readonly openedBy: string }
  | { readonly kind: 'recordType'; readonly id: string }
  /** A de-identification domain: `kind` is pseudonym, token, fpe, dataset, pii or anonymize. */
  | { readonly kind: 'deid'; readonly id: string; readonly domainKind: string }
  /** An identity provider trusted for sign-in, by its name. */
  | { readonly kind: 'issuer'; readonly id: string }
  | { readonly kind: 'log' };

export type Uid = { type: string; id: string };

const TYPES = {
  player: 'Verity::Player',
  service: 'Verity::Service',
  operator: 'Verity::Operator',
  auditor: 'Verity::Auditor',
} as const;
const ID_MAX = 256;

function uid(type: string, id: string): Uid {
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX)
    throw new InputError('VERITY_E_INPUT_INVALID', `an entity id must have 1 to ${ID_MAX} characters`);
  return { type, id };
}

/** The owner facts every resource about a player's data carries (see the schema). */
function ownerAttrs(p: PlayerRef): Record<string, cedar.CedarValueJson> {
  return {
    owner: { __entity: uid(TYPES.player, p.id) },
    ownerMinor: p.minor === true,
    guardians: p.minor === true ? (p.guardians ?? []).map((g) => ({ __entity: uid(TYPES.player, g) })) : [],
  };
}

/** The inputs of one Cedar request, in the shape the decision key reads them. */
export interface CedarRequest {
  readonly p: Uid;
  readonly pAttrs: Attrs;
  readonly r: Uid;
  readonly rAttrs: Attrs;
  readonly context: Attrs;
}

export type Attrs = Record<string, cedar.CedarValueJson>;

/** Verity's request as Cedar would take it whole: every entity with every attribute. */
export function cedarRequest(principal: PrincipalRef, resource: ResourceRef, context: Attrs): CedarRequest {
  const p = uid(TYPES[principal.kind], principal.id);
  const pAttrs: Attrs =
    principal.kind === 'player'
      ? { recordTypes: [...(principal.recordTypes ?? [])] }
      : principal.kind === 'service'
        ? { recordTypes: [...principal.recordTypes], capabilities: [...(principal.capabilities ?? [])] }
        : { capabilities: [...(principal.capabilities ?? [])] };
  let r: Uid;
  let rAttrs: Attrs = {};
  switch (resource.kind) {
    case 'record':
      r = uid('Verity::Record', resource.id);
      rAttrs = {
        ...ownerAttrs(resource.owner),
        type: resource.type,
        category: resource.category,
        sensitivity: resource.sensitivity,
      };
      break;
    case 'subject':
      r = uid('Verity::Subject', resource.owner.id);
      rAttrs = ownerAttrs(resource.owner);
      break;
    case 'session':
      r = uid('Verity::Session', resource.id);
      rAttrs = {
        owner: { __entity: uid(TYPES.player, resource.owner.id) },
        openedBy: { __entity: uid(TYPES.service, resource.openedBy) },
      };
      break;
    case 'recordType':
      r = uid('Verity::RecordType', resource.id);
      break;
    case 'deid':
      r = uid('Verity::DeidDomain', `${resource.domainKind}:${resource.id}`);
      rAttrs = { kind: resource.domainKind };
      break;
    case 'issuer':
      r = uid('Verity::IdentityIssuer', resource.id);
      break;
    default:
      r = uid('Verity::Log', 'log');
  }
  return { p, pAttrs, r, rAttrs, context };
}
