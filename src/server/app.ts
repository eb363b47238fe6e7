import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ErrorObject } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Attester } from '../attestation/index.ts';
import type { Deid } from '../deid/index.ts';
import { parseJson } from '../encoding/index.ts';
import { InputError, quote } from '../errors/index.ts';
import type { Governance } from '../governance/index.ts';
import { isIdentifier, RESERVED_SUBJECT_PREFIX } from '../identifiers/index.ts';
import { IncidentRegister } from '../incidents/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { AssessmentSources } from '../oscal/index.ts';
import type { Passkeys } from '../passkeys/index.ts';
import { AccessReports, defaultLegalBases, type LabelPolicy, type LegalBasisSource } from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import type { CustodialWallets } from '../wallets/index.ts';
import { Witnessing, type WitnessingOptions } from '../witness/index.ts';
import { registerAttestationRoutes } from './attestation.ts';
import { type ChainRoutesOptions, chainAgreements, registerChainRoutes } from './chain.ts';
import { registerConsentRoutes } from './consent.ts';
import { registerDeidRoutes } from './deid.ts';
import { registerDocRoutes, registerOpenApi } from './docs.ts';
import { handleClientError, handleError, handleFrameworkError, handleNotFound, MAX_PARAM_LENGTH } from './errors.ts';
import { makeGate } from './gate.ts';
import { registerComplianceRoutes, registerGovernanceRoutes } from './governance.ts';
import { type IdentityRoutesOptions, registerIdentityRoutes } from './identity.ts';
import { AddressLimiter, DEFAULT_SIGNIN_LIMIT, type SignInLimit } from './limiter.ts';
import { registerLogRoutes } from './log-routes.ts';
import { authFailureLogger, type LogOptions, loggerConfig, logsRequests, requestIds } from './logging.ts';
import { type MlsRoutesOptions, registerMlsRoutes } from './mls.ts';
import { registerMlsReportRoutes } from './mls-reports.ts';
import { type OidcRoutesOptions, registerOidcRoutes } from './oidc.ts';
import { registerPasskeyRoutes } from './passkeys.ts';
import { registerProvenanceRoutes } from './provenance.ts';
import { type RecordRoutesOptions, registerRecordRoutes } from './records.ts';
import { registerReportRoutes } from './reports.ts';
import { type RightsRoutesOptions, registerRightsRoutes } from './rights.ts';
import { type App, IDENTIFIER_FORMAT } from './schemas.ts';
import { registerSessionRoutes } from './sessions.ts';
import { registerTrustRoutes } from './trust.ts';
import { registerWalletRoutes } from './wallets.ts';
import { registerWebRoutes, type WebOptions } from './web.ts';

/** What the HTTP interface serves. */
export interface ServerOptions {
  readonly log: TransparencyLog;
  /** When given, the authenticated and authorized record endpoints are served too. */
  readonly records?: Omit<RecordRoutesOptions, 'log'>;
  /** With `records`: data-subject rights and retention under /v1/rights/ and /v1/retention/. */
  readonly rights?: RightsRoutesOptions;
  /** With `records`: the de-identification endpoints under /v1/deid/. */
  readonly deid?: Deid;
  /** With `records`: DIDs and verifiable credentials (did:web documents, status lists, issuing, verifying). */
  readonly identity?: IdentityRoutesOptions;
  /**
   * With `records`: access reports, privacy labels and the incident register (/v1/reports/,
   * /v1/incidents). Reports are proven against the newest cosigned checkpoint when the server has
   * witnesses. `legalBases` and `labels` wire in the privacy policy (defaults: the purposes of the
   * default policies, nothing declared).
   */
  readonly reports?: { readonly store: Store; readonly legalBases?: LegalBasisSource; readonly labels?: LabelPolicy };
  /** Largest request body accepted (bytes). */
  readonly bodyLimit?: number;
  /**
   * The server log (structured JSON through pino; see `LogOptions`). Absent: no log at all, as
   * for a server embedded in tests.
   */
  readonly logging?: LogOptions;
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
  /**
   * The log's witnesses (C2SP tlog-witness): the server sends them every new checkpoint in the
   * background and serves the newest cosigned one at `/checkpoint`. When it starts (`listen`,
   * `ready`) it submits its current checkpoint first, and refuses to start when a witness saw a
   * larger tree (rolled-back store) or one its tree does not extend (forked store), or when fewer
   * than `quorum` witnesses cosigned.
   */
  readonly witnesses?: WitnessingOptions;
  /** With `records` and its sessions: passkey registration, sign-in and step-up (/v1/passkeys, /v1/signin/passkey). */
  readonly passkeys?: Passkeys;
  /** With `records`: platform sign-in with OpenID Connect (/v1/signin/oidc) and trusted issuers (/v1/issuers). */
  readonly oidc?: OidcRoutesOptions;
  /**
   * Requests per client address and window on the public sign-in routes that write to the log
   * (OpenID Connect nonces and sign-ins, passkey sign-ins and recovery); default 120 a minute.
   */
  readonly signInLimit?: SignInLimit;
  /**
   * The built Trust Center (`scripts/build-web.ts`), served at `/trust/` with a strict Content
   * Security Policy; without it `/trust/` answers 503 saying how to build it. With `records`, the
   * read routes it needs are served under `/v1/trust/`.
   */
  readonly web?: WebOptions;
  /**
   * With `records`: community governance (/v1/governance/): the governance document, feedback,
   * proposals, votes of verified persons, tallies with proofs, timelocked enactment.
   */
  readonly governance?: Governance;
  /**
   * With `records`: compliance evidence as OSCAL assessment results (/v1/compliance/), the checks
   * run over these sources (the log, the server's witnesses and, with `reports`, its incident
   * register are added).
   */
  readonly compliance?: Omit<AssessmentSources, 'log' | 'witnesses'>;
  /**
   * With `records`: end-to-end encrypted rooms (/v1/mls/): Verity as MLS delivery and
   * authentication service, and the moderation queue of verified abuse reports.
   */
  readonly mls?: MlsRoutesOptions;
  /**
   * With `records`: Verity's view of the chain (/v1/chain/): agreements, goods and anchors from the
   * authenticated state with their proofs (`chain.read`), anchoring on demand (`chain.anchor`).
   * With `bindings`: players bind addresses (EIP-4361), and record reads under agreement are decided
   * on the agreements indexed from the chain; with `sender`: agreements, revocations, transfers and
   * rentals sent through that account.
   */
  readonly chain?: Omit<ChainRoutesOptions, 'log'>;
  /** Secure boot's measurement and its evidence at /v1/attestation (absent: that route answers 503). */
  readonly attestation?: Attester;
  /** With `records`: custodial wallets (/v1/wallets/custodial), `wallet.create` and `wallet.sign`. */
  readonly wallets?: CustodialWallets;
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

/** Digits only: no sign, no leading zero (but `0` itself), no exponent, point, hex or white space. */
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The validator of a query string or path parameters: a value that the schema types as a number
 * must be written as a strict decimal (`index=0x10`, `1e1`, `+1`, `01` or ` 1` would otherwise be
 * read as numbers), and becomes one; everything is then validated strictly, without coercion.
 */
function textValidator(ajv: Ajv, schema: object) {
  const validate = ajv.compile(schema);
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const numeric = Object.keys(props).filter((k) => props[k]?.type === 'integer' || props[k]?.type === 'number');
  const run = (data: unknown) => {
    if (typeof data === 'object' && data !== null)
      for (const k of numeric) {
        const o = data as Record<string, unknown>;
        const v = o[k];
        if (v === undefined) continue;
        if (typeof v !== 'string' || !DECIMAL.test(v))
          return {
            error: new InputError(
              'VERITY_E_INPUT_INVALID',
              `parameter ${quote(k)} must be a decimal integer (digits only: no sign, leading zero, hex or exponent)`,
            ),
          };
        o[k] = Number(v);
      }
    const ok = validate(data);
    run.errors = validate.errors ?? null;
    return ok;
  };
  run.errors = null as ErrorObject[] | null;
  return run;
}

/**
 * A Fastify instance with what every Verity HTTP server shares: its logger and request ids, strict
 * routing, errors in Verity's shape (Fastify's and Node's own included), and HTTPS when given TLS.
 * Each server sets its own not-found answer.
 */
export function newFastify(o: {
  bodyLimit: number;
  logging: LogOptions | undefined;
  tls: ServerOptions['tls'] | undefined;
}): FastifyInstance {
  const tls = o.tls;
  const common = {
    logger: loggerConfig(o.logging),
    // One line per request is ours (onResponse below): with the route pattern, never the raw URL.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIds(),
    bodyLimit: o.bodyLimit,
    // Only the given host's own routes; no trailing-slash or case games.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's and Node's own refusals, in Verity's error shape.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    // While closing, requests already on a connection are answered normally (then the connection
    // closes), rather than with a 503 in Fastify's own shape.
    return503OnClosing: false,
  } satisfies FastifyServerOptions;
  // HTTPS serves the same routes: its server is an http.Server to Fastify's types.
  const fastify: FastifyInstance =
    tls === undefined
      ? // Node.js answers a request without Host with an empty 400 of its own; the onRequest hook
        // (`headerProblem`) refuses it in Verity's shape instead.
        Fastify({ ...common, http: { requireHostHeader: false } })
      : Fastify({
          ...common,
          https: {
            requireHostHeader: false,
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2' as const,
            ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
          },
        });
  fastify.setErrorHandler(handleError);
  return fastify;
}

/**
 * Builds the HTTP interface (Fastify) over the core. Each route's TypeBox schema is its whole
 * contract: it validates the request (unknown query parameters, wrong types and oversized bodies
 * are refused with a typed error before any handler runs), types the handler, and is the route's
 * entry in the OpenAPI 3.1 document at /openapi.json. Authenticated routes check the token first,
 * so an unauthenticated caller gets 401 whatever it sent.
 *
 * @example
 * ```ts
 * const app = buildServer({ log, records: { vault, tokens, policies: () => engine }, logging: { level: 'info' } });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 * ```
 */
export function buildServer(options: ServerOptions): App {
  const { log } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const fastify = newFastify({ bodyLimit, logging: options.logging, tls: options.tls });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.setNotFoundHandler(handleNotFound);
  const witnessing = options.witnesses === undefined ? undefined : startWitnessing(app, log, options.witnesses);
  // JSON bodies are validated as sent (a number where a string belongs is refused, not converted);
  // query strings and path parameters are text on the wire: there a number must be written as a
  // strict decimal (see `textValidator`) and is converted before the same strict validation.
  const strict = new Ajv({
    removeAdditional: false,
    coerceTypes: false,
    allErrors: false,
    strict: false,
    discriminator: true,
  });
  // Subject ids beginning with `verity-` are Verity's own (a private dataset's records are those of
  // `verity-dataset:NAME`): no API caller names one, so no session, rights request or record write
  // reaches them (D415).
  strict.addFormat(IDENTIFIER_FORMAT, {
    type: 'string',
    validate: (v: string) => isIdentifier(v) && !v.startsWith(RESERVED_SUBJECT_PREFIX),
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema as object) : textValidator(strict, schema as object),
  );
  // Response schemas document the answers; bodies are still written by JSON.stringify, so no field
  // a schema does not name is ever dropped and answers stay byte for byte what the core returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

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
  if (witnessing !== undefined)
    new Gauge({
      name: 'verity_witness_cosigned_size',
      help: 'Tree size each witness last cosigned (-1: none yet)',
      labelNames: ['witness'],
      registers: [registry],
      collect() {
        for (const w of witnessing.witnesses) this.set({ witness: w.name }, w.cosignedSize);
      },
    });
  const logRequests = logsRequests(options.logging);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // The route pattern, never the URL: ids and purposes stay out of the log.
    if (logRequests)
      req.log.info(
        {
          method: req.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
          principal: req.principal?.role ?? 'none',
        },
        'request',
      );
  });
  app.addHook('onClose', async () => app.log.info('server stopped'));
  // Headers a proxy in front could read otherwise than Verity does: refused before anything else.
  app.addHook('onRequest', async (req) => {
    const problem = headerProblem(req.raw.rawHeaders, req.raw.httpVersion);
    if (problem !== undefined) throw new InputError('VERITY_E_INPUT_MALFORMED', problem);
  });

  // Bodies are JSON only (any other media type is a 415), through Verity's own bounded parser:
  // size and depth limits before parsing, `__proto__` keys refused.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      // JSON is UTF-8 (RFC 8259 8.1): a body declared in another charset would be read otherwise
      // than its sender meant (D415).
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(req.headers['content-type'] ?? ''))?.[1];
      if (charset !== undefined && !/^utf-?8$/i.test(charset))
        throw new InputError(
          'VERITY_E_INPUT_MEDIA_TYPE',
          `the body is JSON, which is UTF-8: send \`content-type: application/json\` (charset ${quote(charset.slice(0, 32))} is not read)`,
        );
      // The route's own limit when it sets one (bulk de-identification takes larger bodies).
      const maxBytes = req.routeOptions.bodyLimit ?? bodyLimit;
      done(null, parseJson(new Uint8Array(body as Buffer), { maxBytes, maxDepth: 40 }, 'request body'));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  registerOpenApi(app);
  // Routes in a plugin registered after the OpenAPI one, so that it sees every one of them.
  app.register(async (scope) => {
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>();
    if (options.records !== undefined) {
      const onAuthFailure = authFailureLogger(app.log, options.logging?.authFailuresPerSecond ?? 10);
      const gate = makeGate(
        { ...options.records, log, ...chainAgreements(options) },
        {
          onAuthFailure: (reason, req) => onAuthFailure(reason, req.routeOptions.url ?? 'unmatched'),
          ...(options.oidc === undefined
            ? {}
            : { issuerNamespace: (ns: string) => (options.oidc as OidcRoutesOptions).issuers.namespaceTaken(ns) }),
        },
      );
      registerRecordRoutes(routes, { ...options.records, log }, gate);
      registerProvenanceRoutes(routes, { ...options.records, log }, gate);
      const signInLimit = new AddressLimiter(options.signInLimit ?? DEFAULT_SIGNIN_LIMIT).hook();
      if (options.records.sessions !== undefined)
        registerSessionRoutes(routes, { ...options.records, log }, options.records.sessions, gate);
      if (options.passkeys !== undefined && options.records.sessions !== undefined)
        registerPasskeyRoutes(routes, options.passkeys, options.records.vault, gate, signInLimit);
      if (options.deid !== undefined) registerDeidRoutes(routes, options.deid, gate);
      if (options.oidc !== undefined) registerOidcRoutes(routes, options.oidc, gate, signInLimit);
      if (options.identity !== undefined) registerIdentityRoutes(routes, options.identity, options.records.vault, gate);
      if (options.records.privacy !== undefined)
        registerConsentRoutes(routes, { ...options.records, log }, options.records.privacy, gate);
      const r = options.reports;
      let incidents: IncidentRegister | undefined;
      if (r !== undefined) {
        const legalBases = r.legalBases ?? defaultLegalBases();
        const clock = options.records.clock;
        const reports = new AccessReports(r.store, log, options.records.vault, {
          legalBases,
          ...(clock === undefined ? {} : { clock }),
          ...(witnessing === undefined ? {} : { checkpoint: async () => witnessing.cosigned() }),
        });
        incidents = new IncidentRegister(r.store, log, reports.index, clock === undefined ? {} : { clock });
        registerReportRoutes(
          routes,
          { ...options.records, log },
          { store: r.store, reports, incidents, legalBases, ...(r.labels === undefined ? {} : { labels: r.labels }) },
          gate,
        );
      }
      if (options.rights !== undefined) registerRightsRoutes(routes, { ...options.records, log }, options.rights, gate);
      registerTrustRoutes(
        routes,
        { ...options.records, log },
        {
          ...(witnessing === undefined ? {} : { witnessing }),
          witnessKeys: options.witnesses?.witnesses.map((w) => w.key) ?? [],
          quorum: options.witnesses?.quorum ?? 0,
          legalBases: options.reports?.legalBases ?? defaultLegalBases(),
          ...(r === undefined ? {} : { store: r.store }),
        },
        gate,
      );
      if (options.governance !== undefined) registerGovernanceRoutes(routes, options.governance, gate, signInLimit);
      if (options.mls !== undefined) {
        registerMlsRoutes(routes, options.mls, options.records.vault, gate);
        registerMlsReportRoutes(routes, options.mls.reports, options.records.vault, gate);
      }
      if (options.chain !== undefined) registerChainRoutes(routes, { ...options.chain, log }, gate);
      if (options.wallets !== undefined) registerWalletRoutes(routes, options.wallets, options.records.vault, gate);
      const c = options.compliance;
      if (c !== undefined)
        registerComplianceRoutes(
          routes,
          {
            ...c,
            log,
            ...(c.incidents === undefined && incidents !== undefined ? { incidents } : {}),
            ...(witnessing === undefined
              ? {}
              : { witnesses: { quorum: options.witnesses?.quorum ?? 0, list: () => witnessing.witnesses } }),
          },
          gate,
        );
    }
    routes.get('/healthz', { schema: { summary: 'Liveness' } }, async () => ({ status: 'ok' }));
    routes.get(
      '/readyz',
      { schema: { summary: 'Readiness: the store answers and the log head is readable' } },
      async (_req, reply) => {
        try {
          const head = await log.head();
          return { status: 'ready', logSize: head.size };
        } catch {
          return reply.code(503).send({ status: 'unavailable' });
        }
      },
    );
    routes.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_req, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
    registerDocRoutes(routes);
    registerWebRoutes(routes, options.web);
    registerLogRoutes(routes, log, witnessing);
    registerAttestationRoutes(routes, options.attestation);
  });
  return app;
}

/**
 * The witnesses of a server: their start-up check runs before it listens (a refusal fails
 * `listen`), their events go to its log, and they stop with it.
 */
function startWitnessing(app: App, log: TransparencyLog, o: WitnessingOptions): Witnessing {
  const w = new Witnessing(log, {
    ...o,
    onEvent: (e) => {
      if (e.type === 'cosigned')
        app.log.debug({ event: 'witness.cosigned', witness: e.witness, size: e.size }, 'cosigned');
      else
        app.log[e.type === 'refused' ? 'error' : 'warn'](
          { event: `witness.${e.type}`, witness: e.witness, url: e.url, code: e.error.code },
          e.error.message,
        );
      o.onEvent?.(e);
    },
  });
  app.addHook('onReady', async () => {
    await w.start();
  });
  app.addHook('onClose', async () => w.close());
  return w;
}

/**
 * What is wrong with a request's headers that a proxy in front could read otherwise than Verity
 * (D415): no Host on HTTP/1.1 (RFC 9112 3.2), two Hosts, or two Authorization or Content-Type
 * headers (which of them a proxy checked and which Verity used would be a guess). Undefined when
 * nothing is.
 */
export function headerProblem(raw: readonly string[], httpVersion: string): string | undefined {
  let hosts = 0;
  let authorizations = 0;
  let types = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'authorization') authorizations++;
    else if (name === 'content-type') types++;
  }
  if (types > 1) return 'the request has more than one Content-Type header: send one';
  if (hosts > 1) return 'the request has more than one Host header: send one';
  if (hosts === 0 && httpVersion !== '1.0') return 'the request has no Host header: HTTP/1.1 requires one';
  if (authorizations > 1) return 'the request has more than one Authorization header: send one';
  return undefined;
}
