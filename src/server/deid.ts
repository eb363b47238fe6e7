import type { FastifyInstance } from 'fastify';
import type { ResourceRef } from '../access/index.ts';
import type { Deid } from '../deid/index.ts';
import { fromHex } from '../encoding/index.ts';
import { VaultError } from '../errors/index.ts';
import type { Gate, Principal } from './gate.ts';

const TOKEN = '[a-z][a-z0-9._:-]{0,63}';
const purpose = { type: 'string', pattern: `^${TOKEN}$` } as const;
const domain = { type: 'string', pattern: '^[a-z][a-z0-9._-]{0,39}$' } as const;
const recordId = { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' } as const;

function body(required: string[], properties: Record<string, unknown>) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

const fpeBody = body(['key', 'purpose', 'radix', 'values'], {
  key: domain,
  purpose,
  radix: { type: 'integer', minimum: 2, maximum: 65536 },
  alphabet: { type: 'string', minLength: 2, maxLength: 65536 },
  tweak: { type: 'string', pattern: '^([0-9a-fA-F]{2}){0,256}$' },
  values: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 4096 } },
});

function deidResource(domainKind: string, id: string): ResourceRef {
  return { kind: 'deid', id, domainKind };
}

/**
 * The de-identification endpoints (FGMV-46 7.1.3) under `/v1/deid/`: each is authorized by Cedar as
 * `deidentify` or `reidentify` on a de-identification domain for the stated purpose, and audited.
 */
export function registerDeidRoutes(app: FastifyInstance, deid: Deid, gate: Gate): void {
  const { authenticate, decided } = gate;
  const who = (p: Principal, why: string, policy: string) => ({ actor: p.actor, purpose: why, policy });

  app.post(
    '/v1/deid/pseudonyms',
    {
      schema: {
        body: body(['domain', 'purpose', 'values'], {
          domain,
          purpose,
          values: { type: 'array', maxItems: 100_000, items: { type: 'string', maxLength: 4096 } },
        }),
      },
      preHandler: authenticate,
      bodyLimit: 16 * 1024 * 1024,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { domain: string; purpose: string; values: string[] };
      const r = await decided(
        p,
        'deidentify',
        deidResource('pseudonym', b.domain),
        `pseudonym:${b.domain}`,
        b.purpose,
        (policy) => deid.pseudonyms.pseudonymize(b.domain, b.values, who(p, b.purpose, policy)),
      );
      return { version: r.version, pseudonyms: r.pseudonyms, logIndex: r.logIndex };
    },
  );

  app.post(
    '/v1/deid/pseudonyms/rotate',
    { schema: { body: body(['domain', 'purpose'], { domain, purpose }) }, preHandler: authenticate },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { domain: string; purpose: string };
      return decided(
        p,
        'administer',
        deidResource('pseudonym', b.domain),
        `pseudonym:${b.domain}`,
        b.purpose,
        (policy) => deid.pseudonyms.rotate(b.domain, who(p, b.purpose, policy)),
      );
    },
  );

  app.post(
    '/v1/deid/tokens',
    {
      schema: {
        body: body(['subject', 'domain', 'purpose', 'value'], {
          subject: { type: 'string', minLength: 1, maxLength: 256 },
          domain,
          purpose,
          value: { type: 'string', minLength: 1, maxLength: 4096 },
        }),
      },
      preHandler: authenticate,
    },
    async (req, reply) => {
      const p = req.principal as Principal;
      const b = req.body as { subject: string; domain: string; purpose: string; value: string };
      const r = await decided(
        p,
        'deidentify',
        deidResource('token', b.domain),
        `token:${b.domain}`,
        b.purpose,
        (policy) => deid.tokenize(b.subject, b.value, b.domain, who(p, b.purpose, policy)),
      );
      return reply.code(201).send(r);
    },
  );

  app.post(
    '/v1/deid/tokens/detokenize',
    { schema: { body: body(['token', 'purpose'], { token: recordId, purpose }) }, preHandler: authenticate },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { token: string; purpose: string };
      // An unknown token is decided like any other: callers learn nothing from a 404 they may not see.
      const d = await deid.tokenDomain(b.token);
      return decided(
        p,
        'reidentify',
        deidResource('token', d ?? 'absent'),
        `token:${d ?? 'absent'}`,
        b.purpose,
        (policy) => {
          if (d === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such token');
          return deid.detokenize(b.token, who(p, b.purpose, policy));
        },
      );
    },
  );

  for (const direction of ['encrypt', 'decrypt'] as const) {
    app.post(`/v1/deid/fpe/${direction}`, { schema: { body: fpeBody }, preHandler: authenticate }, async (req) => {
      const p = req.principal as Principal;
      const b = req.body as {
        key: string;
        purpose: string;
        radix: number;
        alphabet?: string;
        tweak?: string;
        values: string[];
      };
      const o = {
        radix: b.radix,
        ...(b.alphabet === undefined ? {} : { alphabet: b.alphabet }),
        ...(b.tweak === undefined ? {} : { tweak: fromHex(b.tweak, 'tweak') }),
      };
      const action = direction === 'encrypt' ? 'deidentify' : 'reidentify';
      return decided(p, action, deidResource('fpe', b.key), `fpe:${b.key}`, b.purpose, (policy) =>
        direction === 'encrypt'
          ? deid.fpeEncrypt(b.key, b.values, o, who(p, b.purpose, policy))
          : deid.fpeDecrypt(b.key, b.values, o, who(p, b.purpose, policy)),
      );
    });
  }
}
