// The layering of docs/architecture.md, enforced: primitives import no capability, capabilities
// import no interface, and nothing outside a folder reaches past its index.ts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const SRC = join(import.meta.dirname, '..', 'src');

/** Lower numbers may not import higher ones. */
const LAYERS: Record<string, number> = {
  // The code table sits under the error classes, whose types name its codes.
  codes: -1,
  errors: 0,
  platform: 0,
  // Loads dependencies from their joined modules: Node.js built-ins only.
  deps: 0,
  encoding: 1,
  identifiers: 1,
  clock: 1,
  proc: 1,
  files: 1,
  jsonschema: 1,
  // Secure boot's check runs before anything else loads: Node.js built-ins only.
  boot: 1,
  merkle: 2,
  smt: 2,
  pii: 2,
  anonymize: 2,
  dp: 2,
  fpe: 2,
  note: 2,
  envelope: 2,
  sdjwt: 2,
  keys: 3,
  keyproc: 3.5,
  store: 3,
  audit: 3,
  log: 4,
  access: 4,
  risk: 4,
  witness: 4,
  principals: 5,
  did: 5,
  vc: 6,
  provenance: 6,
  vault: 5,
  consent: 5,
  attestation: 5,
  privacy: 6,
  policies: 6,
  rights: 5.5,
  retention: 5.5,
  verity: 6,
  deid: 6,
  passkeys: 6,
  oidc: 6,
  reports: 6,
  incidents: 7,
  governance: 7,
  tally: 4,
  oscal: 7.5,
  embedded: 7,
  updates: 7,
  mls: 7,
  chain: 5,
  chainproof: 3,
  wallets: 7,
  server: 8,
  sdk: 8,
  cli: 9,
  // The Trust Center (a browser app): it may use the SDK, never the server's or the core's insides.
  web: 9,
};

/**
 * Public faces besides index.ts: the SDK's are the entry points its package exports
 * (packages/sdk/package.json: `@verity/sdk/mls`, `@verity/sdk/chain`, ...), each built from src/sdk.
 */
const FACES: Record<string, readonly string[]> = {
  sdk: Object.values(
    (
      JSON.parse(readFileSync(join(SRC, '..', 'packages', 'sdk', 'package.json'), 'utf8')) as {
        exports: Record<string, string | { types?: string }>;
      }
    ).exports,
  ).flatMap((e) => {
    const m = typeof e === 'object' ? /dist\/types\/sdk\/(.+)\.d\.ts$/.exec(e.types ?? '') : null;
    return m ? [`${m[1]}.ts`] : [];
  }),
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [join(dir, d.name)] : [],
  );
}

describe('architecture', () => {
  const all = files(SRC);

  it('every source folder has a layer and an index.ts', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    for (const f of folders) {
      assert.ok(f in LAYERS, `src/${f} has no layer in this test and docs/architecture.md`);
      // The CLI is an entry point, not a library: its public face is main.ts.
      const face = f === 'cli' ? 'main.ts' : 'index.ts';
      assert.ok(all.includes(join(SRC, f, face)), `src/${f} has no ${face}`);
    }
  });

  it('dependencies point one way and only through index.ts', () => {
    for (const file of all) {
      if (file.endsWith('.test.ts')) continue;
      const from = relative(SRC, file).split('/')[0] as string;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
        const spec = m[1] as string;
        const target = relative(SRC, join(file, '..', spec)).split('/');
        const to = target[0] as string;
        if (to === from) continue;
        assert.ok(
          (LAYERS[to] ?? 99) < (LAYERS[from] ?? -1),
          `${relative(SRC, file)} imports ${spec}: ${from} (layer ${LAYERS[from]}) may not depend on ${to} (layer ${LAYERS[to]})`,
        );
        assert.ok(
          (FACES[to] ?? ['index.ts']).includes(target.slice(1).join('/')),
          `${relative(SRC, file)} reaches past the public face of src/${to}: ${spec}`,
        );
      }
    }
  });

  it('the Trust Center (src/web) reaches Verity only through the SDK', () => {
    for (const file of all.filter((f) => relative(SRC, f).startsWith('web/'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
        const to = relative(SRC, join(file, '..', m[1] as string)).split('/')[0];
        assert.ok(
          to === 'web' || to === 'sdk',
          `${relative(SRC, file)} imports ${m[1]}: the web app may use only the SDK`,
        );
      }
    }
  });

  it('has no `export *` barrels', () => {
    for (const file of all)
      assert.ok(!/export \* from/.test(readFileSync(file, 'utf8')), `${relative(SRC, file)} uses export *`);
  });
});
