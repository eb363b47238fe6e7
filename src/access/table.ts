import { InputError } from '../errors/index.ts';
import { newAjv, type ValidateFunction } from '../jsonschema/index.ts';
import type { AccessContext, PolicyEngine } from './engine.ts';
import type { PrincipalRef, ResourceRef } from './entities.ts';
import { ACTIONS, type Action } from './schema.ts';

/** One row of a policy test table (`verity policy test FILE`). */
export interface PolicyCase {
  readonly name?: string;
  readonly principal: PrincipalRef;
  readonly action: Action;
  readonly resource: ResourceRef;
  readonly context: Omit<AccessContext, 'time'> & { time?: number };
  /** `step-up`: denied, and a fresh strong authentication (`stepUp: true`) would allow it. */
  readonly expect: 'allow' | 'deny' | 'step-up';
}

export interface PolicyCaseResult {
  readonly name: string;
  readonly expected: 'allow' | 'deny' | 'step-up';
  readonly actual: 'allow' | 'deny' | 'step-up';
  readonly pass: boolean;
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
}

const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const ids = { type: 'array', maxItems: 1000, items: id } as const;
const player = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id, minor: { type: 'boolean' }, guardians: ids },
} as const;

export const TABLE_SCHEMA = {
  type: 'array',
  maxItems: 100_000,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['principal', 'action', 'resource', 'context', 'expect'],
    properties: {
      name: { type: 'string', maxLength: 200 },
      principal: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id'],
            properties: { kind: { const: 'player' }, id, recordTypes: ids },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id', 'recordTypes'],
            properties: { kind: { const: 'service' }, id, recordTypes: ids, capabilities: ids },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id'],
            properties: { kind: { enum: ['operator', 'auditor'] }, id, capabilities: ids },
          },
        ],
      },
      action: { enum: [...ACTIONS] },
      resource: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id', 'owner', 'type', 'category', 'sensitivity'],
            properties: { kind: { const: 'record' }, id, owner: player, type: id, category: id, sensitivity: id },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'owner'],
            properties: { kind: { const: 'subject' }, owner: player },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id', 'owner', 'openedBy'],
            properties: { kind: { const: 'session' }, id, owner: player, openedBy: id },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id'],
            properties: { kind: { const: 'recordType' }, id },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id'],
            properties: { kind: { const: 'issuer' }, id },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'id', 'domainKind'],
            properties: {
              kind: { const: 'deid' },
              id,
              domainKind: { enum: ['pseudonym', 'token', 'fpe', 'dataset', 'pii', 'anonymize'] },
            },
          },
          { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { const: 'log' } } },
        ],
      },
      context: {
        type: 'object',
        additionalProperties: false,
        required: ['purpose'],
        properties: {
          purpose: { type: 'string', maxLength: 64 },
          consent: { enum: ['granted', 'denied', 'unknown'] },
          time: { type: 'integer' },
          risk: { type: 'integer', minimum: 0, maximum: 100 },
          stepUp: { type: 'boolean' },
        },
      },
      expect: { enum: ['allow', 'deny', 'step-up'] },
    },
  },
} as const;

let compiled: ValidateFunction | undefined;

/** The table's validator, compiled at first use (the schema is checked by a test, as in privacy). */
function tableValidator(): ValidateFunction {
  compiled ??= newAjv({ strict: true, allErrors: false, validateSchema: false }).compile(TABLE_SCHEMA);
  return compiled;
}

/**
 * Runs a table of expected decisions against a policy set. `rows` is untrusted JSON: it is
 * checked against a schema first (VERITY_E_INPUT_INVALID says where it is wrong).
 */
export function runPolicyTable(engine: PolicyEngine, rows: unknown, now = Date.now()): PolicyCaseResult[] {
  const validateTable = tableValidator();
  if (!validateTable(rows)) {
    const e = validateTable.errors?.[0];
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `the policy test table is invalid at \`${e?.instancePath || '/'}\`: ${e?.message ?? 'invalid'}`,
    );
  }
  return (rows as PolicyCase[]).map((c, i) => {
    const d = engine.authorize(c.principal, c.action, c.resource, { ...c.context, time: c.context.time ?? now });
    const actual = d.allowed ? 'allow' : d.stepUpRequired ? 'step-up' : 'deny';
    return {
      name: c.name ?? `case ${i}`,
      expected: c.expect,
      actual,
      pass: actual === c.expect,
      reasons: d.reasons,
      errors: d.errors,
    };
  });
}
