// The release manifest of secure boot (FGMV-46 7.3.3): which files a Verity server loads (its code,
// its dependencies, its policies and its configuration) with the SHA-256 of each, signed by the
// release's root key as a C2SP signed note; and the measured-boot chain computed over it.
//
// INVARIANT: this module imports Node.js built-ins only. It runs before any other Verity module or
// dependency is loaded (src/boot/bootstrap.ts), so it cannot use src/note, src/encoding or
// src/errors: the few lines of signed-note verification below are written by hand against
// node:crypto (C2SP signed-note, Ed25519 only), and src/note's own verifier checks the same notes in
// the tests. Errors are plain `BootFailure`s carrying a code of the one table (a type-only import,
// erased before the module runs).

import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../errors/index.ts';

/** First line of a release manifest. */
export const RELEASE_FORMAT = 'verity-release/1';
/** The groups of files a manifest covers, in the order the measured boot extends them. */
export const GROUPS = ['code', 'dependencies', 'policies', 'configuration'] as const;
export type FileGroup = (typeof GROUPS)[number];
/** The manifest's default place: at the top of the release it describes. */
export const DEFAULT_MANIFEST = 'verity-release.note';
/** Paths under the data directory are written `@data/...` in a manifest. */
export const DATA_PREFIX = '@data/';

/** Largest manifest read (a checkout with its production dependencies has about 8,000 files, 1 MB). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** Most files one manifest lists. */
export const MAX_FILES = 200_000;

/** One file of a release: a regular file (`file`, SHA-256 of its bytes) or a symbolic link (`link`, SHA-256 of its target). */
export interface ReleaseFile {
  readonly kind: 'file' | 'link';
  readonly group: FileGroup;
  /** Lowercase hex SHA-256. */
  readonly digest: string;
  /** Relative, `/`-separated; `@data/...` for the data directory. */
  readonly path: string;
}

/** A release manifest: its version, the directories it covers whole, and every file. */
export interface ReleaseManifest {
  readonly version: string;
  /** Directories in which a file the manifest does not list is refused. */
  readonly covers: readonly { readonly group: FileGroup; readonly path: string }[];
  readonly files: readonly ReleaseFile[];
}

/** Why secure boot refused: a code of the table, a message, and the file concerned. */
export class BootFailure extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  constructor(code: ErrorCode, message: string, file?: string) {
    super(message);
    this.name = 'BootFailure';
    this.code = code;
    this.file = file;
  }
  /** The shape every Verity error prints: `{"error":{"code","message"}}`. */
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** SHA-256, lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/** A path as a manifest may write it: relative, `/`-separated, no `.`/`..`/empty segment, printable. */
export function isManifestPath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || /[\u0000-\u001f\u007f\\]/.test(path)) return false;
  const rest = path.startsWith(DATA_PREFIX) ? path.slice(DATA_PREFIX.length) : path;
  return rest.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && !rest.startsWith('@');
}

/** Where a manifest path is on disk. */
export function resolvePath(path: string, root: string, data: string | undefined): string {
  if (!path.startsWith(DATA_PREFIX)) return join(root, path);
  if (data === undefined)
    throw new BootFailure(
      'VERITY_E_BOOT_MANIFEST_INVALID',
      `the release manifest covers the data directory (${path}); start with --data DIR`,
      path,
    );
  return join(data, path.slice(DATA_PREFIX.length));
}

/** The manifest's text (the signed body of the note): sorted, one line per cover and file. */
export function manifestText(m: ReleaseManifest): string {
  const lines = [RELEASE_FORMAT, `version ${m.version}`];
  for (const c of [...m.covers].sort((a, b) => cmp(a.path, b.path))) lines.push(`cover ${c.group} ${c.path}`);
  for (const f of [...m.files].sort((a, b) => cmp(a.path, b.path)))
    lines.push(`${f.kind} ${f.group} ${f.digest} ${f.path}`);
  return `${lines.join('\n')}\n`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function invalid(what: string): BootFailure {
  return new BootFailure(
    'VERITY_E_BOOT_MANIFEST_INVALID',
    `the release manifest is malformed: ${what}; sign it again with \`verity release sign\``,
  );
}

function isGroup(g: string): g is FileGroup {
  return (GROUPS as readonly string[]).includes(g);
}

/** Parses a manifest's text (checked line by line, with caps: it is read before anything is trusted). */
export function parseManifestText(text: string): ReleaseManifest {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : [];
  if (lines[0] !== RELEASE_FORMAT) throw invalid(`the first line is not ${RELEASE_FORMAT}`);
  const v = /^version (.+)$/.exec(lines[1] ?? '');
  if (v === null || !VERSION_RE.test(v[1] as string)) throw invalid('the second line is not `version V`');
  if (lines.length > MAX_FILES + 1000) throw invalid(`more than ${MAX_FILES} files`);
  const covers: { group: FileGroup; path: string }[] = [];
  const files: ReleaseFile[] = [];
  const seen = new Set<string>();
  for (const line of lines.slice(2)) {
    const c = /^cover ([a-z]+) (.+)$/.exec(line);
    if (c !== null) {
      const [, group = '', path = ''] = c;
      if (!isGroup(group) || !isManifestPath(path))
        throw invalid(`bad cover line ${JSON.stringify(line.slice(0, 80))}`);
      covers.push({ group, path });
      continue;
    }
    const f = /^(file|link) ([a-z]+) ([0-9a-f]{64}) (.+)$/.exec(line);
    const [, kind, group = '', digest = '', path = ''] = f ?? [];
    if (f === null || !isGroup(group) || !HEX64.test(digest) || !isManifestPath(path))
      throw invalid(`bad line ${JSON.stringify(line.slice(0, 80))}`);
    if (seen.has(path)) throw invalid(`${JSON.stringify(path.slice(0, 80))} is listed twice`);
    seen.add(path);
    files.push({ kind: kind as 'file' | 'link', group, digest, path });
  }
  return { version: (v[1] as string).trim(), covers, files };
}

/** Every regular file and link under `dir` (depth-first, sorted), as manifest paths under `prefix`. */
export function walk(dir: string, prefix: string, out: string[] = [], depth = 0): string[] {
  if (depth > 64) throw new BootFailure('VERITY_E_BOOT_FILE_ADDED', `directories nested too deep at ${prefix}`, prefix);
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => cmp(a.name, b.name));
  for (const e of entries) {
    const path = `${prefix}/${e.name}`;
    if (e.isDirectory()) walk(join(dir, e.name), path, out, depth + 1);
    else out.push(path);
  }
  return out;
}

/** A file's entry as it is on disk now: its kind and digest (undefined when absent). */
export function fileOnDisk(abs: string): { kind: 'file' | 'link' | 'other'; digest: string } | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return { kind: 'link', digest: sha256Hex(readlinkSync(abs, 'utf8')) };
  if (st.isFile()) return { kind: 'file', digest: sha256Hex(readFileSync(abs)) };
  return { kind: 'other', digest: '' };
}

/** The pinned root key: a C2SP signed-note verifier key `name+hash+base64(0x01 || key)`. */
export interface RootKey {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly key: ReturnType<typeof createPublicKey>;
  readonly text: string;
}

/** Parses the root key (a verifier key string); VERITY_E_BOOT_ROOT_INVALID when it is not one. */
export function parseRootKey(text: string): RootKey {
  const fail = (what: string) =>
    new BootFailure(
      'VERITY_E_BOOT_ROOT_INVALID',
      `the release root key ${what}; give the line \`verity release keygen\` printed`,
    );
  const s = text.trim();
  const m = /^([^\s+]{1,128})\+([0-9a-f]{8})\+([A-Za-z0-9+/]{43}[A-Za-z0-9+/=])$/.exec(s);
  if (m === null) throw fail('is not a verifier key name+hash+key');
  const [, name = '', hash = '', b64 = ''] = m;
  const raw = Buffer.from(b64, 'base64');
  if (raw.byteLength !== 33 || raw[0] !== 0x01) throw fail('is not an Ed25519 signed-note key');
  const pub = raw.subarray(1);
  // C2SP signed-note: key hash = SHA-256(name || "\n" || 0x01 || key)[:4].
  const keyHash = createHash('sha256').update(`${name}\n`).update(raw).digest().subarray(0, 4);
  if (keyHash.toString('hex') !== hash) throw fail('has a key hash that does not match its name and key');
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
    return { name, keyHash, key, text: s };
  } catch {
    throw fail('is not a valid Ed25519 public key');
  }
}

/**
 * Opens the manifest note (attacker-controlled until verified): C2SP signed-note, its text and a
 * signature line `— name base64(keyHash || signature)` by the root key over the text. Returns the
 * text; VERITY_E_BOOT_SIGNATURE_INVALID when no valid signature by the root key is there.
 */
export function openManifestNote(note: Buffer, root: RootKey): string {
  if (note.byteLength > MAX_MANIFEST_BYTES) throw invalid(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  const s = note.toString('utf8');
  if (!s.isWellFormed() || Buffer.byteLength(s) !== note.byteLength) throw invalid('not UTF-8 text');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw invalid('no signature block');
  const text = s.slice(0, split + 1);
  const sigs = s.slice(split + 2);
  if (!sigs.endsWith('\n')) throw invalid('the signature block does not end with a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > 100) throw invalid('more than 100 signatures');
  const msg = Buffer.from(text, 'utf8');
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m === null) throw invalid('a signature line is not `— name signature`');
    if (m[1] !== root.name) continue;
    const blob = Buffer.from(m[2] as string, 'base64');
    if (blob.byteLength !== 68 || !blob.subarray(0, 4).equals(root.keyHash)) continue;
    if (verifySignature(null, msg, root.key, blob.subarray(4))) return text;
    throw new BootFailure(
      'VERITY_E_BOOT_SIGNATURE_INVALID',
      'the release manifest signature by the root key is not valid: the manifest was changed; sign the release again',
    );
  }
  throw new BootFailure(
    'VERITY_E_BOOT_SIGNATURE_INVALID',
    `the release manifest is not signed by the pinned root key ${root.name}: wrong root key, or a manifest signed by another key`,
  );
}

/** One event of the measured boot: what was measured and its digest (lowercase hex SHA-256). */
export interface BootEvent {
  readonly type: 'manifest' | FileGroup;
  readonly digest: string;
}

/** The measured boot: its event log and the chain's final value (like a TPM PCR). */
export interface Measurement {
  readonly version: string;
  readonly events: readonly BootEvent[];
  /** SHA-256 of the event log's lines `type digest\n`. */
  readonly eventLogDigest: string;
  /** h0 = 32 zero bytes; h = SHA-256(h || SHA-256(`verity-boot/1 type digest`)) per event. */
  readonly value: string;
}

/** A group's digest: SHA-256 over its manifest lines `kind digest path\n`, in path order. */
export function groupDigest(files: readonly ReleaseFile[], group: FileGroup): string {
  const h = createHash('sha256');
  for (const f of [...files].filter((x) => x.group === group).sort((a, b) => cmp(a.path, b.path)))
    h.update(`${f.kind} ${f.digest} ${f.path}\n`);
  return h.digest('hex');
}

/**
 * The measured boot over a verified manifest: the manifest text first, then each group of files
 * in the order they are loaded (code, dependencies, policies, configuration). Computable by the
 * signer from the manifest alone, so `verity release sign` prints the reference value.
 */
export function measure(text: string, m: ReleaseManifest): Measurement {
  const events: BootEvent[] = [{ type: 'manifest', digest: sha256Hex(text) }];
  for (const g of GROUPS) events.push({ type: g, digest: groupDigest(m.files, g) });
  let h: Buffer = Buffer.alloc(32);
  for (const e of events) {
    const ed = createHash('sha256').update(`verity-boot/1 ${e.type} ${e.digest}`).digest();
    h = createHash('sha256').update(h).update(ed).digest();
  }
  return {
    version: m.version,
    events,
    eventLogDigest: sha256Hex(events.map((e) => `${e.type} ${e.digest}\n`).join('')),
    value: h.toString('hex'),
  };
}

/** What secure boot checks: the checkout, the data directory, the signed manifest and the pinned root key. */
export interface ReleaseCheck {
  /** The release's root directory (the checkout: bin/, src/, node_modules/...). */
  readonly root: string;
  readonly data?: string | undefined;
  readonly note: Buffer;
  readonly rootKey: RootKey;
}

/** A verified release: its manifest, the absolute path of each file to its entry, and the measurement. */
export interface VerifiedRelease {
  readonly manifest: ReleaseManifest;
  readonly byPath: ReadonlyMap<string, ReleaseFile>;
  readonly measurement: Measurement;
}

/**
 * Secure boot's check, before anything is loaded: the manifest's signature by the pinned root key,
 * then every listed file's hash (a changed or missing file is refused, named), then every covered
 * directory (a file the manifest does not list is refused, named).
 */
export function verifyRelease(c: ReleaseCheck): VerifiedRelease {
  const text = openManifestNote(c.note, c.rootKey);
  const manifest = parseManifestText(text);
  const byPath = new Map<string, ReleaseFile>();
  for (const f of manifest.files) {
    const abs = resolvePath(f.path, c.root, c.data);
    const now = fileOnDisk(abs);
    if (now === undefined)
      throw new BootFailure('VERITY_E_BOOT_FILE_MISSING', `${f.path} is in the release manifest but missing`, f.path);
    if (now.kind !== f.kind || now.digest !== f.digest)
      throw new BootFailure(
        'VERITY_E_BOOT_FILE_CHANGED',
        `${f.path} differs from the signed release manifest; restore it or sign a new release`,
        f.path,
      );
    byPath.set(abs, f);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const cover of manifest.covers) {
    const abs = resolvePath(cover.path, c.root, c.data);
    let found: string[];
    try {
      found = walk(abs, cover.path);
    } catch (e) {
      if (e instanceof BootFailure) throw e;
      throw new BootFailure(
        'VERITY_E_BOOT_FILE_MISSING',
        `${cover.path} is covered by the release manifest but missing`,
        cover.path,
      );
    }
    for (const p of found)
      if (!listed.has(p))
        throw new BootFailure(
          'VERITY_E_BOOT_FILE_ADDED',
          `${p} is not in the signed release manifest; remove it or sign a new release`,
          p,
        );
  }
  return { manifest, byPath, measurement: measure(text, manifest) };
}

/** What `verity release sign` covers. */
export interface CollectOptions {
  readonly root: string;
  readonly version: string;
  /** The data directory whose policies and configuration the release pins. */
  readonly data?: string | undefined;
}

/**
 * The production dependencies a server loads: every package of package-lock.json that is neither a
 * development dependency nor a workspace link, keeping only the outermost of nested ones (a
 * covered directory covers what is inside it).
 */
export function productionPackages(lockText: string): string[] {
  const lock = JSON.parse(lockText) as {
    packages?: Record<string, { dev?: boolean; link?: boolean; devOptional?: boolean }>;
  };
  const dirs = Object.entries(lock.packages ?? {})
    .filter(([k, v]) => k.startsWith('node_modules/') && v.dev !== true && v.devOptional !== true && v.link !== true)
    .map(([k]) => k);
  return dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`))).sort(cmp);
}

/**
 * Lists a release: code (bin/, scripts/, src/, dist/ when built, package.json and its lockfile),
 * the production dependencies (each package directory), and with `data` the policies
 * (`policies/`) and configuration (`verity.json`) of that data directory. Directories are covered
 * whole; files are hashed as they are now.
 */
export function collectRelease(o: CollectOptions): ReleaseManifest {
  const covers: { group: FileGroup; path: string }[] = [];
  const files: ReleaseFile[] = [];
  const add = (group: FileGroup, path: string) => {
    const now = fileOnDisk(resolvePath(path, o.root, o.data));
    if (now === undefined || now.kind === 'other')
      throw new BootFailure('VERITY_E_BOOT_FILE_MISSING', `${path} is not a file or a link`, path);
    files.push({ kind: now.kind, group, digest: now.digest, path });
  };
  const cover = (group: FileGroup, path: string) => {
    covers.push({ group, path });
    for (const p of walk(resolvePath(path, o.root, o.data), path)) add(group, p);
  };
  for (const d of ['bin', 'scripts', 'src', 'dist']) if (dirExists(join(o.root, d))) cover('code', d);
  for (const f of ['package.json', 'package-lock.json']) add('code', f);
  for (const d of productionPackages(readFileSync(join(o.root, 'package-lock.json'), 'utf8')))
    if (dirExists(join(o.root, d))) cover('dependencies', d);
  if (o.data !== undefined) {
    cover('policies', `${DATA_PREFIX}policies`);
    add('configuration', `${DATA_PREFIX}verity.json`);
  }
  return { version: o.version, covers, files };
}

function dirExists(abs: string): boolean {
  try {
    return lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}
