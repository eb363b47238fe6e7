import { createHash } from 'node:crypto';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { toBase64Url } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import type { PrincipalRef, ResourceRef } from './entities.ts';
import { type Attrs, type CedarRequest, cedarRequest, type Uid } from './entities.ts';
import { ACTIONS, type Action, CEDAR_SCHEMA, DEFAULT_POLICIES } from './schema.ts';

/** The circumstances of a request. */
export interface AccessContext {
  readonly purpose: string;
  readonly consent?: 'granted' | 'denied' | 'unknown';
  readonly time: number;
  /** 0 to 100 (a risk score as a percentage, see `policyRisk` of src/risk). Default 0. */
  readonly risk?: number;
  /**
   * True when the caller verified a fresh strong authentication of the principal (a passkey
   * assertion within the last few minutes) for this request. Default false.
   */
  readonly stepUp?: boolean;
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
  /**
   * Denied, but the same request with a fresh strong authentication (`stepUp: true`) would be
   * allowed: answer VERITY_E_STEP_UP_REQUIRED rather than a plain deny (see `enforceDecision`).
   */
  readonly stepUpRequired: boolean;
}

/**
 * Throws for a denial: VERITY_E_STEP_UP_REQUIRED (401) when a fresh passkey assertion would turn it
 * into an allow, VERITY_E_ACCESS_DENIED (403) otherwise. `denied` is the message of a plain deny.
 */
export function enforceDecision(d: Decision, denied: string): void {
  if (d.allowed) return;
  if (d.stepUpRequired)
    throw new VerityError(
      'VERITY_E_STEP_UP_REQUIRED',
      'this request is risky: authenticate again with a passkey, then retry with the step-up recorded',
    );
  throw new VerityError('VERITY_E_ACCESS_DENIED', denied);
}

const ABSENT = '\u0000absent';

function details(errors: readonly { message: string }[]): string {
  return errors
    .map((e) => e.message)
    .join('; ')
    .slice(0, 500);
}

/** A scope constraint of a policy's head, as Cedar's JSON form gives it. */
interface ScopeJson {
  readonly op: 'All' | '==' | 'in' | 'is';
  readonly entity?: Uid;
  readonly entities?: readonly Uid[];
  readonly entity_type?: string;
  readonly in?: unknown;
}

/** What a policy can depend on: its head, and every input its conditions read. */
interface PolicyReads {
  readonly principal: ScopeJson;
  readonly action: ScopeJson;
  readonly resource: ScopeJson;
  /**
   * Inputs read: `principal#uid` (the entity's id), `principal.*` (every attribute),
   * `principal.ATTR` (one attribute); the same for `resource` and `context`.
   */
  readonly slots: ReadonlySet<string>;
  readonly effect: 'permit' | 'forbid';
  /** Whether the policy names an entity other than an action (see `namesEntities`). */
  readonly namesEntities: boolean;
}

/**
 * Whether a policy names a principal, resource or attribute entity by its id (`principal ==
 * Verity::Operator::"local:cli"`, `resource.owner == Verity::Player::"x"`, `in` one). A policy that
 * names none cannot tell two requests apart whose entity ids differ but are equal to one another in
 * the same places: Cedar reads an entity's id only by comparing it (`==`, `in`, `contains`), never
 * as text. Such requests get one decision, cached once (`decisionKey`). Conservative: any
 * `entity`, `entities` or `__entity` that is not an action counts, wherever it stands.
 */
function namesEntities(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(namesEntities);
  if (node === null || typeof node !== 'object') return false;
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'entity' || k === '__entity') && !isAction(v)) return true;
    if (k === 'entities' && !(Array.isArray(v) && v.every(isAction))) return true;
    if (namesEntities(v)) return true;
  }
  return false;
}

function isAction(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Verity::Action';
}

/** Whether a policy reads the step-up (`context.stepUp`, or the whole context). */
function readsStepUp(r: PolicyReads): boolean {
  return r.slots.has('context.stepUp') || r.slots.has('context.*') || r.slots.has('context#uid');
}

const VARS = new Set(['principal', 'resource', 'context', 'action']);

/**
 * The inputs a policy's conditions read, found by walking Cedar's JSON form of the policy. An
 * attribute read straight off a variable (`resource.type`, `resource has type`) names that one
 * attribute; any other use of a variable (`principal == resource.owner`, `principal is T`, an
 * attribute read through an expression) counts as reading the whole entity: its id and every
 * attribute. Conservative by construction: it may name more than a policy reads, never less.
 *
 * Hand-written because Cedar's own tooling offers no "which inputs does this policy read" query.
 */
function readsOf(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) readsOf(x, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const op of ['.', 'has']) {
    const access = o[op] as { left?: { Var?: unknown }; attr?: unknown } | undefined;
    if (access === undefined || Object.keys(o).length !== 1) continue;
    if (
      typeof access.left?.Var === 'string' &&
      Object.keys(access.left).length === 1 &&
      typeof access.attr === 'string'
    ) {
      out.add(`${access.left.Var}.${access.attr}`);
      return;
    }
    // An attribute of an entity reached through an expression (`resource.owner.recordTypes`): that
    // entity may be the principal or the resource, whichever the expression's value names, so the
    // answer depends on both, their ids and every attribute.
    for (const v of ['principal', 'resource']) {
      out.add(`${v}#uid`);
      out.add(`${v}.*`);
    }
  }
  if (typeof o['Var'] === 'string') {
    // A whole variable: its id and all its attributes.
    out.add(`${o['Var']}#uid`);
    out.add(`${o['Var']}.*`);
    return;
  }
  for (const v of Object.values(o)) readsOf(v, out);
}

/** Validates named policies against Verity's Cedar schema in strict mode; throws VERITY_E_POLICY_INVALID. */
export function validatePolicySet(named: Record<string, string>): void {
  const v = cedar.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: named },
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
}

function analyse(policy: string): PolicyReads {
  const j = cedar.policyToJson(policy);
  if (j.type === 'failure')
    throw new VerityError('VERITY_E_POLICY_INVALID', `a policy cannot be analysed: ${details(j.errors)}`);
  const json = j.json as unknown as {
    effect: 'permit' | 'forbid';
    principal: ScopeJson;
    action: ScopeJson;
    resource: ScopeJson;
    conditions: unknown;
  };
  const slots = new Set<string>();
  readsOf(json.conditions, slots);
  // A head that names an entity (`==`, `in`) depends on the request's entity id.
  for (const v of ['principal', 'resource'] as const) {
    const sc = json[v];
    if (sc.op === '==' || sc.op === 'in' || sc.in !== undefined) slots.add(`${v}#uid`);
  }
  for (const s of slots) {
    const v = /^[a-z]+/.exec(s)?.[0] ?? '';
    if (!VARS.has(v))
      throw new VerityError('VERITY_E_POLICY_INVALID', `a policy reads an unknown variable ${quote(v)}`);
  }
  return {
    principal: json.principal,
    action: json.action,
    resource: json.resource,
    slots,
    effect: json.effect,
    namesEntities: namesEntities([json.principal, json.resource, json.conditions]),
  };
}

/** Whether a head constraint can match an entity of `type` (or, for actions, the action `id`). */
function scopeMayMatch(sc: ScopeJson, type: string, id?: string): boolean {
  switch (sc.op) {
    case 'All':
      return true;
    case 'is':
      return sc.entity_type === type;
    case '==':
      return sc.entity?.type === type && (id === undefined || sc.entity.id === id);
    case 'in':
      // Verity's entities have no parents: `in E` holds only for E itself.
      if (id === undefined) return true;
      return (sc.entities ?? (sc.entity === undefined ? [] : [sc.entity])).some((e) => e.id === id);
    default:
      return true;
  }
}

/**
 * How requests of one principal type, action and resource type are decided: by the policies that
 * can apply to them (a subset pre-parsed in Cedar), fed only the inputs those policies read, and
 * cached under those inputs. Cedar parses every entity and attribute of every call, and that
 * parsing is most of a decision's cost.
 */
interface Plan {
  /** Cedar's id of the pre-parsed subset; undefined when no policy can apply (deny). */
  readonly setId: string | undefined;
  /** The attributes to pass, by variable; `*` passes them all. */
  readonly principal: readonly string[] | '*';
  readonly resource: readonly string[] | '*';
  readonly context: readonly string[] | '*';
  /** The decision key's inputs in order, or null when the policies read the time (not cached). */
  readonly slots: readonly string[] | null;
  /** Whether the key holds entity ids by their pattern of equality only (no policy names an entity). */
  readonly generic: boolean;
  /**
   * Whether a step-up could turn a deny into an allow: some permit reads the step-up, or these
   * forbids (by id) read it and one of them made the deny. `all`: assume it could (reference mode).
   */
  readonly stepUp: { readonly permits: boolean; readonly forbids: ReadonlySet<string> } | 'all';
}

/** The attributes of `v` that `slots` read: all of them (`*`) or the named ones. */
function attrsRead(slots: ReadonlySet<string>, v: string): readonly string[] | '*' {
  if (slots.has(`${v}.*`)) return '*';
  const out: string[] = [];
  for (const s of slots) if (s.startsWith(`${v}.`)) out.push(s.slice(v.length + 1));
  return out.sort();
}

function pick(attrs: Attrs, names: readonly string[] | '*'): Attrs {
  if (names === '*') return attrs;
  const out: Attrs = {};
  for (const n of names) if (Object.hasOwn(attrs, n)) out[n] = attrs[n] as cedar.CedarValueJson;
  return out;
}

/** Cedar's registry of pre-parsed sets cannot drop one; sets are named by content so each is registered once. */
const registered = new Set<string>();

function preparse(policies: Record<string, string>): string {
  const id = `verity-${toBase64Url(createHash('sha256').update(JSON.stringify(policies)).digest())}`;
  if (registered.has(id)) return id;
  const pre = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (pre.type === 'failure')
    throw new VerityError('VERITY_E_POLICY_INVALID', `the policies could not be prepared: ${details(pre.errors)}`);
  registered.add(id);
  return id;
}

/** One validated policy set and what is derived from it; replaced whole on reload. */
interface Loaded {
  readonly text: string;
  readonly hash: string;
  readonly policies: ReadonlyMap<string, { readonly text: string; readonly reads: PolicyReads }>;
  readonly plans: Map<string, Plan>;
  readonly cache: Map<string, Decision>;
  /** The whole set with every input (reference mode). */
  readonly whole: Plan;
}

/** The hash of a policy set's text as decisions cite it: `sha256:` and the base64url SHA-256. */
export function policySetHash(text: string): string {
  return `sha256:${toBase64Url(createHash('sha256').update(text).digest())}`;
}

/**
 * The policies of a set's text by id: each policy's `@id` annotation, so that decisions cite
 * policies by the names people gave them (`policyN`, by its place, where there is none). Parsed,
 * not validated; throws VERITY_E_POLICY_INVALID for text that does not parse, for templates and
 * for two policies of one id.
 */
export function namedPolicies(text: string): Record<string, string> {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure')
    throw new VerityError('VERITY_E_POLICY_INVALID', `the policies do not parse: ${details(parts.errors)}`);
  if (parts.policy_templates.length > 0)
    throw new VerityError('VERITY_E_POLICY_INVALID', 'policy templates are not supported; write static policies');
  const named: Record<string, string> = {};
  parts.policies.forEach((p, i) => {
    const name = /@id\(\s*"([^"\\]{1,100})"\s*\)/.exec(p)?.[1] ?? `policy${i}`;
    if (Object.hasOwn(named, name))
      throw new VerityError('VERITY_E_POLICY_INVALID', `two policies share the id ${quote(name)}`);
    named[name] = p;
  });
  return named;
}

/**
 * Cedar authorization (`@cedar-policy/cedar-wasm`) over Verity's entity model. Default deny:
 * a request is allowed only when a `permit` applies and no `forbid` does. Policies are validated
 * against the schema in strict mode before use; `reload` swaps the policy set atomically and keeps
 * the last good one when the new one is invalid.
 *
 * Each request is decided by the policies whose heads can match its principal type, action and
 * resource type, given only the inputs those policies read (see `readsOf`), and the decision is
 * cached under exactly those inputs: the answer is Cedar's for the whole set and the whole request,
 * at a fraction of the cost. A property test holds the two to the same decisions.
 */
export class PolicyEngine {
  #loaded: Loaded | undefined;
  readonly #cacheSize: number;
  readonly #reference: boolean;

  private constructor(cacheSize: number, reference: boolean) {
    this.#cacheSize = reference ? 0 : cacheSize;
    this.#reference = reference;
  }

  /**
   * Parses and validates a policy set; throws VERITY_E_POLICY_INVALID saying why it is refused.
   * `cacheSize` bounds the decision cache (0 turns it off). `reference` decides every request with
   * the whole set and every input, uncached: slower, and the yardstick the plans are tested against.
   */
  static load(text: string, options: { cacheSize?: number; reference?: boolean } = {}): PolicyEngine {
    const e = new PolicyEngine(options.cacheSize ?? 10_000, options.reference === true);
    e.reload(text);
    return e;
  }

  /** Replaces the policy set atomically; on error nothing changes and the old set keeps deciding. */
  reload(text: string): void {
    if (typeof text !== 'string' || text.length > 1024 * 1024)
      throw new VerityError('VERITY_E_POLICY_INVALID', 'a policy set must be text of at most 1 MiB');
    const named = namedPolicies(text);
    // The shipped default set is validated by a test (engine.test.ts) instead of at every start:
    // Cedar's validator was the largest part of each CLI command's start. Any other text (an
    // operator's policies, the default with one character changed) is validated here.
    if (text !== DEFAULT_POLICIES) validatePolicySet(named);
    const policies = new Map(Object.entries(named).map(([name, t]) => [name, { text: t, reads: analyse(t) }]));
    // The whole set must prepare now, or it is refused here rather than at a first request.
    const whole: Plan = {
      setId: preparse(named),
      principal: '*',
      resource: '*',
      context: '*',
      slots: null,
      generic: false,
      stepUp: 'all',
    };
    // INVARIANT: one assignment swaps the policies, their plans and their cache together.
    this.#loaded = {
      text,
      hash: policySetHash(text),
      policies,
      plans: new Map(),
      cache: new Map(),
      whole,
    };
  }

  get #current(): Loaded {
    if (this.#loaded === undefined) throw new VerityError('VERITY_E_POLICY_INVALID', 'no policies are loaded');
    return this.#loaded;
  }

  /** Hash of the policy text in force (logged with every decision). */
  get policyHash(): string {
    return this.#current.hash;
  }

  /** The ids of the policies in force (their `@id`, else `policyN`), in the set's order. */
  get policyIds(): string[] {
    return [...this.#current.policies.keys()];
  }

  /** The text of each policy in force, by id (as `namedPolicies` read it). */
  get policyTexts(): Record<string, string> {
    return Object.fromEntries([...this.#current.policies].map(([id, p]) => [id, p.text]));
  }

  /** The policy text in force. */
  get policyText(): string {
    return this.#current.text;
  }

  /** Decides one request. Never throws for a denial; throws only for malformed input. */
  authorize(principal: PrincipalRef, action: Action, resource: ResourceRef, context: AccessContext): Decision {
    if (!ACTIONS.includes(action))
      throw new InputError('VERITY_E_INPUT_INVALID', `action ${quote(action)} is not one of ${ACTIONS.join(', ')}`);
    const risk = context.risk ?? 0;
    if (!Number.isInteger(risk) || risk < 0 || risk > 100)
      throw new InputError('VERITY_E_INPUT_INVALID', 'risk must be an integer from 0 to 100');
    const stepUp = context.stepUp ?? false;
    if (typeof stepUp !== 'boolean') throw new InputError('VERITY_E_INPUT_INVALID', 'stepUp must be true or false');
    if (!Number.isSafeInteger(context.time))
      throw new InputError('VERITY_E_INPUT_INVALID', 'time must be milliseconds since the epoch');
    const loaded = this.#current;
    const req = cedarRequest(principal, resource, {
      purpose: context.purpose,
      consent: context.consent ?? 'unknown',
      time: context.time,
      risk,
      stepUp,
    });
    const plan = this.#reference ? loaded.whole : this.#plan(loaded, req, action);
    const d = this.#decide(loaded, plan, req, action);
    // A deny the policies tie to the step-up: would a fresh strong authentication allow it? Only a
    // permit that reads the step-up, or a forbid that reads it and made this deny, could change
    // the answer; any other deny stands without a second evaluation.
    if (d.allowed || stepUp || (plan.context !== '*' && !plan.context.includes('stepUp'))) return d;
    const su = plan.stepUp;
    if (su !== 'all' && !su.permits && !d.reasons.some((r) => su.forbids.has(r))) return d;
    const again = this.#decide(loaded, plan, { ...req, context: { ...req.context, stepUp: true } }, action);
    return again.allowed ? { ...d, stepUpRequired: true } : d;
  }

  #decide(loaded: Loaded, plan: Plan, req: CedarRequest, action: Action): Decision {
    const key =
      this.#cacheSize > 0 && plan.slots !== null ? decisionKey(plan.slots, req, action, plan.generic) : undefined;
    if (key !== undefined) {
      const hit = loaded.cache.get(key);
      if (hit !== undefined) return hit;
    }
    const d = decide(loaded.hash, plan, req, action);
    if (key !== undefined && d.errors.length === 0) {
      if (loaded.cache.size >= this.#cacheSize) loaded.cache.clear();
      loaded.cache.set(key, d);
    }
    return d;
  }

  #plan(loaded: Loaded, req: CedarRequest, action: Action): Plan {
    const head = `${req.p.type} ${action} ${req.r.type}`;
    const known = loaded.plans.get(head);
    if (known !== undefined) return known;
    const subset: Record<string, string> = {};
    const slots = new Set<string>();
    let stepUpPermits = false;
    let generic = true;
    const stepUpForbids = new Set<string>();
    for (const [name, { text, reads }] of loaded.policies) {
      if (
        scopeMayMatch(reads.principal, req.p.type) &&
        scopeMayMatch(reads.action, 'Verity::Action', action) &&
        scopeMayMatch(reads.resource, req.r.type)
      ) {
        subset[name] = text;
        for (const x of reads.slots) slots.add(x);
        if (reads.namesEntities) generic = false;
        if (readsStepUp(reads)) {
          if (reads.effect === 'permit') stepUpPermits = true;
          else stepUpForbids.add(name);
        }
      }
    }
    const plan: Plan = {
      setId: Object.keys(subset).length === 0 ? undefined : preparse(subset),
      principal: attrsRead(slots, 'principal'),
      resource: attrsRead(slots, 'resource'),
      context: attrsRead(slots, 'context'),
      slots: slots.has('context.time') || slots.has('context.*') ? null : [...slots].sort(),
      generic,
      stepUp: { permits: stepUpPermits, forbids: stepUpForbids },
    };
    loaded.plans.set(head, plan);
    return plan;
  }
}

/**
 * The decision key: the head, then the value of every input the plan's policies read. `generic`
 * (no policy of the plan names an entity): entity ids are replaced by the order in which each
 * first appears, so the key keeps which entities are the same one and nothing else; a player
 * reading their own record is then one key for every player, not one per player.
 */
function decisionKey(slots: readonly string[], req: CedarRequest, action: Action, generic: boolean): string {
  const parts: unknown[] = [req.p.type, action, req.r.type];
  // The entities seen so far, by type and id; an entity's alias is its place here. A list, not a
  // map: a request names a handful of entities, and this runs for every decision.
  const seen: string[] | undefined = generic ? [] : undefined;
  for (const slot of slots) {
    if (slot.startsWith('action')) continue; // the action is in the head
    if (slot.endsWith('#uid')) {
      const e = slot.startsWith('principal') ? req.p : req.r;
      parts.push(seen === undefined ? e.id : aliasOf(seen, e.type, e.id));
      continue;
    }
    const dot = slot.indexOf('.');
    const v = slot.slice(0, dot);
    const attr = slot.slice(dot + 1);
    const attrs = v === 'principal' ? req.pAttrs : v === 'resource' ? req.rAttrs : req.context;
    const value = attr === '*' ? attrs : Object.hasOwn(attrs, attr) ? attrs[attr] : ABSENT;
    parts.push(seen === undefined ? value : aliased(value, seen));
  }
  return JSON.stringify(parts);
}

/** The alias of an entity: the order in which it first appeared in this key. */
function aliasOf(seen: string[], type: string, id: string): number {
  const k = `${type}\u0000${id}`;
  const n = seen.indexOf(k);
  if (n >= 0) return n;
  seen.push(k);
  return seen.length - 1;
}

/**
 * `value` with every entity reference's id replaced by its alias (records and sets walked in order).
 * Copied only where something changes: most inputs (strings, sets of strings) hold no entity, and
 * this runs for every decision, cached or not.
 */
function aliased(value: unknown, seen: string[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const a = aliased(v, seen);
      if (out === undefined && a !== v) out = value.slice(0, i);
      out?.push(a);
    }
    return out ?? value;
  }
  const ref = (value as { __entity?: { type?: unknown; id?: unknown } }).__entity;
  if (ref !== undefined && typeof ref.type === 'string' && typeof ref.id === 'string')
    return { __entity: { type: ref.type, id: aliasOf(seen, ref.type, ref.id) } };
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in record) {
    const v = record[k];
    const a = aliased(v, seen);
    if (out === undefined && a !== v) {
      out = {};
      for (const k2 in record) {
        if (k2 === k) break;
        out[k2] = record[k2];
      }
    }
    if (out !== undefined) out[k] = a;
  }
  return out ?? value;
}

function decide(hash: string, plan: Plan, req: CedarRequest, action: Action): Decision {
  // No policy can apply: Cedar's answer would be a deny with no reasons.
  if (plan.setId === undefined)
    return { allowed: false, policyHash: hash, reasons: [], errors: [], stepUpRequired: false };
  const entities: cedar.EntityJson[] = [];
  const pAttrs = pick(req.pAttrs, plan.principal);
  if (Object.keys(pAttrs).length > 0) entities.push({ uid: req.p, attrs: pAttrs, parents: [] });
  const rAttrs = pick(req.rAttrs, plan.resource);
  if (Object.keys(rAttrs).length > 0) entities.push({ uid: req.r, attrs: rAttrs, parents: [] });
  const answer = cedar.statefulIsAuthorized({
    principal: req.p,
    action: { type: 'Verity::Action', id: action },
    resource: req.r,
    context: pick(req.context, plan.context),
    preparsedPolicySetId: plan.setId,
    entities,
  });
  if (answer.type === 'failure') {
    // A request Cedar cannot evaluate is denied (default deny), with the reason kept.
    return {
      allowed: false,
      policyHash: hash,
      reasons: [],
      errors: answer.errors.map((e) => e.message.slice(0, 200)),
      stepUpRequired: false,
    };
  }
  return {
    allowed: answer.response.decision === 'allow',
    policyHash: hash,
    reasons: answer.response.diagnostics.reason,
    errors: answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`.slice(0, 200)),
    stepUpRequired: false,
  };
}
