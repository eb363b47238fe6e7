import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { VerityError } from '../errors/index.ts';
import type { App } from './schemas.ts';
import { Type } from './typebox.ts';

/** Where the built Trust Center is (`scripts/build-web.ts` writes it: index.html and hashed assets). */
export interface WebOptions {
  readonly dir: string;
}

/**
 * The Trust Center's Content Security Policy: only this origin's own scripts, styles, images and
 * calls; no inline script or style, no framing, no plugins, no form posts elsewhere, no base URL.
 */
export const TRUST_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Largest file served from the build (the bundle is well under this). */
const MAX_FILE = 8 * 1024 * 1024;

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', TRUST_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
}

/**
 * Serves the built Trust Center at `/trust/` with a strict CSP. The files are read once, at start,
 * from a fixed list (no path from a request ever reaches the file system); hashed assets are cached
 * for a year (their name changes with their content), the page itself is revalidated every time.
 * Without a build (`dir` absent or empty) `/trust/` answers 503 saying how to build it.
 */
export function registerWebRoutes(app: App, o: WebOptions | undefined): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (o !== undefined) {
    let names: string[] = [];
    try {
      names = readdirSync(join(o.dir, 'assets'));
    } catch {
      names = [];
    }
    for (const n of names) {
      const ext = /\.[a-z]+$/.exec(n)?.[0] ?? '';
      const type = TYPES[ext];
      const path = join(o.dir, 'assets', n);
      if (type === undefined || !/^[A-Za-z0-9._-]{1,128}$/.test(n) || statSync(path).size > MAX_FILE) continue;
      files.set(n, { body: readFileSync(path), type });
    }
  }
  let index: Buffer | undefined;
  try {
    index = o === undefined ? undefined : readFileSync(join(o.dir, 'index.html'));
  } catch {
    index = undefined;
  }

  app.get('/trust', { schema: { summary: 'The Trust Center: redirects to /trust/' } }, async (_req, reply) =>
    secure(reply).redirect('/trust/', 301),
  );
  app.get(
    '/trust/',
    { schema: { summary: 'The Trust Center (HTML page, strict Content Security Policy)' } },
    async (_req, reply) => {
      if (index === undefined)
        throw new VerityError(
          'VERITY_E_TRUST_CENTER_UNBUILT',
          'the trust center is not built: run `npm run build:web` (npm start and npm test build it), then restart',
        );
      return secure(reply)
        .type(TYPES['.html'] as string)
        .header('cache-control', 'no-cache')
        .send(index);
    },
  );
  app.get(
    '/trust/assets/:name',
    {
      schema: {
        summary: 'A Trust Center asset (content-hashed name, cached for a year)',
        params: Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' }) }),
      },
    },
    async (req, reply) => {
      const f = files.get(req.params.name);
      if (f === undefined)
        throw new VerityError('VERITY_E_HTTP_ROUTE_NOT_FOUND', 'no such file of the trust center: reload `/trust/`');
      return secure(reply).type(f.type).header('cache-control', 'public, max-age=31536000, immutable').send(f.body);
    },
  );
}
