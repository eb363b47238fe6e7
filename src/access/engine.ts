import { createHash, randomBytes } from 'node:crypto';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { toBase64Url } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import { ACTIONS, type Action, CEDAR_SCHEMA } from './schema.ts';

/** A player as the policies see them. */
export interface PlayerRef {
  readonly id: string;
  readonly minor?: boolean;
  readonly guardians?: readonly string[];
}

/** Who asks. */
export type PrincipalRef =
  | ({ readonly kind: 'player' } & PlayerRef)
  | { readonly kind: 'service'; readonly id: string; readonly recordTypes: readonly string[] }
  | { readonly kind: 'operator'; readonly id: string }
  | { readonly kind: 'auditor'; readonly id: string };

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
  | { readonly kind: 'recordType'; readonly id: string }
  | { readonly kind: 'log' };

/** The circumstances of a request. */
export interface AccessContext {
  readonly purpose: string;
  readonly consent?: 'granted' | 'denied' | 'unknown';
  readonly time: number;
  /** 0 to 100. */
  readonly risk?: number;
}

/** The outcome of one authorization. */
export interface Decision {
  readonly allowed: boolean;
  /** `sha256:` + base64url of the policy text that decided. */
  readonly policyHash: string;
  /** Ids of the policies that determined the decision. */
  readonly reasons: readonly string[];
  /** Policy evaluation errors (a policy that errors does not apply: default deny holds). */
  readonly errors: readonly string[];
}

type Uid = { type: string; id: string };

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

function details(errors: readonly { message: string }[]): string {
  return errors
    .map((e) => e.message)
    .join('; ')
    .slice(0, 500);
}

let instances = 0;

/**
 * Cedar authorization (`@cedar-policy/cedar-wasm`) over Verity's entity model. Default deny:
 * a request is allowed only when a `permit` applies and no `forbid` does. Policies are validated
 * against the schema in strict mode before use; `reload` swaps the policy set atomically and keeps
 * the last good one when the new one is invalid.
 *
 * Cedar keeps pre-parsed policy sets in a registry inside its WebAssembly module; each engine and
 * each reload registers a fresh id, so engines never see each other's policies.
 */
export class PolicyEngine {
  #setId = '';
  #hash = '';
  #text = '';
  readonly #prefix = `verity-${++instances}-${toBase64Url(randomBytes(6))}`;
  #version = 0;
  readonly #cacheSize: number;
  #cache = new Map<string, Decision>();
  #cacheable = false;

  private constructor(cacheSize: number) {
    this.#cacheSize = cacheSize;
  }

  /**
   * Parses and validates a policy set; throws VERITY_E_POLICY_INVALID saying why it is refused.
   * `cacheSize` bounds the decision cache (0 turns it off).
   */
  static load(text: string, options: { cacheSize?: number } = {}): PolicyEngine {
    const e = new PolicyEngine(options.cacheSize ?? 10_000);
    e.reload(text);
    return e;
  }

  /** Replaces the policy set atomically; on error nothing changes and the old set keeps deciding. */
  reload(text: string): void {
    if (typeof text !== 'string' || text.length > 1024 * 1024)
      throw new VerityError('VERITY_E_POLICY_INVALID', 'a policy set must be text of at most 1 MiB');
    const parts = cedar.policySetTextToParts(text);
    if (parts.type === 'failure')
      throw new VerityError('VERITY_E_POLICY_INVALID', `the policies do not parse: ${details(parts.errors)}`);
    if (parts.policy_templates.length > 0)
      throw new VerityError('VERITY_E_POLICY_INVALID', 'policy templates are not supported; write static policies');
    // Name each policy by its @id annotation, so decisions cite policies by the names people gave them.
    const policies: Record<string, string> = {};
    parts.policies.forEach((p, i) => {
      const name = /@id\(\s*"([^"\\]{1,100})"\s*\)/.exec(p)?.[1] ?? `policy${i}`;
      if (Object.hasOwn(policies, name))
        throw new VerityError('VERITY_E_POLICY_INVALID', `two policies share the id ${quote(name)}`);
      policies[name] = p;
    });
    const v = cedar.validate({
      schema: CEDAR_SCHEMA,
      policies: { staticPolicies: policies },
      validationSettings: { mode: 'strict' },
    });
    if (v.type === 'failure')
      throw new VerityError('VERITY_E_POLICY_INVALID', `the policies cannot be validated: ${details(v.errors)}`);
    if (v.validationErrors.length > 0) {
      throw new VerityError(
        'VERITY_E_POLICY_INVALID',
        `the policies do not match Verity's schema: ${v.validationErrors
          .map((x) => `${x.policyId}: ${x.error.message}`)
          .join('; ')
          .slice(0, 500)}`,
      );
    }
    const id = `${this.#prefix}-${++this.#version}`;
    const pre = cedar.preparsePolicySet(id, { staticPolicies: policies });
    if (pre.type === 'failure')
      throw new VerityError('VERITY_E_POLICY_INVALID', `the policies could not be prepared: ${details(pre.errors)}`);
    // INVARIANT: these fields change together, after every check passed.
    this.#setId = id;
    this.#text = text;
    this.#cache = new Map();
    // A decision is a pure function of the request and the policies, except for the clock: decisions
    // are cached only while no policy mentions `time`.
    this.#cacheable = this.#cacheSize > 0 && !/\btime\b/.test(text);
    this.#hash = `sha256:${toBase64Url(createHash('sha256').update(text).digest())}`;
  }

  /** Hash of the policy text in force (logged with every decision). */
  get policyHash(): string {
    return this.#hash;
  }

  /** The policy text in force. */
  get policyText(): string {
    return this.#text;
  }

  /** Decides one request. Never throws for a denial; throws only for malformed input. */
  authorize(principal: PrincipalRef, action: Action, resource: ResourceRef, context: AccessContext): Decision {
    if (!ACTIONS.includes(action))
      throw new InputError('VERITY_E_INPUT_INVALID', `action ${quote(action)} is not one of ${ACTIONS.join(', ')}`);
    const risk = context.risk ?? 0;
    if (!Number.isInteger(risk) || risk < 0 || risk > 100)
      throw new InputError('VERITY_E_INPUT_INVALID', 'risk must be an integer from 0 to 100');
    if (!Number.isSafeInteger(context.time))
      throw new InputError('VERITY_E_INPUT_INVALID', 'time must be milliseconds since the epoch');
    // The key holds every input of the decision but the time (see reload).
    const key = this.#cacheable
      ? JSON.stringify([principal, action, resource, context.purpose, context.consent ?? 'unknown', risk])
      : '';
    if (this.#cacheable) {
      const hit = this.#cache.get(key);
      if (hit !== undefined) return hit;
    }
    const d = this.#decide(principal, action, resource, context, risk);
    if (this.#cacheable && d.errors.length === 0) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.clear();
      this.#cache.set(key, d);
    }
    return d;
  }

  #decide(
    principal: PrincipalRef,
    action: Action,
    resource: ResourceRef,
    context: AccessContext,
    risk: number,
  ): Decision {
    // Only entities with attributes a policy reads are passed: each one is parsed by Cedar on every
    // call, and that parsing is most of a decision's cost.
    const entities: cedar.EntityJson[] = [];
    let p: Uid;
    switch (principal.kind) {
      case 'service':
        p = uid(TYPES.service, principal.id);
        entities.push({ uid: p, attrs: { recordTypes: [...principal.recordTypes] }, parents: [] });
        break;
      default:
        p = uid(TYPES[principal.kind], principal.id);
    }
    let r: Uid;
    switch (resource.kind) {
      case 'record':
        r = uid('Verity::Record', resource.id);
        entities.push({
          uid: r,
          attrs: {
            ...ownerAttrs(resource.owner),
            type: resource.type,
            category: resource.category,
            sensitivity: resource.sensitivity,
          },
          parents: [],
        });
        break;
      case 'subject':
        r = uid('Verity::Subject', resource.owner.id);
        entities.push({ uid: r, attrs: ownerAttrs(resource.owner), parents: [] });
        break;
      case 'recordType':
        r = uid('Verity::RecordType', resource.id);
        break;
      default:
        r = uid('Verity::Log', 'log');
    }
    const answer = cedar.statefulIsAuthorized({
      principal: p,
      action: { type: 'Verity::Action', id: action },
      resource: r,
      context: { purpose: context.purpose, consent: context.consent ?? 'unknown', time: context.time, risk },
      preparsedPolicySetId: this.#setId,
      entities,
    });
    if (answer.type === 'failure') {
      // A request Cedar cannot evaluate is denied (default deny), with the reason kept.
      return {
        allowed: false,
        policyHash: this.#hash,
        reasons: [],
        errors: answer.errors.map((e) => e.message.slice(0, 200)),
      };
    }
    return {
      allowed: answer.response.decision === 'allow',
      policyHash: this.#hash,
      reasons: answer.response.diagnostics.reason,
      errors: answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`.slice(0, 200)),
    };
  }
}
