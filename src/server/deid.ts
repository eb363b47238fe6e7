import type { FastifyInstance } from 'fastify';
import type { ResourceRef } from '../access/index.ts';
import { anonymize, type Hierarchy, parseHierarchy } from '../anonymize/index.ts';
import type { Deid, DpQuery, Pseudonymizer } from '../deid/index.ts';
import { fromHex } from '../encoding/index.ts';
import { VaultError } from '../errors/index.ts';
import { mask, PII_TYPES, type PiiType, pseudonymizePii, redact, scan } from '../pii/index.ts';
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

  // PII detection and redaction of caller-supplied texts (nothing is stored; one audit entry per call).
  app.post(
    '/v1/deid/pii/scan',
    {
      schema: {
        body: body(['purpose', 'texts'], {
          purpose,
          texts: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 65_536 } },
          operator: { enum: ['none', 'redact', 'mask', 'hash', 'pseudonymize'] },
          domain,
          types: { type: 'array', maxItems: PII_TYPES.length, items: { enum: [...PII_TYPES] } },
          minScore: { type: 'number', minimum: 0, maximum: 1 },
        }),
      },
      preHandler: authenticate,
      bodyLimit: 16 * 1024 * 1024,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as {
        purpose: string;
        texts: string[];
        operator?: 'none' | 'redact' | 'mask' | 'hash' | 'pseudonymize';
        domain?: string;
        types?: PiiType[];
        minScore?: number;
      };
      return decided(p, 'deidentify', deidResource('pii', 'scan'), 'pii:scan', b.purpose, async (policy) => {
        const op = b.operator ?? 'none';
        // hash: a keyed digest under the domain's KeyStore key (default "pii"), equal values stay
        // equal; pseudonymize: the domain's pseudonym of each value, linkable with the same domain
        // elsewhere (say, analytics).
        const keyed =
          op === 'hash' || op === 'pseudonymize' ? await deid.pseudonyms.pseudonymizer(b.domain ?? 'pii') : undefined;
        const results = b.texts.map((text) => {
          const found = scan(text, {
            ...(b.types === undefined ? {} : { types: b.types }),
            ...(b.minScore === undefined ? {} : { minScore: b.minScore }),
          });
          const entities = found.map((f) => ({ type: f.type, start: f.start, end: f.end, score: f.score }));
          if (op === 'none') return { entities };
          const out =
            op === 'mask'
              ? mask(text, found)
              : op === 'redact'
                ? redact(text, found)
                : pseudonymizePii(text, found, (type, value) =>
                    op === 'hash'
                      ? `<${type}:${(keyed as Pseudonymizer).mac(`${type}\n${value}`).toString('base64url', 0, 12)}>`
                      : `<${type}:${(keyed as Pseudonymizer).pseudonym(value)}>`,
                  );
          return { entities, text: out.text };
        });
        const count = results.reduce((n, r) => n + r.entities.length, 0);
        const logIndex = await deid.audit(
          'deid.pii',
          'pii:scan',
          { texts: b.texts.length, entities: count },
          who(p, b.purpose, policy),
        );
        return { results, logIndex };
      });
    },
  );

  // k-anonymity with l-diversity of a caller-supplied table (nothing is stored; audited by size).
  app.post(
    '/v1/deid/anonymize',
    {
      schema: {
        body: body(['purpose', 'columns', 'rows', 'quasiIdentifiers', 'hierarchies', 'k'], {
          purpose,
          columns: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', maxLength: 256 } },
          rows: {
            type: 'array',
            maxItems: 1_000_000,
            items: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 1024 } },
          },
          quasiIdentifiers: { type: 'array', minItems: 1, maxItems: 32, items: { type: 'string' } },
          sensitive: { type: 'string' },
          hierarchies: {
            type: 'object',
            maxProperties: 32,
            additionalProperties: {
              type: 'array',
              maxItems: 100_000,
              items: { type: 'array', minItems: 2, maxItems: 32, items: { type: 'string', maxLength: 256 } },
            },
          },
          k: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          l: { type: 'integer', minimum: 1, maximum: 1000 },
          maxSuppression: { type: 'number', minimum: 0, maximum: 1 },
        }),
      },
      preHandler: authenticate,
      bodyLimit: 64 * 1024 * 1024,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as {
        purpose: string;
        columns: string[];
        rows: string[][];
        quasiIdentifiers: string[];
        sensitive?: string;
        hierarchies: Record<string, string[][]>;
        k: number;
        l?: number;
        maxSuppression?: number;
      };
      return decided(
        p,
        'deidentify',
        deidResource('anonymize', 'table'),
        'anonymize:table',
        b.purpose,
        async (policy) => {
          const hierarchies: Record<string, Hierarchy> = {};
          for (const [name, lines] of Object.entries(b.hierarchies))
            hierarchies[name] = parseHierarchy(lines.map((cells) => cells.join('\u0001')).join('\n'), '\u0001');
          const r = anonymize(
            { columns: b.columns, rows: b.rows },
            {
              quasiIdentifiers: b.quasiIdentifiers,
              hierarchies,
              k: b.k,
              ...(b.sensitive === undefined ? {} : { sensitive: b.sensitive }),
              ...(b.l === undefined ? {} : { l: b.l }),
              ...(b.maxSuppression === undefined ? {} : { maxSuppression: b.maxSuppression }),
            },
          );
          const logIndex = await deid.audit(
            'deid.anonymize',
            'anonymize:table',
            { rows: b.rows.length, k: r.report.k, l: r.report.l, suppressed: r.report.suppressed },
            who(p, b.purpose, policy),
          );
          return { columns: b.columns, rows: r.rows, report: r.report, logIndex };
        },
      );
    },
  );

  // Differentially private aggregates over datasets sealed in the vault.
  app.post(
    '/v1/deid/datasets',
    {
      schema: {
        body: body(['name', 'purpose', 'values', 'epsilon', 'delta'], {
          name: domain,
          purpose,
          values: { type: 'array', minItems: 1, maxItems: 20_000, items: { type: 'number' } },
          epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
          delta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
        }),
      },
      preHandler: authenticate,
    },
    async (req, reply) => {
      const p = req.principal as Principal;
      const b = req.body as { name: string; purpose: string; values: number[]; epsilon: number; delta: number };
      const r = await decided(
        p,
        'deidentify',
        deidResource('dataset', b.name),
        `dataset:${b.name}`,
        b.purpose,
        (policy) =>
          deid.datasets.create(b.name, b.values, { epsilon: b.epsilon, delta: b.delta }, who(p, b.purpose, policy)),
      );
      return reply.code(201).send(r);
    },
  );

  app.post(
    '/v1/deid/datasets/query',
    {
      schema: {
        body: body(['name', 'purpose', 'query', 'epsilon'], {
          name: domain,
          purpose,
          query: { enum: ['count', 'sum', 'mean', 'histogram', 'quantile'] },
          epsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
          delta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
          mechanism: { enum: ['laplace', 'gaussian'] },
          lower: { type: 'number' },
          upper: { type: 'number' },
          edges: { type: 'array', minItems: 2, maxItems: 10_001, items: { type: 'number' } },
          q: { type: 'number', minimum: 0, maximum: 1 },
          candidates: { type: 'integer', minimum: 2, maximum: 65_536 },
        }),
      },
      preHandler: authenticate,
    },
    async (req) => {
      const p = req.principal as Principal;
      const { name, purpose: why, ...q } = req.body as { name: string; purpose: string } & DpQuery;
      return decided(p, 'deidentify', deidResource('dataset', name), `dataset:${name}`, why, (policy) =>
        deid.datasets.query(name, q as DpQuery, who(p, why, policy)),
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
