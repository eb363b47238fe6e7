import cors from '@fastify/cors';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { decodeAuditEntry } from '../audit/index.ts';
import type { Deid } from '../deid/index.ts';
import { parseJson, toBase64 } from '../encoding/index.ts';
import { httpStatusOf, InputError, isVerityError, type VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { TILE_WIDTH } from '../merkle/index.ts';
import { registerDeidRoutes } from './deid.ts';
import { makeGate } from './gate.ts';
import { OPENAPI } from './openapi.ts';
import { type RecordRoutesOptions, registerRecordRoutes } from './records.ts';

/** What the HTTP interface serves. */
export interface ServerOptions {
  readonly log: TransparencyLog;
  /** When given, the authenticated and authorized record endpoints are served too. */
  readonly records?: Omit<RecordRoutesOptions, 'log'>;
  /** With `records`: the de-identification endpoints under /v1/deid/. */
  readonly deid?: Deid;
  /** Largest request body accepted (bytes). */
  readonly bodyLimit?: number;
  /** Fastify logging (off by default; never logs bodies). */
  readonly logger?: boolean;
  /**
   * Serve HTTPS with this certificate and key (PEM). With `clientCa`, clients must present a
   * certificate issued by it (mutual TLS for service-to-service calls).
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly clientCa?: string | Buffer };
  /**
   * Web origins (`https://play.example.com`) whose pages may call this server from a browser
   * (CORS). Exact origins only; none by default, so browsers refuse cross-origin calls.
   */
  readonly corsOrigins?: readonly string[];
}

const MAX_CORS_ORIGINS = 64;

/** Checks CORS origins: each exactly `scheme://host[:port]`, http(s) only. */
export function checkCorsOrigins(origins: readonly string[]): string[] {
  if (origins.length > MAX_CORS_ORIGINS)
    throw new InputError('VERITY_E_INPUT_INVALID', `at most ${MAX_CORS_ORIGINS} CORS origins`);
  return origins.map((o) => {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== o)
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `CORS origin ${JSON.stringify(o.slice(0, 100))} must be exactly scheme://host[:port], e.g. https://play.example.com`,
      );
    return o;
  });
}

const MAX_ENTRIES_PER_PAGE = 1000;

const sizeParam = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** A query of one required and one optional log position or tree size, nothing else. */
function sizeQuery(required: string, optional: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [required],
    properties: { [required]: sizeParam, [optional]: sizeParam },
  } as const;
}

function docsPage(): string {
  const rows = Object.entries(OPENAPI.paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { summary: string }>).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()} ${path}</code></td><td>${op.summary.replace(/</g, '&lt;')}</td></tr>`,
      ),
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Verity API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}code{white-space:nowrap}</style></head>
<body><h1>Verity API</h1><p>${OPENAPI.info.description}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table>${rows}</table></body></html>`;
}

/**
 * Builds the HTTP interface (Fastify) over the core. Routes are declared with JSON Schemas that
 * Fastify enforces: unknown query parameters, wrong types and oversized bodies are refused with a
 * typed error body before any handler runs.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { log } = options;
  const tls = options.tls;
  const app = Fastify({
    ...(tls === undefined
      ? {}
      : {
          https: {
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2' as const,
            ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
          },
        }),
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Only the given host's own routes; no trailing-slash or case games.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 128 },
  });
  // JSON bodies are validated as sent (a number where a string belongs is refused, not converted);
  // query strings and path parameters are text on the wire, so there numbers are converted.
  const strict = new Ajv({ removeAdditional: false, coerceTypes: false, allErrors: false, strict: false });
  const coercing = new Ajv({ removeAdditional: false, coerceTypes: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );

  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    // Preflights and answers name only the listed origins; no cookies are ever involved (bearer tokens).
    app.register(cors, {
      origin: checkCorsOrigins(options.corsOrigins),
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      credentials: false,
      maxAge: 600,
    });
  }

  // Metrics live in a registry of this server, not in a process-global one.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'verity_' });
  const requests = new Counter({
    name: 'verity_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'verity_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: 'verity_log_size',
    help: 'Entries in the transparency log',
    registers: [registry],
    async collect() {
      this.set((await log.head()).size);
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  const sendError = (reply: FastifyReply, e: VerityError) =>
    reply.code(httpStatusOf(e.code)).type('application/json').send(e.toJSON());
  app.setErrorHandler((err, _req, reply) => {
    if (isVerityError(err)) return sendError(reply, err);
    const e = err as { validation?: unknown; statusCode?: number; code?: string; message?: string };
    if (e.validation !== undefined)
      return sendError(
        reply,
        new InputError('VERITY_E_INPUT_INVALID', `request ${String(e.message ?? 'is invalid').slice(0, 200)}`),
      );
    if (e.statusCode === 415)
      return sendError(reply, new InputError('VERITY_E_INPUT_MEDIA_TYPE', 'send the body as application/json'));
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, new InputError('VERITY_E_INPUT_TOO_LARGE', 'the request body is too large'));
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(
        reply,
        new InputError('VERITY_E_INPUT_MALFORMED', String(e.message ?? 'bad request').slice(0, 200)),
      );
    }
    return reply
      .code(500)
      .send({ error: { code: 'VERITY_E_INTERNAL', message: 'internal error; see the server log' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: {
        code: 'VERITY_E_INPUT_INVALID',
        message: `no route ${req.method} ${req.url.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}; see /openapi.json`,
      },
    });
  });

  // JSON bodies go through Verity's own bounded parser: size and depth limits before parsing,
  // `__proto__` keys refused.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      // The route's own limit when it sets one (bulk de-identification takes larger bodies).
      const maxBytes = req.routeOptions.bodyLimit ?? options.bodyLimit ?? 1024 * 1024;
      done(null, parseJson(new Uint8Array(body as Buffer), { maxBytes, maxDepth: 40 }, 'request body'));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  if (options.records !== undefined) {
    registerRecordRoutes(app, { ...options.records, log });
    if (options.deid !== undefined) registerDeidRoutes(app, options.deid, makeGate({ ...options.records, log }));
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      const head = await log.head();
      return { status: 'ready', logSize: head.size };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/openapi.json', async () => OPENAPI);
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage()));

  app.get('/v1/log/checkpoint', async (_req, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(await log.checkpoint()),
  );
  app.get('/v1/log/key', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(`${log.verifierKey}\n`));
  app.get('/v1/log/proofs/inclusion', { schema: { querystring: sizeQuery('index', 'size') } }, async (req) => {
    const q = req.query as { index: number; size?: number };
    return log.inclusionProof(q.index, q.size);
  });
  app.get('/v1/log/proofs/consistency', { schema: { querystring: sizeQuery('from', 'to') } }, async (req) => {
    const q = req.query as { from: number; to?: number };
    return log.consistencyProof(q.from, q.to);
  });
  app.get('/v1/log/entries', { schema: { querystring: sizeQuery('from', 'to') } }, async (req) => {
    const q = req.query as { from: number; to?: number };
    const size = (await log.head()).size;
    const to = q.to ?? Math.min(size, q.from + 100);
    if (to - q.from > MAX_ENTRIES_PER_PAGE)
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', `at most ${MAX_ENTRIES_PER_PAGE} entries per request`);
    return (await log.entries(q.from, to)).map((e, i) => {
      try {
        return { index: q.from + i, entry: decodeAuditEntry(e) };
      } catch {
        return { index: q.from + i, raw: toBase64(e) };
      }
    });
  });
  app.get('/tile/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const path = `tile/${rest}`;
    const bytes = await log.readTile(path);
    // Full tiles never change (C2SP tlog-tiles): cache them for good. Partial ones grow.
    const full =
      !path.includes('.p/') &&
      bytes.byteLength > 0 &&
      (path.startsWith('tile/entries/') || bytes.byteLength === TILE_WIDTH * 32);
    return reply
      .type('application/octet-stream')
      .header('cache-control', full ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  return app;
}
