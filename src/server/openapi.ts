/**
 * The OpenAPI 3.1 description of Verity's HTTP API, served at /openapi.json. `test/server.test.ts`
 * checks that every route the server registers is described here and nothing else.
 */
const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^VERITY_E_[A-Z0-9_]+$' },
        message: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
} as const;

const errors = {
  '400': {
    description: 'Malformed or invalid input',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '404': {
    description: 'Outside the log',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
};

const inclusionCase = {
  type: 'object',
  required: ['type', 'treeSize', 'leafIndex', 'leafHash', 'rootHash', 'proof'],
  properties: {
    type: { const: 'inclusion' },
    treeSize: { type: 'integer', minimum: 1 },
    leafIndex: { type: 'integer', minimum: 0 },
    leafHash: { type: 'string', contentEncoding: 'base64' },
    rootHash: { type: 'string', contentEncoding: 'base64' },
    proof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } },
    checkpoint: {
      type: 'string',
      description: 'The signed checkpoint whose root is rootHash (when treeSize is the current size).',
    },
  },
} as const;

const b64 = { type: 'string', contentEncoding: 'base64' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Response bodies of the record endpoints (the SDK's answers are checked against these). */
const recordSchemas = {
  PutResult: {
    type: 'object',
    required: ['id', 'version', 'logIndex', 'contentHash', 'createdAt'],
    properties: {
      id: { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' },
      version: { type: 'integer', minimum: 1 },
      logIndex: { type: 'integer', minimum: 0 },
      contentHash: { type: 'string', pattern: '^sha256:[A-Za-z0-9_-]{43}$' },
      createdAt: time,
    },
  },
  RecordMeta: {
    type: 'object',
    required: [
      'id',
      'version',
      'type',
      'state',
      'origin',
      'classification',
      'provenance',
      'lineage',
      'purpose',
      'createdAt',
      'retainUntil',
      'contentHash',
      'schema',
      'logIndex',
    ],
    properties: {
      id: { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' },
      version: { type: 'integer', minimum: 1 },
      type: { type: 'string' },
      subject: { type: 'string', description: 'Only to callers who read the sealed payload' },
      state: { enum: ['created', 'captured', 'stored', 'shared', 'used', 'archived', 'erased'] },
      origin: { enum: ['created', 'captured'] },
      classification: {
        type: 'object',
        required: ['category', 'sensitivity'],
        properties: {
          category: { type: 'string' },
          sensitivity: { enum: ['public', 'internal', 'confidential', 'restricted'] },
        },
      },
      provenance: {
        type: 'object',
        required: ['creator'],
        properties: {
          creator: { type: 'string' },
          source: { type: 'string' },
          signature: {
            type: 'object',
            required: ['alg', 'publicKey', 'value'],
            properties: { alg: { const: 'Ed25519' }, publicKey: b64, value: b64 },
          },
        },
      },
      lineage: { type: 'array', items: { type: 'string' } },
      purpose: { type: 'string' },
      createdAt: time,
      retainUntil: { anyOf: [time, { type: 'null' }] },
      contentHash: { type: 'string', pattern: '^sha256:[A-Za-z0-9_-]{43}$' },
      schema: { type: 'string' },
      logIndex: { type: 'integer', minimum: 0 },
    },
  },
  ReadResult: {
    type: 'object',
    required: ['data', 'meta', 'proof', 'readLogIndex'],
    properties: {
      data: { type: 'object' },
      meta: ref('RecordMeta'),
      proof: {
        allOf: [
          ref('InclusionProof'),
          {
            type: 'object',
            required: ['checkpoint', 'entry', 'contentSalt'],
            properties: {
              entry: { ...b64, description: 'The log entry of the write (an audit entry)' },
              contentSalt: {
                type: 'string',
                contentEncoding: 'base64url',
                description: "With the data, recomputes the entry's contentHash",
              },
            },
          },
        ],
      },
      readLogIndex: { type: 'integer', minimum: 0 },
    },
  },
  Erased: {
    type: 'object',
    required: ['versions', 'logIndex'],
    properties: { versions: { type: 'integer', minimum: 0 }, logIndex: { type: 'integer', minimum: 0 } },
  },
  Logged: { type: 'object', required: ['logIndex'], properties: { logIndex: { type: 'integer', minimum: 0 } } },
} as const;

const str = { type: 'string' } as const;
const nat = { type: 'integer', minimum: 0 } as const;
const deidDomain = { type: 'string', pattern: '^[a-z][a-z0-9._-]{0,39}$' } as const;
const fpeRequest = {
  required: ['key', 'purpose', 'radix', 'values'],
  properties: {
    key: deidDomain,
    purpose: str,
    radix: { type: 'integer', minimum: 2, maximum: 65536 },
    alphabet: str,
    tweak: { type: 'string', description: 'hex' },
    values: { type: 'array', minItems: 1, maxItems: 10000, items: str },
  },
} as const;
const fpeResponse = {
  type: 'object',
  required: ['values', 'logIndex'],
  properties: { values: { type: 'array', items: str }, logIndex: nat },
} as const;

/** A POST of the de-identification API: JSON in, JSON out, bearer token, Cedar-authorized. */
function deidOp(
  summary: string,
  request: { required: readonly string[]; properties: object },
  response: object,
  status = '200',
) {
  return {
    post: {
      summary,
      security: [{ bearer: [] }],
      requestBody: {
        required: true,
        content: json({ type: 'object', additionalProperties: false, ...request }),
      },
      responses: { [status]: { description: 'Done', content: json(response) }, ...authErrors, ...errors },
    },
  };
}

const consistencyCase = {
  type: 'object',
  required: ['type', 'size1', 'size2', 'root1', 'root2', 'proof'],
  properties: {
    type: { const: 'consistency' },
    size1: { type: 'integer', minimum: 0 },
    size2: { type: 'integer', minimum: 0 },
    root1: { type: 'string', contentEncoding: 'base64' },
    root2: { type: 'string', contentEncoding: 'base64' },
    proof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } },
  },
} as const;

const authErrors = {
  '401': {
    description: 'No live token',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '403': {
    description: 'Denied by the policies',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
};
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' },
};
const purposeParam = { name: 'purpose', in: 'query', required: true, schema: { type: 'string' } };

const int = (name: string, description: string, required: boolean) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
});

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Verity',
    version: '0.1.0',
    description:
      'A trusted data layer for virtual worlds (ITU-T FGMV-46). The transparency log is public by design: its entries carry pseudonyms and commitments, never personal data, so anyone can verify it.',
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'The process is up' } } } },
    '/readyz': {
      get: {
        summary: 'Readiness: the store answers and the log head is readable',
        responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'Text exposition format', content: { 'text/plain': {} } } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/docs': {
      get: {
        summary: 'A browsable page of this API',
        responses: { '200': { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/v1/log/checkpoint': {
      get: {
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note)',
        responses: { '200': { description: 'The note', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/v1/log/key': {
      get: {
        summary: "The log's verifier key in signed-note format (name+hash+base64key)",
        responses: { '200': { description: 'The key', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/v1/log/proofs/inclusion': {
      get: {
        summary: 'RFC 9162 inclusion proof of an entry',
        parameters: [int('index', 'Leaf index', true), int('size', 'Tree size (default: current)', false)],
        responses: {
          '200': { description: 'A verify-proof case', content: { 'application/json': { schema: inclusionCase } } },
          ...errors,
        },
      },
    },
    '/v1/log/proofs/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof between two tree sizes',
        parameters: [int('from', 'Older tree size', true), int('to', 'Newer tree size (default: current)', false)],
        responses: {
          '200': { description: 'A verify-proof case', content: { 'application/json': { schema: consistencyCase } } },
          ...errors,
        },
      },
    },
    '/v1/log/entries': {
      get: {
        summary: 'Decoded audit entries [from, to), at most 1000',
        parameters: [int('from', 'First index', true), int('to', 'End index (exclusive)', false)],
        responses: {
          '200': { description: 'Entries', content: { 'application/json': { schema: { type: 'array' } } } },
          ...errors,
        },
      },
    },
    '/v1/records': {
      post: {
        summary:
          'Write a sealed record (a new one, or a new version with `id`); authorized by Cedar for the stated purpose',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['subject', 'type', 'purpose', 'data'],
                properties: {
                  subject: { type: 'string' },
                  type: { type: 'string' },
                  purpose: { type: 'string' },
                  data: { type: 'object' },
                  id: { type: 'string' },
                  origin: { enum: ['created', 'captured'] },
                  classification: { type: 'object' },
                  source: { type: 'string' },
                  lineage: { type: 'array', items: { type: 'string' } },
                  retainUntil: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        },
        responses: {
          '201': { description: 'Written and durable', content: json(ref('PutResult')) },
          '401': {
            description: 'No live token',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          '403': {
            description: 'Denied by the policies',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          ...errors,
        },
      },
    },
    '/v1/records/{id}': {
      delete: {
        summary: 'Erase every version of a record (authorized as an erase; audited)',
        security: [{ bearer: [] }],
        parameters: [idParam, purposeParam],
        responses: {
          '200': { description: 'Versions erased and the log index of the erasure', content: json(ref('Erased')) },
          ...authErrors,
          ...errors,
        },
      },
      get: {
        summary:
          'Read a record: `data`, `meta` and the inclusion `proof` of its write; the read and the decision are logged',
        security: [{ bearer: [] }],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' } },
          { name: 'purpose', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'version', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          '200': {
            description: 'The data, its metadata and the inclusion proof of its write',
            content: json(ref('ReadResult')),
          },
          '401': {
            description: 'No live token',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          '403': {
            description: 'Denied by the policies',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          ...errors,
        },
      },
    },
    '/v1/records/{id}/history': {
      get: {
        summary: 'Metadata of every version of a record (audited, authorized as a read)',
        security: [{ bearer: [] }],
        parameters: [idParam, purposeParam],
        responses: {
          '200': { description: 'Versions, oldest first', content: json({ type: 'array', items: ref('RecordMeta') }) },
          ...authErrors,
          ...errors,
        },
      },
    },
    '/v1/records/query': {
      post: {
        summary:
          "The latest version of each of a subject's records that the caller may read (the subject travels in the body, never in a URL)",
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['subject', 'purpose'],
                properties: {
                  subject: { type: 'string' },
                  purpose: { type: 'string' },
                  limit: { type: 'integer' },
                  after: { type: 'string' },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'Record metadata', content: json({ type: 'array', items: ref('RecordMeta') }) },
          ...authErrors,
          ...errors,
        },
      },
    },
    '/v1/subjects/guardianship': {
      put: {
        summary:
          'Record whether a subject is a minor and who their guardians are (the owner facts the policies read); replaces what was recorded; audited',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['subject', 'purpose', 'minor', 'guardians'],
                properties: {
                  subject: { type: 'string', minLength: 1, maxLength: 256 },
                  purpose: {
                    type: 'string',
                    description: 'the default policies allow platform services with `guardianship`',
                  },
                  minor: { type: 'boolean' },
                  guardians: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 256 } },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'The log index of the audit entry', content: json(ref('Logged')) },
          ...authErrors,
          ...errors,
        },
      },
    },
    '/v1/subjects/shred': {
      post: {
        summary:
          'Crypto-shred a subject: its data key and payloads are destroyed, then the KEK rotated and retired KEKs destroyed',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['subject', 'purpose'],
                properties: { subject: { type: 'string' }, purpose: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '200': { description: 'Versions erased, log index, destroyed KEK versions' },
          ...authErrors,
          ...errors,
        },
      },
    },
    '/v1/sessions': {
      post: {
        summary:
          'Open a short-lived session (EdDSA JWT) for a player the calling service authenticated; players then call with it as their bearer token',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['player', 'purpose'],
                properties: {
                  player: { type: 'string' },
                  purpose: { type: 'string' },
                  minor: { type: 'boolean' },
                  guardians: { type: 'array', items: { type: 'string' } },
                  ttlSeconds: { type: 'integer' },
                },
              },
            },
          },
        },
        responses: { '201': { description: '`token` and `expiresAt`' }, ...authErrors, ...errors },
      },
    },
    '/v1/deid/pseudonyms': deidOp(
      "Keyed pseudonyms (HMAC-SHA-256) of values in a domain, under the domain's current KeyStore key (authorized as deidentify)",
      {
        required: ['domain', 'purpose', 'values'],
        properties: { domain: deidDomain, purpose: str, values: { type: 'array', maxItems: 100000, items: str } },
      },
      {
        type: 'object',
        required: ['version', 'pseudonyms', 'logIndex'],
        properties: { version: nat, pseudonyms: { type: 'array', items: str }, logIndex: nat },
      },
    ),
    '/v1/deid/pseudonyms/rotate': deidOp(
      'Start a new key version for a pseudonym domain (authorized as administer)',
      { required: ['domain', 'purpose'], properties: { domain: deidDomain, purpose: str } },
      { type: 'object', required: ['version', 'logIndex'], properties: { version: nat, logIndex: nat } },
    ),
    '/v1/deid/tokens': deidOp(
      "Replace a subject's value by a random token; the value is sealed in the vault (authorized as deidentify)",
      {
        required: ['subject', 'domain', 'purpose', 'value'],
        properties: { subject: str, domain: deidDomain, purpose: str, value: str },
      },
      { type: 'object', required: ['token', 'logIndex'], properties: { token: str, logIndex: nat } },
      '201',
    ),
    '/v1/deid/tokens/detokenize': deidOp(
      'The value behind a token: an audited vault read (authorized as reidentify)',
      { required: ['token', 'purpose'], properties: { token: str, purpose: str } },
      {
        type: 'object',
        required: ['value', 'domain', 'logIndex'],
        properties: { value: str, domain: str, logIndex: nat },
      },
    ),
    '/v1/deid/fpe/encrypt': deidOp(
      'FF1 format-preserving encryption (NIST SP 800-38G) under a named KeyStore key (authorized as deidentify)',
      fpeRequest,
      fpeResponse,
    ),
    '/v1/deid/fpe/decrypt': deidOp('FF1 decryption (authorized as reidentify; audited)', fpeRequest, fpeResponse),
    '/v1/deid/pii/scan': deidOp(
      'Find personal data in texts (type, UTF-16 span, score per entity), optionally redacted or masked (authorized as deidentify; nothing stored)',
      {
        required: ['purpose', 'texts'],
        properties: {
          purpose: str,
          texts: { type: 'array', minItems: 1, maxItems: 10000, items: str },
          operator: { enum: ['none', 'redact', 'mask', 'hash', 'pseudonymize'] },
          domain: deidDomain,
          types: { type: 'array', items: str },
          minScore: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
      {
        type: 'object',
        required: ['results', 'logIndex'],
        properties: {
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['entities'],
              properties: {
                text: str,
                entities: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type', 'start', 'end', 'score'],
                    properties: { type: str, start: nat, end: nat, score: { type: 'number', minimum: 0, maximum: 1 } },
                  },
                },
              },
            },
          },
          logIndex: nat,
        },
      },
    ),
    '/v1/deid/anonymize': deidOp(
      'k-anonymity with l-diversity of a table by generalization hierarchies, with re-identification risk and information loss (authorized as deidentify; nothing stored)',
      {
        required: ['purpose', 'columns', 'rows', 'quasiIdentifiers', 'hierarchies', 'k'],
        properties: {
          purpose: str,
          columns: { type: 'array', items: str },
          rows: { type: 'array', items: { type: 'array', items: str } },
          quasiIdentifiers: { type: 'array', items: str },
          sensitive: str,
          hierarchies: {
            type: 'object',
            description: 'per quasi-identifier: one list per value, the value then its generalizations up to "*"',
            additionalProperties: { type: 'array', items: { type: 'array', items: str } },
          },
          k: { type: 'integer', minimum: 1 },
          l: { type: 'integer', minimum: 1 },
          maxSuppression: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
      {
        type: 'object',
        required: ['columns', 'rows', 'report', 'logIndex'],
        properties: {
          columns: { type: 'array', items: str },
          rows: { type: 'array', items: { type: 'array', items: str } },
          report: {
            type: 'object',
            required: [
              'k',
              'l',
              'classes',
              'suppressed',
              'prosecutor',
              'journalist',
              'marketer',
              'generalizationIntensity',
              'discernibility',
            ],
            properties: {
              k: nat,
              l: nat,
              classes: nat,
              suppressed: nat,
              prosecutor: {
                type: 'object',
                required: ['highest', 'average', 'recordsAtRisk'],
                properties: {
                  highest: { type: 'number' },
                  average: { type: 'number' },
                  recordsAtRisk: { type: 'number' },
                },
              },
              journalist: {
                type: 'object',
                required: ['highest', 'average'],
                properties: { highest: { type: 'number' }, average: { type: 'number' } },
              },
              marketer: { type: 'number' },
              generalizationIntensity: { type: 'number' },
              discernibility: { type: 'number' },
            },
          },
          logIndex: nat,
        },
      },
    ),
    '/v1/deid/datasets': deidOp(
      'Register a numeric dataset, sealed in the vault, with a total privacy budget (authorized as deidentify)',
      {
        required: ['name', 'purpose', 'values', 'epsilon', 'delta'],
        properties: {
          name: deidDomain,
          purpose: str,
          values: { type: 'array', maxItems: 20000, items: { type: 'number' } },
          epsilon: { type: 'number', exclusiveMinimum: 0 },
          delta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
        },
      },
      { type: 'object', required: ['name', 'logIndex'], properties: { name: str, logIndex: nat } },
      '201',
    ),
    '/v1/deid/datasets/query': deidOp(
      "A differentially private count, sum, mean, histogram or quantile, charged to the dataset's budget (403 VERITY_E_PRIVACY_BUDGET past it)",
      {
        required: ['name', 'purpose', 'query', 'epsilon'],
        properties: {
          name: deidDomain,
          purpose: str,
          query: { enum: ['count', 'sum', 'mean', 'histogram', 'quantile'] },
          epsilon: { type: 'number', exclusiveMinimum: 0 },
          delta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
          mechanism: { enum: ['laplace', 'gaussian'] },
          lower: { type: 'number' },
          upper: { type: 'number' },
          edges: { type: 'array', items: { type: 'number' } },
          q: { type: 'number', minimum: 0, maximum: 1 },
          candidates: { type: 'integer', minimum: 2 },
        },
      },
      {
        type: 'object',
        required: ['value', 'epsilon', 'delta', 'mechanism', 'remainingEpsilon', 'remainingDelta'],
        properties: {
          value: { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }] },
          epsilon: { type: 'number' },
          delta: { type: 'number' },
          mechanism: { enum: ['laplace', 'gaussian', 'exponential'] },
          granularity: { type: 'number' },
          remainingEpsilon: { type: 'number' },
          remainingDelta: { type: 'number' },
        },
      },
    ),
    '/v1/keys/rotate': {
      post: {
        summary: 'Rotate the key-encryption key online (re-wrap every data key); optionally destroy retired KEKs',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['purpose'],
                properties: { purpose: { type: 'string' }, destroyRetired: { type: 'boolean' } },
              },
            },
          },
        },
        responses: {
          '200': { description: 'New KEK version, keys re-wrapped, KEKs destroyed' },
          ...authErrors,
          ...errors,
        },
      },
    },
    '/tile/{path}': {
      get: {
        summary: 'C2SP tlog-tiles: hash tiles tile/L/N[.p/W] and entry bundles tile/entries/N[.p/W]',
        parameters: [
          {
            name: 'path',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'The rest of the tile path, e.g. 0/x001/234/067.p/5',
          },
        ],
        responses: { '200': { description: 'Tile bytes', content: { 'application/octet-stream': {} } }, ...errors },
      },
    },
  },
  components: {
    schemas: { Error: errorBody, InclusionProof: inclusionCase, ...recordSchemas },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
} as const;
