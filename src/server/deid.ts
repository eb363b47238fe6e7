import type { Static, TSchema } from 'typebox';
import type { ResourceRef } from '../access/index.ts';
import { anonymize, type Hierarchy, parseHierarchy } from '../anonymize/index.ts';
import { type Deid, type Pseudonymizer, piiScanDomain } from '../deid/index.ts';
import { fromHex } from '../encoding/index.ts';
import { quote, VaultError, VerityError } from '../errors/index.ts';
import { mask, PII_TYPES, pseudonymizePii, redact, scan } from '../pii/index.ts';
import type { Gate, Principal } from './gate.ts';
import { type App, body, bodyErrors, Domain, nat, Purpose, RecordId, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

const str = Type.String();
const num = Type.Number();

const fpeBody = body({
  key: Domain,
  purpose: Purpose,
  radix: Type.Integer({ minimum: 2, maximum: 65536 }),
  alphabet: Type.Optional(Type.String({ minLength: 2, maxLength: 65536 })),
  tweak: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{2}){0,256}$', description: 'hex' })),
  values: Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 10_000 }),
});
const fpeAnswer = Type.Object({ values: Type.Array(str), logIndex: nat });

// A differentially private query: one body per kind of query, each requiring what that query needs.
const epsilon = Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 });
const dpFields = {
  name: Domain,
  purpose: Purpose,
  epsilon,
  delta: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
  mechanism: Type.Optional(Type.Enum(['laplace', 'gaussian'])),
  lower: Type.Optional(num),
  upper: Type.Optional(num),
  edges: Type.Optional(Type.Array(num, { minItems: 2, maxItems: 10_001 })),
  q: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  candidates: Type.Optional(Type.Integer({ minimum: 2, maximum: 65_536 })),
};
const dpCount = body({ ...dpFields, query: Type.Literal('count') });
const dpBounded = body({ ...dpFields, query: Type.Enum(['sum', 'mean']), lower: num, upper: num });
const dpHistogram = body({
  ...dpFields,
  query: Type.Literal('histogram'),
  edges: Type.Array(num, { minItems: 2, maxItems: 10_001 }),
});
const dpQuantile = body({
  ...dpFields,
  query: Type.Literal('quantile'),
  lower: num,
  upper: num,
  q: Type.Number({ minimum: 0, maximum: 1 }),
});
type DpBody =
  | Static<typeof dpCount>
  | Static<typeof dpBounded>
  | Static<typeof dpHistogram>
  | Static<typeof dpQuantile>;
// oneOf with a discriminator (OpenAPI's, and Ajv's for errors that name what the query misses).
const dpQuery = Type.Unsafe<DpBody>({
  type: 'object',
  discriminator: { propertyName: 'query' },
  oneOf: [dpCount, dpBounded, dpHistogram, dpQuantile],
});

function deidResource(domainKind: string, id: string): ResourceRef {
  return { kind: 'deid', id, domainKind };
}

/**
 * The de-identification endpoints (FGMV-46 7.1.3) under `/v1/deid/`: each is authorized by Cedar as
 * `deidentify` or `reidentify` on a de-identification domain for the stated purpose, and audited.
 */
export function registerDeidRoutes(app: App, deid: Deid, gate: Gate): void {
  const { authenticate, principalOf, decided, logOutcome, refuseWithout } = gate;
  const who = (p: Principal, why: string, policy: string) => ({ actor: p.actor, purpose: why, policy });
  /** A POST of the de-identification API: bearer token, Cedar-authorized, JSON in and out. */
  const op = <B extends TSchema, R extends { 200: TSchema } | { 201: TSchema }>(
    summary: string,
    request: B,
    answer: R,
    bodyLimit?: number,
  ) => ({
    schema: { summary, security: [{ bearer: [] }], body: request, response: { ...answer, ...bodyErrors } },
    onRequest: authenticate,
    ...(bodyLimit === undefined ? {} : { bodyLimit }),
  });

  app.post(
    '/v1/deid/pseudonyms',
    op(
      "Keyed pseudonyms (HMAC-SHA-256) of values in a domain, under the domain's current KeyStore key (authorized as deidentify)",
      body({
        domain: Domain,
        purpose: Purpose,
        values: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 100_000 }),
      }),
      { 200: Type.Object({ version: nat, pseudonyms: Type.Array(str), logIndex: nat }) },
      16 * 1024 * 1024,
    ),
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const r = await decided(
        p,
        'deidentify',
        deidResource('pseudonym', b.domain),
        `pseudonym:${b.domain}`,
        b.purpose,
        async (policy) => {
          // A domain is its maker's: another service's pseudonyms under it would match (D418).
          if (p.role === 'service') await deid.domains.use('pseudonym', b.domain, who(p, b.purpose, policy));
          return deid.pseudonyms.pseudonymize(b.domain, b.values, who(p, b.purpose, policy));
        },
      );
      return { version: r.version, pseudonyms: r.pseudonyms, logIndex: r.logIndex };
    },
  );

  app.post(
    '/v1/deid/pseudonyms/rotate',
    op(
      'Start a new key version for a pseudonym domain (authorized as administer)',
      body({ domain: Domain, purpose: Purpose }),
      { 200: Type.Object({ version: nat, logIndex: nat }) },
    ),
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      // A new key version unlinks every service's pseudonyms of the domain: an operator rotates it
      // only with a token granted key.rotate, as the key-encryption key (D415).
      if (p.role === 'operator' && !p.capabilities.includes('key.rotate'))
        await refuseWithout(p, 'key.rotate', `pseudonym:${b.domain}`, b.purpose);
      return decided(
        p,
        'administer',
        deidResource('pseudonym', b.domain),
        `pseudonym:${b.domain}`,
        b.purpose,
        async (policy) => {
          if (p.role === 'service') await deid.domains.use('pseudonym', b.domain, who(p, b.purpose, policy));
          return deid.pseudonyms.rotate(b.domain, who(p, b.purpose, policy));
        },
      );
    },
  );

  app.post(
    '/v1/deid/tokens',
    op(
      "Replace a subject's value by a random token; the value is sealed in the vault (authorized as deidentify)",
      body({
        subject: Subject,
        domain: Domain,
        purpose: Purpose,
        value: Type.String({ minLength: 1, maxLength: 4096 }),
      }),
      { 201: Type.Object({ token: str, logIndex: nat }) },
    ),
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const r = await decided(
        p,
        'deidentify',
        deidResource('token', b.domain),
        `token:${b.domain}`,
        b.purpose,
        async (policy) => {
          if (p.role === 'service') {
            // A vault token is a record of the player's: only a service that keeps players'
            // records makes them (D418).
            if (p.recordTypes.length === 0)
              throw new VerityError(
                'VERITY_E_ACCESS_DENIED',
                `the token of ${p.actor} owns no record types, and a vault token is a record of the player's: create the token with \`--record-types\``,
              );
            await deid.domains.use('token', b.domain, who(p, b.purpose, policy));
          }
          return deid.tokenize(b.subject, b.value, b.domain, who(p, b.purpose, policy));
        },
      );
      return reply.code(201).send(r);
    },
  );

  app.post(
    '/v1/deid/tokens/detokenize',
    op(
      'The value behind a token: an audited vault read (authorized as reidentify)',
      body({ token: RecordId, purpose: Purpose }),
      { 200: Type.Object({ value: str, domain: str, logIndex: nat }) },
    ),
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      // An unknown token is decided like any other: callers learn nothing from a 404 they may not see.
      const d = await deid.tokenDomain(b.token);
      return decided(
        p,
        'reidentify',
        deidResource('token', d ?? 'absent'),
        `token:${d ?? 'absent'}`,
        b.purpose,
        async (policy) => {
          if (d === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such token');
          return deid.detokenize(b.token, who(p, b.purpose, policy));
        },
      );
    },
  );

  // PII detection and redaction of caller-supplied texts (nothing is stored; one audit entry per call).
  const entity = Type.Object({ type: str, start: nat, end: nat, score: Type.Number({ minimum: 0, maximum: 1 }) });
  app.post(
    '/v1/deid/pii/scan',
    op(
      'Find personal data in texts (type, UTF-16 span, score per entity), optionally redacted or masked (authorized as deidentify; nothing stored)',
      body({
        purpose: Purpose,
        texts: Type.Array(Type.String({ maxLength: 65_536 }), { minItems: 1, maxItems: 10_000 }),
        operator: Type.Optional(Type.Enum(['none', 'redact', 'mask', 'hash', 'pseudonymize'])),
        domain: Type.Optional(Domain),
        types: Type.Optional(Type.Array(Type.Enum([...PII_TYPES]), { maxItems: PII_TYPES.length })),
        minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      }),
      {
        200: Type.Object({
          results: Type.Array(Type.Object({ text: Type.Optional(str), entities: Type.Array(entity) })),
          logIndex: nat,
        }),
      },
      16 * 1024 * 1024,
    ),
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      return decided(p, 'deidentify', deidResource('pii', 'scan'), 'pii:scan', b.purpose, async (policy) => {
        const op = b.operator ?? 'none';
        // hash: a keyed digest under the domain's KeyStore key (default "pii"), equal values stay
        // equal; pseudonymize: the domain's pseudonym of each value, linkable with the same domain
        // elsewhere (say, analytics).
        // A domain named is its maker's (D418); a service's default is its own (D429), which no
        // other service can name, so none reproduces another's digests by scanning guesses.
        const keyed =
          op === 'hash' || op === 'pseudonymize'
            ? (b.domain ?? (p.role === 'service' ? piiScanDomain(p.name) : 'pii'))
            : undefined;
        if (keyed !== undefined && b.domain !== undefined && p.role === 'service')
          await deid.domains.use('pseudonym', b.domain, who(p, b.purpose, policy));
        const pseudonymizer = keyed === undefined ? undefined : await deid.pseudonyms.pseudonymizer(keyed);
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
                      ? `<${type}:${(pseudonymizer as Pseudonymizer).mac(`${type}\n${value}`).toString('base64url', 0, 12)}>`
                      : `<${type}:${(pseudonymizer as Pseudonymizer).pseudonym(value)}>`,
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
  const cells = (max: number) => Type.Array(Type.String({ maxLength: max }), { maxItems: 256 });
  const ratio = Type.Number({ minimum: 0, maximum: 1 });
  app.post(
    '/v1/deid/anonymize',
    op(
      'k-anonymity with l-diversity of a table by generalization hierarchies, with re-identification risk and information loss (authorized as deidentify; nothing stored)',
      body({
        purpose: Purpose,
        columns: Type.Array(Type.String({ maxLength: 256 }), { minItems: 1, maxItems: 256 }),
        rows: Type.Array(cells(1024), { maxItems: 1_000_000 }),
        quasiIdentifiers: Type.Array(str, { minItems: 1, maxItems: 32 }),
        sensitive: Type.Optional(str),
        hierarchies: Type.Record(
          Type.String(),
          Type.Array(Type.Array(Type.String({ maxLength: 256 }), { minItems: 2, maxItems: 32 }), { maxItems: 100_000 }),
          {
            maxProperties: 32,
            description: 'per quasi-identifier: one list per value, the value then its generalizations up to "*"',
          },
        ),
        k: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        l: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        maxSuppression: Type.Optional(ratio),
      }),
      {
        200: Type.Object({
          columns: Type.Array(str),
          rows: Type.Array(Type.Array(str)),
          report: Type.Object({
            k: nat,
            l: nat,
            classes: nat,
            suppressed: nat,
            prosecutor: Type.Object({ highest: num, average: num, recordsAtRisk: num }),
            journalist: Type.Object({ highest: num, average: num }),
            marketer: num,
            generalizationIntensity: num,
            discernibility: num,
          }),
          logIndex: nat,
        }),
      },
      64 * 1024 * 1024,
    ),
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
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
    op(
      'Register a numeric dataset, sealed in the vault, with a total privacy budget (authorized as deidentify)',
      body({
        name: Domain,
        purpose: Purpose,
        values: Type.Array(num, { minItems: 1, maxItems: 20_000 }),
        epsilon,
        delta: Type.Number({ minimum: 0, exclusiveMaximum: 1 }),
      }),
      { 201: Type.Object({ name: str, logIndex: nat }) },
    ),
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
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
    op(
      "A differentially private count, sum, mean, histogram or quantile, charged to the dataset's budget (403 VERITY_E_PRIVACY_BUDGET past it)",
      dpQuery,
      {
        200: Type.Object({
          value: Type.Union([num, Type.Array(num)]),
          epsilon: num,
          delta: num,
          mechanism: Type.Enum(['laplace', 'gaussian', 'exponential']),
          granularity: Type.Optional(num),
          remainingEpsilon: num,
          remainingDelta: num,
        }),
      },
    ),
    async (req) => {
      const p = principalOf(req);
      const { name, purpose: why, ...q } = req.body;
      // A dataset's budget is its maker's: another caller would spend it, and with it the maker's
      // answers (D415). Made before owners were kept: anyone the policies allow, as before.
      const owner = await deid.datasets.owner(name).catch(() => undefined);
      if (owner !== undefined && owner !== p.actor) {
        await logOutcome(p, `dataset:${name}`, why, 'denied', { action: 'deidentify', decision: 'deny' });
        throw new VerityError(
          'VERITY_E_ACCESS_DENIED',
          `dataset ${quote(name)} was made by another principal: only its maker queries it, and spends its budget`,
        );
      }
      return decided(p, 'deidentify', deidResource('dataset', name), `dataset:${name}`, why, (policy) =>
        deid.datasets.query(name, q, who(p, why, policy)),
      );
    },
  );

  for (const direction of ['encrypt', 'decrypt'] as const) {
    app.post(
      `/v1/deid/fpe/${direction}`,
      op(
        direction === 'encrypt'
          ? 'FF1 format-preserving encryption (NIST SP 800-38G) under a named KeyStore key (authorized as deidentify)'
          : 'FF1 decryption (authorized as reidentify; audited)',
        fpeBody,
        { 200: fpeAnswer },
      ),
      async (req) => {
        const p = principalOf(req);
        const b = req.body;
        const o = {
          radix: b.radix,
          ...(b.alphabet === undefined ? {} : { alphabet: b.alphabet }),
          ...(b.tweak === undefined ? {} : { tweak: fromHex(b.tweak, 'tweak') }),
        };
        const action = direction === 'encrypt' ? 'deidentify' : 'reidentify';
        return decided(p, action, deidResource('fpe', b.key), `fpe:${b.key}`, b.purpose, async (policy) => {
          // An FF1 key is its maker's to encrypt under (D418): another service's ciphertexts of
          // guessed values would match the maker's. Decrypting is re-identification, decided by
          // `deid.reidentify` and its purposes, whoever made the key.
          if (p.role === 'service' && direction === 'encrypt')
            await deid.domains.use('fpe', b.key, who(p, b.purpose, policy));
          return direction === 'encrypt'
            ? deid.fpeEncrypt(b.key, b.values, o, who(p, b.purpose, policy))
            : deid.fpeDecrypt(b.key, b.values, o, who(p, b.purpose, policy));
        });
      },
    );
  }
}
