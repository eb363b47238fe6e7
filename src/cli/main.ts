/**
 * The `verity` command. The only place (with the server, later) that reads the environment and
 * files: it resolves the configuration once and hands explicit values to the libraries.
 *
 * Exit codes: 0 success; 1 the operation failed or a verification was invalid; 2 usage error or
 * malformed input.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICIES, PolicyEngine, runPolicyTable } from '../access/index.ts';
import { anonymize, type Hierarchy, parseHierarchy, parseTable } from '../anonymize/index.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { Deid, type DpQuery } from '../deid/index.ts';
import { initDataDir, openDataDir, openDataDirReadOnly, readPolicies } from '../embedded/index.ts';
import { fromBase64, fromHex, fromUtf8, parseJson, toBase64 } from '../encoding/index.ts';
import { ConfigError, InputError, isVerityError, KeyError, type VerityError } from '../errors/index.ts';
import { FF1 } from '../fpe/index.ts';
import type { KeySecret } from '../keys/index.ts';
import { checkCheckpointAdvance, checkProofCase, parseProofCase, verifyLogStorage } from '../log/index.ts';
import { openNote, parseCheckpoint, parseVerifierKey } from '../note/index.ts';
import { MAX_SCAN_CHARS, mask as maskPii, redact as redactPii, scan as scanPii } from '../pii/index.ts';
import { Sessions, Tokens } from '../principals/index.ts';
import { VerityClient } from '../sdk/index.ts';
import { buildServer, checkCorsOrigins, type ServerOptions } from '../server/index.ts';
import type { LifecycleState } from '../store/index.ts';
import { out, outJson, readInput, readStdin } from './io.ts';

const USAGE = `usage: verity <command> [options]

  init --data DIR [--postgres URL --pg-schema NAME] [--origin ORIGIN] [--strict-types]
  start --data DIR [--host H] [--port P] open (or create) a store, verify it, serve HTTP, enforce retention
  serve --data DIR [--host H] [--port P] [--tls-cert F --tls-key F | --tls-self-signed] [--tls-client-ca F]
        [--cors-origin URL]...           serve the API (default 127.0.0.1:8080; plain HTTP on loopback only,
                                         HTTPS with a certificate, mutual TLS with a client CA; browsers on the
                                         given web origins may call it)
  (records put|get also take --url URL [--token T] [--key VKEY] to go through a server, verified)
  records put --data DIR --subject ID --type TYPE --purpose P [--id ID] [--category C]
              [--sensitivity S] [--source SRC] [--captured] [--lineage ID,...] [--retain-until TIME] < data.json
  records get --data DIR --purpose P [--version N] ID
  records history --data DIR --purpose P ID
  records list --data DIR --purpose P --subject ID [--limit N] [--after ID]
  records transition --data DIR --purpose P --to STATE ID
  records erase --data DIR --purpose P ID
  records sweep --data DIR                 erase records past their retention deadline
  subjects shred --data DIR --purpose P --subject ID [--no-rotate]
  deid pseudonymize --data DIR --domain D [--purpose P] < values   one pseudonym per input line
  deid rotate --data DIR --domain D      start a new pseudonym key version for the domain
  deid tokenize --data DIR --subject ID --domain D VALUE     seal VALUE in the vault, print its token
  deid detokenize --data DIR --purpose P TOKEN                the value behind a token (audited)
  deid fpe-encrypt|fpe-decrypt --data DIR --key NAME --radix N [--tweak HEX] VALUE
                                         FF1 under a named key in the data directory's KeyStore (audited)
  anonymize --input T.csv --qi A,B --k K [--l L --sensitive S] [--suppress F] --hierarchy COL=FILE...
                                         k-anonymity with l-diversity; table on stdout, report on stderr
  dp create --data DIR --name N --epsilon E [--delta D] < numbers    a private dataset with its budget
  dp query --data DIR --name N --query count|sum|mean|histogram|quantile --epsilon E [--lower L --upper U
           --edges A,B,... --q Q --delta D --mechanism laplace|gaussian]   a noisy answer, charged
  pii scan [--min-score S] < lines.jsonl  {"text":...} per line in; {"entities":[{type,start,end,score}]} per line out
  pii redact [--operator redact|mask]    the same, with the redacted "text"
  fpe encrypt|decrypt --key HEX [--tweak HEX] --radix N [--alphabet CHARS] VALUE
                                         FF1 format-preserving encryption (NIST SP 800-38G)
  subjects guardianship --data DIR --subject ID [--minor] [--guardian ID]...
                                         record a minor and their guardians (none: not a minor)
  keys rotate --data DIR [--destroy-retired]
  keys list --data DIR
  types add --data DIR --type TYPE FILE|-   register the JSON Schema of a record type
  types list --data DIR
  log key --data DIR
  log checkpoint --data DIR
  log prove-inclusion --data DIR --index I [--size N]
  log prove-consistency --data DIR --from M [--to N]
  log entries --data DIR --from M [--to N]
  log tile --data DIR PATH               a C2SP tlog-tiles resource, raw bytes on stdout
  log verify --data DIR [--trusted CHECKPOINT_FILE]
  log verify-note --key VKEY FILE|-
  log verify-proof FILE|-

Secrets come from the environment: VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE
(32 random bytes, raw, hex or base64). --data may be given as VERITY_DATA.`;

class UsageError extends InputError {}

function usage(message: string): never {
  throw new UsageError('VERITY_E_INPUT_INVALID', `${message}; run \`verity help\` for usage`);
}

type Values = Record<string, string | boolean | undefined>;

function parse(
  args: string[],
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
  positionals = 0,
): { values: Values; positionals: string[] } {
  let r: { values: Values; positionals: string[] };
  try {
    r = parseArgs({
      args,
      options: { data: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' }, ...options },
      allowPositionals: true,
      strict: true,
    }) as {
      values: Values;
      positionals: string[];
    };
  } catch (e) {
    usage((e as Error).message.split('\n')[0]?.toLowerCase() ?? 'bad arguments');
  }
  if (r.positionals.length !== positionals) usage(`expected ${positionals} argument(s), got ${r.positionals.length}`);
  return r;
}

function str(v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || x.length === 0) usage(`--${name} is required`);
  return x;
}

function opt(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

function int(v: Values, name: string, required: true): number;
function int(v: Values, name: string, required: false): number | undefined;
function int(v: Values, name: string, required: boolean): number | undefined {
  const x = v[name];
  if (x === undefined) {
    if (required) usage(`--${name} is required`);
    return undefined;
  }
  if (typeof x !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(x) || !Number.isSafeInteger(Number(x)))
    usage(`--${name} must be a non-negative integer`);
  return Number(x);
}

function dataDir(v: Values): string {
  const d = opt(v, 'data') ?? process.env['VERITY_DATA'];
  if (d === undefined || d === '') usage('--data DIR is required (or set VERITY_DATA)');
  return d;
}

async function secretFromEnv(): Promise<KeySecret> {
  const env = process.env;
  if (env['VERITY_PASSPHRASE'] !== undefined && env['VERITY_PASSPHRASE'] !== '')
    return { passphrase: env['VERITY_PASSPHRASE'] };
  if (env['VERITY_PASSPHRASE_FILE']) {
    const text = fromUtf8(await readInput(env['VERITY_PASSPHRASE_FILE'], 4096), 'passphrase file').replace(
      /\r?\n$/,
      '',
    );
    if (text === '') throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the file named by VERITY_PASSPHRASE_FILE is empty');
    return { passphrase: text };
  }
  if (env['VERITY_KEY_FILE']) {
    const raw = await readInput(env['VERITY_KEY_FILE'], 4096);
    if (raw.byteLength === 32) return { masterKey: raw };
    const text = fromUtf8(raw, 'key file').trim();
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text) : fromBase64(text, 'key file');
    if (key.byteLength !== 32)
      throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the key file must hold 32 bytes (raw, hex or base64)');
    return { masterKey: key };
  }
  throw new KeyError(
    'VERITY_E_KEY_PASSPHRASE',
    'no key store secret: set VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE',
  );
}

/**
 * The SDK client when `--url` is given: the token from `--token` or VERITY_TOKEN, the log key
 * (for verifying reads) from `--key` or VERITY_LOG_KEY.
 */
function sdkFor(values: Values): VerityClient | undefined {
  const url = opt(values, 'url');
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(url)) usage('--url must be an http(s) URL');
  const token = opt(values, 'token') ?? process.env['VERITY_TOKEN'];
  const key = opt(values, 'key') ?? process.env['VERITY_LOG_KEY'];
  if (key === undefined || key === '')
    usage('--key VKEY (or VERITY_LOG_KEY) is required with --url: reads are verified against the log key');
  return new VerityClient({ url, verifierKey: key, ...(token === undefined ? {} : { token }) });
}

function actor(): string {
  return 'operator:cli';
}

async function withVerity<T>(v: Values, fn: (x: Awaited<ReturnType<typeof openDataDir>>) => Promise<T>): Promise<T> {
  const verity = await openDataDir(dataDir(v), { secret: await secretFromEnv() });
  try {
    return await fn(verity);
  } finally {
    await verity.close();
  }
}

async function withLog<T>(
  v: Values,
  fn: (x: Awaited<ReturnType<typeof openDataDirReadOnly>>) => Promise<T>,
): Promise<T> {
  const ro = await openDataDirReadOnly(dataDir(v));
  try {
    return await fn(ro);
  } finally {
    await ro.close();
  }
}

async function cmdInit(args: string[]): Promise<number> {
  const { values } = parse(args, {
    postgres: { type: 'string' },
    'pg-schema': { type: 'string' },
    origin: { type: 'string' },
    'strict-types': { type: 'boolean' },
  });
  const pg = opt(values, 'postgres');
  const config = await initDataDir(dataDir(values), {
    secret: await secretFromEnv(),
    ...(pg === undefined ? {} : { postgres: { connectionString: pg, schema: opt(values, 'pg-schema') ?? 'verity' } }),
    ...(opt(values, 'origin') === undefined ? {} : { origin: opt(values, 'origin') as string }),
    unknownTypes: values['strict-types'] === true ? 'reject' : 'generic',
  });
  await outJson({
    data: dataDir(values),
    origin: config.origin,
    verifierKey: config.verifierKey,
    store: config.store.kind,
  });
  return 0;
}

async function cmdRecords(sub: string | undefined, args: string[]): Promise<number> {
  switch (sub) {
    case 'put': {
      const { values } = parse(args, {
        subject: { type: 'string' },
        type: { type: 'string' },
        purpose: { type: 'string' },
        id: { type: 'string' },
        category: { type: 'string' },
        sensitivity: { type: 'string' },
        source: { type: 'string' },
        captured: { type: 'boolean' },
        lineage: { type: 'string' },
        'retain-until': { type: 'string' },
        key: { type: 'string' },
      });
      const subject = str(values, 'subject');
      const type = str(values, 'type');
      const purpose = str(values, 'purpose');
      const data = parseJson(await readStdin(), { maxBytes: 1024 * 1024, maxDepth: 32 }, 'record JSON on stdin');
      const category = opt(values, 'category');
      const sensitivity = opt(values, 'sensitivity');
      const lineage = opt(values, 'lineage');
      const remote = sdkFor(values);
      if (remote !== undefined) {
        const id = opt(values, 'id');
        await outJson(await remote.putRecord({ subject, type, purpose, data, ...(id === undefined ? {} : { id }) }));
        return 0;
      }
      const r = await withVerity(values, (v) =>
        v.vault.put({
          actor: actor(),
          subject,
          type,
          purpose,
          data,
          ...(opt(values, 'id') === undefined ? {} : { id: opt(values, 'id') as string }),
          ...(category === undefined && sensitivity === undefined
            ? {}
            : {
                classification: {
                  ...(category === undefined ? {} : { category }),
                  ...(sensitivity === undefined ? {} : { sensitivity: sensitivity as 'public' }),
                },
              }),
          ...(opt(values, 'source') === undefined ? {} : { source: opt(values, 'source') as string }),
          ...(values['captured'] === true ? { origin: 'captured' as const } : {}),
          ...(lineage === undefined ? {} : { lineage: lineage.split(',').filter((s) => s !== '') }),
          ...(opt(values, 'retain-until') === undefined ? {} : { retainUntil: opt(values, 'retain-until') as string }),
        }),
      );
      await outJson(r);
      return 0;
    }
    case 'get': {
      const { values, positionals } = parse(
        args,
        { purpose: { type: 'string' }, version: { type: 'string' }, key: { type: 'string' } },
        1,
      );
      const version = int(values, 'version', false);
      const remote = sdkFor(values);
      if (remote !== undefined) {
        // Verified client-side: the proof, its signed checkpoint and the entry it proves.
        const rec = await remote.getRecord(positionals[0] as string, {
          purpose: str(values, 'purpose'),
          ...(version === undefined ? {} : { version }),
        });
        await outJson({
          data: rec.data,
          meta: rec.meta,
          verified: { treeSize: rec.checkpoint.size, origin: rec.checkpoint.origin },
        });
        return 0;
      }
      const r = await withVerity(values, (v) =>
        v.vault.get(positionals[0] as string, {
          actor: actor(),
          purpose: str(values, 'purpose'),
          ...(version === undefined ? {} : { version }),
        }),
      );
      await outJson(r);
      return 0;
    }
    case 'history': {
      const { values, positionals } = parse(args, { purpose: { type: 'string' } }, 1);
      await outJson(
        await withVerity(values, (v) =>
          v.vault.history(positionals[0] as string, { actor: actor(), purpose: str(values, 'purpose') }),
        ),
      );
      return 0;
    }
    case 'list': {
      const { values } = parse(args, {
        purpose: { type: 'string' },
        subject: { type: 'string' },
        limit: { type: 'string' },
        after: { type: 'string' },
      });
      const limit = int(values, 'limit', false);
      const after = opt(values, 'after');
      await outJson(
        await withVerity(values, (v) =>
          v.vault.listBySubject(str(values, 'subject'), {
            actor: actor(),
            purpose: str(values, 'purpose'),
            ...(limit === undefined ? {} : { limit }),
            ...(after === undefined ? {} : { after }),
          }),
        ),
      );
      return 0;
    }
    case 'transition': {
      const { values, positionals } = parse(args, { purpose: { type: 'string' }, to: { type: 'string' } }, 1);
      await outJson(
        await withVerity(values, (v) =>
          v.vault.transition(positionals[0] as string, str(values, 'to') as LifecycleState, {
            actor: actor(),
            purpose: str(values, 'purpose'),
          }),
        ),
      );
      return 0;
    }
    case 'erase': {
      const { values, positionals } = parse(args, { purpose: { type: 'string' } }, 1);
      await outJson(
        await withVerity(values, (v) =>
          v.vault.erase(positionals[0] as string, { actor: actor(), purpose: str(values, 'purpose') }),
        ),
      );
      return 0;
    }
    case 'sweep': {
      const { values } = parse(args, {});
      const erased = await withVerity(values, (v) => v.vault.sweepExpired({ actor: actor(), purpose: 'retention' }));
      await outJson({ erased });
      return 0;
    }
    default:
      usage(`unknown command \`records ${sub ?? ''}\``);
  }
}

async function cmdSubjects(sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'guardianship') {
    const { values } = parse(args, {
      purpose: { type: 'string' },
      subject: { type: 'string' },
      minor: { type: 'boolean' },
      guardian: { type: 'string', multiple: true },
    });
    const guardians = (values['guardian'] as string[] | undefined) ?? [];
    const r = await withVerity(values, (v) =>
      v.vault.setGuardianship(
        str(values, 'subject'),
        { minor: values['minor'] === true, guardians },
        { actor: actor(), purpose: typeof values['purpose'] === 'string' ? values['purpose'] : 'guardianship' },
      ),
    );
    await outJson(r);
    return 0;
  }
  if (sub !== 'shred') usage(`unknown command \`subjects ${sub ?? ''}\``);
  const { values } = parse(args, {
    purpose: { type: 'string' },
    subject: { type: 'string' },
    'no-rotate': { type: 'boolean' },
  });
  const r = await withVerity(values, (v) =>
    v.vault.shredSubject(str(values, 'subject'), {
      actor: actor(),
      purpose: str(values, 'purpose'),
      rotate: values['no-rotate'] !== true,
    }),
  );
  await outJson(r);
  return 0;
}

/**
 * `verity fpe encrypt|decrypt --key HEX --tweak HEX --radix N [--alphabet CHARS] VALUE`: FF1 (NIST SP
 * 800-38G) with a raw AES key, as in the NIST samples; prints the result. No store is opened.
 */
async function cmdFpe(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'encrypt' && sub !== 'decrypt') usage(`unknown command \`fpe ${sub ?? ''}\``);
  const { values, positionals } = parse(
    args,
    { key: { type: 'string' }, tweak: { type: 'string' }, radix: { type: 'string' }, alphabet: { type: 'string' } },
    1,
  );
  const key = fromHex(str(values, 'key'), '--key');
  const tweak = fromHex(opt(values, 'tweak') ?? '', '--tweak');
  const f = new FF1(key, int(values, 'radix', true), opt(values, 'alphabet'));
  const value = positionals[0] as string;
  await out(sub === 'encrypt' ? f.encrypt(value, tweak) : f.decrypt(value, tweak));
  return 0;
}

/** Non-empty lines of standard input (values to de-identify), at most 64 MiB. */
async function stdinLines(): Promise<string[]> {
  const text = fromUtf8(await readStdin(64 * 1024 * 1024), 'standard input');
  return text.split('\n').filter((l, i, all) => l.length > 0 || i < all.length - 1);
}

/**
 * `verity deid pseudonymize|rotate|tokenize|detokenize`: the de-identification toolkit on a data
 * directory (keys in its KeyStore, every call audited in its log).
 */
async function cmdDeid(sub: string | undefined, args: string[]): Promise<number> {
  const fpe = sub === 'fpe-encrypt' || sub === 'fpe-decrypt';
  const { values, positionals } = parse(
    args,
    {
      domain: { type: 'string' },
      purpose: { type: 'string' },
      subject: { type: 'string' },
      key: { type: 'string' },
      radix: { type: 'string' },
      alphabet: { type: 'string' },
      tweak: { type: 'string' },
    },
    sub === 'tokenize' || sub === 'detokenize' || fpe ? 1 : 0,
  );
  const access = (fallback: string) => ({ actor: actor(), purpose: opt(values, 'purpose') ?? fallback });
  switch (sub) {
    case 'pseudonymize': {
      // One value per line in, one pseudonym per line out, in order.
      const lines = await stdinLines();
      const r = await withVerity(values, (v) =>
        new Deid(v).pseudonyms.pseudonymize(str(values, 'domain'), lines, access('analytics')),
      );
      await out(r.pseudonyms.join('\n'));
      return 0;
    }
    case 'rotate': {
      const r = await withVerity(values, (v) =>
        new Deid(v).pseudonyms.rotate(str(values, 'domain'), access('key-management')),
      );
      await outJson(r);
      return 0;
    }
    case 'tokenize': {
      const r = await withVerity(values, (v) =>
        new Deid(v).tokenize(
          str(values, 'subject'),
          positionals[0] as string,
          str(values, 'domain'),
          access('service-provision'),
        ),
      );
      await outJson(r);
      return 0;
    }
    case 'detokenize': {
      const r = await withVerity(values, (v) =>
        new Deid(v).detokenize(positionals[0] as string, access('legal-obligation')),
      );
      await outJson(r);
      return 0;
    }
    case 'fpe-encrypt':
    case 'fpe-decrypt': {
      // FF1 under a named key kept in the data directory's KeyStore; decryption is re-identification.
      const o = {
        radix: int(values, 'radix', true),
        ...(opt(values, 'alphabet') === undefined ? {} : { alphabet: opt(values, 'alphabet') as string }),
        ...(opt(values, 'tweak') === undefined ? {} : { tweak: fromHex(opt(values, 'tweak') as string, '--tweak') }),
      };
      const value = positionals[0] as string;
      const r = await withVerity(values, (v) =>
        sub === 'fpe-encrypt'
          ? new Deid(v).fpeEncrypt(str(values, 'key'), [value], o, access('service-provision'))
          : new Deid(v).fpeDecrypt(str(values, 'key'), [value], o, access('legal-obligation')),
      );
      await out(r.values[0] as string);
      return 0;
    }
    default:
      usage(`unknown command \`deid ${sub ?? ''}\``);
  }
}

/**
 * `verity pii scan` reads JSON Lines `{"text": ...}` on standard input and writes one JSON line per
 * input line: `{"entities": [{type, start, end, score}]}` (UTF-16 offsets, end exclusive).
 * `verity pii redact [--operator redact|mask]` writes `{"text": ..., "entities": [...]}` instead.
 * Lines are processed as they arrive (live chat); a line that is not such JSON gets
 * `{"entities": [], "error": {...}}` and the exit code is 1.
 */
async function cmdPii(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'scan' && sub !== 'redact') usage(`unknown command \`pii ${sub ?? ''}\``);
  const { values } = parse(args, { operator: { type: 'string' }, 'min-score': { type: 'string' } });
  const operator = opt(values, 'operator') ?? 'redact';
  if (operator !== 'redact' && operator !== 'mask') usage('--operator is redact or mask');
  const minScore = opt(values, 'min-score') === undefined ? 0.5 : Number(opt(values, 'min-score'));
  if (!(minScore >= 0 && minScore <= 1)) usage('--min-score is a number from 0 to 1');
  let failed = false;
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    let result: unknown;
    try {
      const v = parseJson(line, { maxBytes: MAX_SCAN_CHARS * 4, maxDepth: 8 }, 'input line') as { text?: unknown };
      if (typeof v !== 'object' || v === null || typeof v.text !== 'string')
        throw new InputError('VERITY_E_INPUT_INVALID', 'each input line is a JSON object with a string "text"');
      const found = scanPii(v.text, { minScore });
      const entities = found.map((f) => ({
        type: f.type,
        start: f.start,
        end: f.end,
        score: Math.round(f.score * 1000) / 1000,
      }));
      result =
        sub === 'scan'
          ? { entities }
          : { text: (operator === 'mask' ? maskPii(v.text, found) : redactPii(v.text, found)).text, entities };
    } catch (e) {
      failed = true;
      const err = isVerityError(e)
        ? (e as VerityError).toJSON().error
        : { code: 'VERITY_E_INTERNAL', message: String(e) };
      result = { entities: [], error: err };
    }
    if (!process.stdout.write(`${JSON.stringify(result)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
  }
  return failed ? 1 : 0;
}

/**
 * `verity anonymize --input T.csv --hierarchy COL=FILE ... --qi A,B --k K [--l L --sensitive S]
 * [--suppress F] [--separator ;]`: k-anonymity with l-diversity of a file; the released table on
 * standard output, the report (risk and loss) on standard error as JSON. No store is opened.
 */
async function cmdAnonymize(args: string[]): Promise<number> {
  const { values } = parse(args, {
    input: { type: 'string' },
    hierarchy: { type: 'string', multiple: true },
    qi: { type: 'string' },
    sensitive: { type: 'string' },
    k: { type: 'string' },
    l: { type: 'string' },
    suppress: { type: 'string' },
    separator: { type: 'string' },
  });
  const sep = opt(values, 'separator') ?? ';';
  const table = parseTable(fromUtf8(await readInput(str(values, 'input'), 256 * 1024 * 1024), 'input'), sep);
  const hierarchies: Record<string, Hierarchy> = {};
  for (const spec of (values['hierarchy'] as unknown as string[] | undefined) ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) usage('--hierarchy is COLUMN=FILE');
    hierarchies[spec.slice(0, eq)] = parseHierarchy(
      fromUtf8(await readInput(spec.slice(eq + 1), 64 * 1024 * 1024), 'hierarchy'),
      sep,
    );
  }
  const sensitive = opt(values, 'sensitive');
  const l = int(values, 'l', false);
  const suppress = opt(values, 'suppress');
  const r = anonymize(table, {
    quasiIdentifiers: str(values, 'qi').split(','),
    hierarchies,
    k: int(values, 'k', true),
    ...(sensitive === undefined ? {} : { sensitive }),
    ...(l === undefined ? {} : { l }),
    ...(suppress === undefined ? {} : { maxSuppression: Number(suppress) }),
  });
  await out([table.columns.join(sep), ...r.rows.map((row) => row.join(sep))].join('\n'));
  process.stderr.write(`${JSON.stringify(r.report)}\n`);
  return 0;
}

/**
 * `verity dp create --data DIR --name N --epsilon E [--delta D] < values` (one number per line) and
 * `verity dp query --data DIR --name N --query count|sum|mean|histogram|quantile --epsilon E
 * [--delta D --mechanism laplace|gaussian --lower L --upper U --edges A,B,C --q Q]`.
 */
async function cmdDp(sub: string | undefined, args: string[]): Promise<number> {
  const { values } = parse(args, {
    name: { type: 'string' },
    purpose: { type: 'string' },
    epsilon: { type: 'string' },
    delta: { type: 'string' },
    query: { type: 'string' },
    mechanism: { type: 'string' },
    lower: { type: 'string' },
    upper: { type: 'string' },
    edges: { type: 'string' },
    q: { type: 'string' },
  });
  const num = (name: string) => {
    const v = opt(values, name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) usage(`--${name} must be a number`);
    return n;
  };
  const access = { actor: actor(), purpose: opt(values, 'purpose') ?? 'analytics' };
  if (sub === 'create') {
    const lines = (await stdinLines()).filter((l) => l.trim().length > 0);
    const numbers = lines.map((l) => {
      const n = Number(l);
      if (!Number.isFinite(n)) usage(`not a number: ${JSON.stringify(l.slice(0, 40))}`);
      return n;
    });
    const r = await withVerity(values, (v) =>
      new Deid(v).datasets.create(
        str(values, 'name'),
        numbers,
        { epsilon: num('epsilon') ?? 1, delta: num('delta') ?? 0 },
        access,
      ),
    );
    await outJson(r);
    return 0;
  }
  if (sub !== 'query') usage(`unknown command \`dp ${sub ?? ''}\``);
  const q = {
    query: str(values, 'query'),
    epsilon: num('epsilon'),
    ...(num('delta') === undefined ? {} : { delta: num('delta') }),
    ...(opt(values, 'mechanism') === undefined ? {} : { mechanism: opt(values, 'mechanism') }),
    ...(num('lower') === undefined ? {} : { lower: num('lower') }),
    ...(num('upper') === undefined ? {} : { upper: num('upper') }),
    ...(num('q') === undefined ? {} : { q: num('q') }),
    ...(opt(values, 'edges') === undefined ? {} : { edges: (opt(values, 'edges') as string).split(',').map(Number) }),
  } as unknown as DpQuery;
  const r = await withVerity(values, (v) => new Deid(v).datasets.query(str(values, 'name'), q, access));
  await outJson(r);
  return 0;
}

async function cmdKeys(sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'rotate') {
    const { values } = parse(args, { 'destroy-retired': { type: 'boolean' } });
    await outJson(
      await withVerity(values, (v) =>
        v.vault.rotateKeys({ actor: actor(), purpose: 'security', destroyRetired: values['destroy-retired'] === true }),
      ),
    );
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(args, {});
    await outJson(
      await withVerity(values, async (v) => {
        const counts = await v.store.reader.countSubjectKeysByKek();
        return (await v.keys.listKeks()).map((k) => ({
          ...k,
          createdAt: new Date(k.createdAt).toISOString(),
          subjectKeys: counts.get(k.version) ?? 0,
        }));
      }),
    );
    return 0;
  }
  usage(`unknown command \`keys ${sub ?? ''}\``);
}

async function cmdTypes(sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'add') {
    const { values, positionals } = parse(args, { type: { type: 'string' } }, 1);
    const schema = parseJson(
      await readInput(positionals[0] as string, 256 * 1024),
      { maxBytes: 256 * 1024, maxDepth: 64 },
      'schema',
    );
    await outJson(
      await withVerity(values, (v) =>
        v.vault.registerSchema(str(values, 'type'), schema, { actor: actor(), purpose: 'administration' }),
      ),
    );
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(args, {});
    await outJson(
      await withLog(values, async ({ store }) =>
        (await store.reader.listSchemas()).map((s) => ({
          type: s.type,
          createdAt: new Date(s.createdAt).toISOString(),
          schema: JSON.parse(s.schema) as unknown,
        })),
      ),
    );
    return 0;
  }
  usage(`unknown command \`types ${sub ?? ''}\``);
}

async function cmdLog(sub: string | undefined, args: string[]): Promise<number> {
  switch (sub) {
    case 'key': {
      const { values } = parse(args, {});
      const config = await withLog(values, async ({ config }) => config);
      await out(config.verifierKey);
      return 0;
    }
    case 'checkpoint': {
      const { values } = parse(args, {});
      // The note already ends with a newline: print it byte for byte.
      const note = await withLog(values, ({ log }) => log.checkpoint());
      await new Promise<void>((r, j) => process.stdout.write(note, (e) => (e ? j(e) : r())));
      return 0;
    }
    case 'prove-inclusion': {
      const { values } = parse(args, { index: { type: 'string' }, size: { type: 'string' } });
      const index = int(values, 'index', true);
      const size = int(values, 'size', false);
      await outJson(await withLog(values, ({ log }) => log.inclusionProof(index, size)));
      return 0;
    }
    case 'prove-consistency': {
      const { values } = parse(args, { from: { type: 'string' }, to: { type: 'string' } });
      const from = int(values, 'from', true);
      const to = int(values, 'to', false);
      await outJson(await withLog(values, ({ log }) => log.consistencyProof(from, to)));
      return 0;
    }
    case 'entries': {
      const { values } = parse(args, { from: { type: 'string' }, to: { type: 'string' } });
      const from = int(values, 'from', true);
      const rows = await withLog(values, async ({ log }) => {
        const to = int(values, 'to', false) ?? Math.min((await log.head()).size, from + 100);
        if (to - from > 10_000) usage('at most 10000 entries at a time');
        return (await log.entries(from, to)).map((e, i) => {
          try {
            return { index: from + i, entry: decodeAuditEntry(e) };
          } catch {
            return { index: from + i, raw: toBase64(e) };
          }
        });
      });
      await outJson(rows);
      return 0;
    }
    case 'tile': {
      const { values, positionals } = parse(args, {}, 1);
      const bytes = await withLog(values, ({ log }) => log.readTile(positionals[0] as string));
      await new Promise<void>((r, j) => process.stdout.write(bytes, (e) => (e ? j(e) : r())));
      return 0;
    }
    case 'verify': {
      const { values } = parse(args, { trusted: { type: 'string' } });
      return withLog(values, async ({ log, store, config }) => {
        const report = await verifyLogStorage(store, log.verifier, config.origin);
        const result: Record<string, unknown> = { valid: true, ...report };
        const trusted = opt(values, 'trusted');
        if (trusted !== undefined) {
          const note = fromUtf8(await readInput(trusted, 64 * 1024), 'trusted checkpoint');
          const trustedSize = parseCheckpoint(openNote(note, [log.verifier]).text).size;
          const proof =
            trustedSize <= report.size ? (await log.consistencyProof(trustedSize)).proof.map((p) => fromBase64(p)) : [];
          checkCheckpointAdvance(note, await log.checkpoint(), proof, log.verifier, config.origin);
          result['consistentWith'] = trustedSize;
        }
        await outJson(result);
        return 0;
      });
    }
    case 'verify-note': {
      const { values, positionals } = parse(args, { key: { type: 'string' } }, 1);
      let verifier: ReturnType<typeof parseVerifierKey>;
      try {
        verifier = parseVerifierKey(str(values, 'key'));
      } catch (e) {
        throw new UsageError('VERITY_E_INPUT_MALFORMED', `--key: ${(e as Error).message}`);
      }
      const text = fromUtf8(await readInput(positionals[0] as string, 1024 * 1024), 'note');
      let opened: ReturnType<typeof openNote>;
      try {
        opened = openNote(text, [verifier]);
      } catch (e) {
        if (isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID')) {
          await outJson({ valid: false, reason: e.message });
          return 1;
        }
        throw asMalformed(e);
      }
      let cp: ReturnType<typeof parseCheckpoint>;
      try {
        cp = parseCheckpoint(opened.text);
      } catch (e) {
        throw asMalformed(e);
      }
      await outJson({
        valid: true,
        origin: cp.origin,
        size: cp.size,
        rootHash: toBase64(cp.rootHash),
        signer: verifier.name,
      });
      return 0;
    }
    case 'verify-proof': {
      const { positionals } = parse(args, {}, 1);
      const doc = parseJson(
        await readInput(positionals[0] as string),
        { maxBytes: 8 * 1024 * 1024, maxDepth: 8 },
        'proof input',
      );
      const cases = Array.isArray(doc) ? doc : [doc];
      if (cases.length === 0 || cases.length > 100_000)
        throw new UsageError('VERITY_E_INPUT_MALFORMED', 'expected 1 to 100000 proof cases');
      // Parse every case before printing anything: malformed input prints no verdicts.
      const parsed = cases.map((c, i) => {
        try {
          return parseProofCase(c);
        } catch (e) {
          throw new UsageError('VERITY_E_INPUT_MALFORMED', `case ${i}: ${(e as Error).message}`);
        }
      });
      let allValid = true;
      const lines = parsed.map((c) => {
        const r = checkProofCase(c);
        if (r.valid) return 'valid';
        allValid = false;
        return `invalid: ${r.reason}`;
      });
      await out(lines.join('\n'));
      return allValid ? 0 : 1;
    }
    default:
      usage(`unknown command \`log ${sub ?? ''}\``);
  }
}

function asMalformed(e: unknown): unknown {
  if (isVerityError(e)) return new UsageError('VERITY_E_INPUT_MALFORMED', e.message, { cause: e });
  return e;
}

async function cmdTokens(sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'create') {
    const { values } = parse(args, {
      principal: { type: 'string' },
      role: { type: 'string' },
      'record-types': { type: 'string' },
      'ttl-days': { type: 'string' },
    });
    const days = int(values, 'ttl-days', false);
    const types = opt(values, 'record-types');
    const r = await withVerity(values, (v) =>
      new Tokens(v.store, v.log).create({
        principal: str(values, 'principal'),
        role: str(values, 'role'),
        ...(types === undefined ? {} : { recordTypes: types.split(',').filter((t) => t !== '') }),
        ...(days === undefined ? {} : { ttlMs: days * 24 * 3600 * 1000 }),
        actor: actor(),
      }),
    );
    process.stderr.write(
      `verity: token ${r.info.id} for ${r.info.role}:${r.info.principal}, expires ${r.info.expiresAt}${r.info.role === 'service' && r.info.recordTypes.length === 0 ? '; it owns no record types, so the default policies permit it nothing (add --record-types)' : ''}\n`,
    );
    await out(r.token);
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(args, {});
    await outJson(await withVerity(values, (v) => new Tokens(v.store, v.log).list()));
    return 0;
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse(args, {}, 1);
    const found = await withVerity(values, (v) => new Tokens(v.store, v.log).revoke(positionals[0] as string, actor()));
    await outJson({ revoked: found });
    return found ? 0 : 1;
  }
  usage(`unknown command \`tokens ${sub ?? ''}\``);
}

async function cmdPolicy(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'test') usage(`unknown command \`policy ${sub ?? ''}\``);
  const { values, positionals } = parse(args, { policies: { type: 'string' } }, 1);
  const source =
    opt(values, 'policies') ?? (opt(values, 'data') === undefined ? undefined : `${opt(values, 'data')}/policies`);
  const engine = PolicyEngine.load(source === undefined ? DEFAULT_POLICIES : await readPolicies(source));
  const table = parseJson(
    await readInput(positionals[0] as string),
    { maxBytes: 8 * 1024 * 1024, maxDepth: 10 },
    'policy test table',
  );
  const results = runPolicyTable(engine, table);
  const lines = results.map((r) =>
    r.pass
      ? `ok   ${r.name}`
      : `FAIL ${r.name}: expected ${r.expected}, got ${r.actual}${r.errors.length > 0 ? ` (${r.errors.join('; ')})` : ''}`,
  );
  const failed = results.filter((r) => !r.pass).length;
  lines.push(`policy set ${engine.policyHash}`, `${results.length - failed} passed, ${failed} failed`);
  await out(lines.join('\n'));
  return failed === 0 ? 0 : 1;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the HTTP interface (loopback only: plain HTTP is refused elsewhere until TLS lands). */
async function listen(
  v: Awaited<ReturnType<typeof openDataDir>>,
  dir: string,
  host: string,
  port: number,
  tls?: ServerOptions['tls'],
  corsOrigins: readonly string[] = [],
): Promise<{ url: string; close(): Promise<void> }> {
  const policyDir = `${dir}/policies`;
  if (!existsSync(policyDir)) {
    // A data directory made before policies were files: give it the defaults, and say so.
    await mkdir(policyDir, { recursive: true, mode: 0o700 });
    await writeFile(`${policyDir}/verity.cedar`, DEFAULT_POLICIES, { mode: 0o600, flag: 'wx' });
    process.stderr.write(`verity: wrote the default policies to ${policyDir}/verity.cedar\n`);
  }
  const engine = PolicyEngine.load(await readPolicies(policyDir));
  // Policies are files: a change is picked up at once; an invalid set is refused and the last good one stays.
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(policyDir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      readPolicies(policyDir)
        .then((text) => {
          engine.reload(text);
          process.stderr.write(`verity: policies reloaded (${engine.policyHash})\n`);
        })
        .catch((e: unknown) => process.stderr.write(`verity: kept the last good policies: ${(e as Error).message}\n`));
    }, 100);
  });
  const app = buildServer({
    log: v.log,
    records: {
      vault: v.vault,
      tokens: new Tokens(v.store, v.log),
      sessions: new Sessions(v.keys),
      policies: () => engine,
    },
    deid: new Deid({ keys: v.keys, store: v.store, log: v.log, vault: v.vault }),
    ...(tls === undefined ? {} : { tls }),
    corsOrigins,
  });
  const url = await app.listen({ host, port });
  return {
    url,
    close: async () => {
      watcher.close();
      clearTimeout(timer);
      await app.close();
    },
  };
}

const TLS_OPTIONS = {
  'cors-origin': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  'tls-self-signed': { type: 'boolean' },
} as const;

function hostPort(values: Values): { host: string; port: number } {
  const host = opt(values, 'host') ?? '127.0.0.1';
  const port = int(values, 'port', false) ?? 8080;
  if (port > 65535) usage('--port must be at most 65535');
  const tls = opt(values, 'tls-cert') !== undefined || values['tls-self-signed'] === true;
  if (!LOOPBACK.has(host) && !tls) {
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `plain HTTP is only served on loopback; serve ${JSON.stringify(host).slice(0, 40)} with --tls-cert/--tls-key (or --tls-self-signed for development)`,
    );
  }
  return { host, port };
}

/**
 * TLS material from the options: a configured certificate and key (PEM files), or a self-signed
 * development certificate for localhost kept in DATA/tls/ (made once with the system's openssl).
 */
async function tlsFrom(values: Values, dir: string): Promise<ServerOptions['tls'] | undefined> {
  const certFile = opt(values, 'tls-cert');
  const keyFile = opt(values, 'tls-key');
  const caFile = opt(values, 'tls-client-ca');
  if ((certFile === undefined) !== (keyFile === undefined)) usage('--tls-cert and --tls-key go together');
  const ca = caFile === undefined ? {} : { clientCa: Buffer.from(await readInput(caFile, 1024 * 1024)) };
  if (certFile !== undefined && keyFile !== undefined) {
    return {
      cert: Buffer.from(await readInput(certFile, 1024 * 1024)),
      key: Buffer.from(await readInput(keyFile, 1024 * 1024)),
      ...ca,
    };
  }
  if (values['tls-self-signed'] !== true) {
    if (caFile !== undefined)
      usage('--tls-client-ca needs a server certificate (--tls-cert/--tls-key or --tls-self-signed)');
    return undefined;
  }
  const tlsDir = `${dir}/tls`;
  const cert = `${tlsDir}/dev-cert.pem`;
  const key = `${tlsDir}/dev-key.pem`;
  try {
    await readFile(cert);
  } catch {
    await mkdir(tlsDir, { recursive: true, mode: 0o700 });
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new ConfigError(
        'VERITY_E_CONFIG_INVALID',
        `could not make a development certificate with openssl (${(r.stderr ?? String(r.error ?? '')).trim().slice(0, 120)}); pass --tls-cert and --tls-key`,
      );
    await chmod(key, 0o600);
    process.stderr.write(
      `verity: made a self-signed development certificate in ${tlsDir}; clients must trust ${cert}\n`,
    );
  }
  return { cert: await readFile(cert), key: await readFile(key), ...ca };
}

/** Web origins allowed to call from browsers (`--cors-origin`, repeatable), checked before anything opens. */
function corsFrom(values: Values): string[] {
  const raw = values['cors-origin'] as unknown;
  return checkCorsOrigins(Array.isArray(raw) ? (raw as string[]) : []);
}

async function cmdServe(args: string[]): Promise<number> {
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, ...TLS_OPTIONS });
  const { host, port } = hostPort(values);
  const cors = corsFrom(values);
  const tls = await tlsFrom(values, dataDir(values));
  const v = await openDataDir(dataDir(values), { secret: await secretFromEnv() });
  const report = await verifyLogStorage(v.store, v.log.verifier, v.config.origin);
  const server = await listen(v, dataDir(values), host, port, tls, cors);
  await out(
    [
      `Verity is serving ${server.url}`,
      `log key:  ${v.config.verifierKey}`,
      `log size: ${report.size} entries, verified`,
    ].join('\n'),
  );
  await waitForSignal();
  await server.close();
  await v.close();
  return 0;
}

function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function cmdStart(args: string[]): Promise<number> {
  const { values } = parse(args, {
    'sweep-interval': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    ...TLS_OPTIONS,
  });
  const { host, port } = hostPort(values);
  const cors = corsFrom(values);
  const dir = dataDir(values);
  const secret = await secretFromEnv();
  try {
    await readFile(`${dir}/verity.json`);
  } catch {
    await initDataDir(dir, { secret });
    process.stderr.write(`verity: created a new embedded store in ${dir}\n`);
  }
  const v = await openDataDir(dir, { secret });
  const report = await verifyLogStorage(v.store, v.log.verifier, v.config.origin);
  const interval = (int(values, 'sweep-interval', false) ?? 60) * 1000;
  const server = await listen(v, dir, host, port, await tlsFrom(values, dir), cors);
  await out(
    [
      `Verity is running on the embedded store in ${dir}`,
      `serving:      ${server.url} (API description at ${server.url}/docs)`,
      `log origin:   ${v.config.origin}`,
      `log key:      ${v.config.verifierKey}`,
      `log size:     ${report.size} entries, verified (${report.tilesChecked} tiles checked)`,
      'checkpoint:',
      (await v.log.checkpoint()).trimEnd(),
      '',
      `try: echo '{"name":"Ada"}' | verity records put --data ${dir} --subject player-1 --type profile --purpose service-provision`,
      'press Ctrl+C to stop',
    ].join('\n'),
  );
  const sweep = async () => {
    try {
      const n = await v.vault.sweepExpired({ actor: 'system:retention', purpose: 'retention' });
      if (n > 0) process.stderr.write(`verity: retention erased ${n} record(s)\n`);
    } catch (e) {
      process.stderr.write(`verity: retention sweep failed: ${(e as Error).message}\n`);
    }
  };
  await sweep();
  const timer = setInterval(() => void sweep(), interval);
  await waitForSignal();
  clearInterval(timer);
  await server.close();
  await v.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'init':
      return cmdInit(argv.slice(1));
    case 'start':
      return cmdStart(argv.slice(1));
    case 'serve':
      return cmdServe(argv.slice(1));
    case 'records':
      return cmdRecords(sub, rest);
    case 'subjects':
      return cmdSubjects(sub, rest);
    case 'fpe':
      return cmdFpe(sub, rest);
    case 'deid':
      return cmdDeid(sub, rest);
    case 'pii':
      return cmdPii(sub, rest);
    case 'anonymize':
      return cmdAnonymize([...(sub === undefined ? [] : [sub]), ...rest]);
    case 'dp':
      return cmdDp(sub, rest);
    case 'keys':
      return cmdKeys(sub, rest);
    case 'types':
      return cmdTypes(sub, rest);
    case 'log':
      return cmdLog(sub, rest);
    case 'policy':
      return cmdPolicy(sub, rest);
    case 'tokens':
      return cmdTokens(sub, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      await out(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      usage(`unknown command ${JSON.stringify(cmd).slice(0, 40)}`);
  }
}

function report(e: unknown): number {
  if (isVerityError(e)) {
    const err = e as VerityError;
    process.stderr.write(`${JSON.stringify(err.toJSON())}\n`);
    return err instanceof UsageError || err.code === 'VERITY_E_INPUT_MALFORMED' ? 2 : 1;
  }
  // Unexpected: print the message only (never stack-dumped secrets), code INTERNAL.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${JSON.stringify({ error: { code: 'VERITY_E_INTERNAL', message: message.slice(0, 300) } })}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
