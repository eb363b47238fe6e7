// `verity doctor`: the installed dependency versions against security advisories in the OSV
// format (https://ossf.github.io/osv-schema/), so an operator sees what to patch. Versions are
// compared with `semver` (npm's own comparison); npm versions are SemVer, so OSV ranges of type
// SEMVER and ECOSYSTEM are read the same way.

import semver from 'semver';
import { parseJson } from '../encoding/index.ts';
import { quote, UpdateError } from '../errors/index.ts';

/** Largest advisory file read. */
export const MAX_ADVISORY_BYTES = 16 * 1024 * 1024;
const MAX_ADVISORIES = 100_000;
const MAX_EVENTS = 256;

/** One installed package: its name, version and where it sits (`node_modules/a/node_modules/b`). */
export interface Installed {
  readonly name: string;
  readonly version: string;
  readonly path: string;
}

/** One thing to patch. */
export interface Finding {
  readonly advisory: string;
  readonly package: string;
  readonly installed: string;
  /** The lowest fixed version above the installed one, when the advisory names one. */
  readonly fixed?: string;
  readonly path: string;
  readonly summary?: string;
}

interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

interface OsvAffected {
  readonly package?: { readonly ecosystem?: string; readonly name?: string };
  readonly ranges?: readonly { readonly type?: string; readonly events?: readonly OsvEvent[] }[];
  readonly versions?: readonly string[];
}

/** The fields of an OSV record that matching reads. */
export interface OsvRecord {
  readonly id: string;
  readonly summary?: string;
  readonly withdrawn?: string;
  readonly affected?: readonly OsvAffected[];
}

function bad(message: string): UpdateError {
  return new UpdateError('VERITY_E_UPDATE_ADVISORIES_INVALID', `${message}; see docs/updates.md for the format`);
}

/**
 * Parses an advisory file: a JSON array of OSV records, or an object with a `vulns` array (the
 * answer of OSV's query API). Every record needs an `id`; the rest is checked as it is used.
 */
export function parseAdvisories(bytes: Uint8Array): OsvRecord[] {
  const json = parseJson(bytes, { maxBytes: MAX_ADVISORY_BYTES, maxDepth: 16 }, 'advisory file') as unknown;
  const list = Array.isArray(json)
    ? json
    : typeof json === 'object' && json !== null && Array.isArray((json as { vulns?: unknown }).vulns)
      ? ((json as { vulns: unknown[] }).vulns as unknown[])
      : undefined;
  if (list === undefined) throw bad('the advisory file must be a JSON array of OSV records (or {"vulns": [...]})');
  if (list.length > MAX_ADVISORIES) throw bad(`the advisory file holds more than ${MAX_ADVISORIES} records`);
  list.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || typeof (r as { id?: unknown }).id !== 'string')
      throw bad(`record ${i} has no string \`id\``);
    const affected = (r as { affected?: unknown }).affected;
    if (affected !== undefined && !Array.isArray(affected))
      throw bad(`record ${quote((r as OsvRecord).id)}: affected must be an array`);
  });
  return list as OsvRecord[];
}

/**
 * The installed packages as package-lock.json (lockfileVersion 2 or 3) lists them: each
 * `node_modules/...` entry with a version. Links and the project's own workspaces are left out.
 */
export function installedFromLock(bytes: Uint8Array): Installed[] {
  const lock = parseJson(bytes, { maxBytes: 64 * 1024 * 1024, maxDepth: 16 }, 'package-lock.json') as {
    packages?: Record<string, { version?: unknown; link?: unknown; name?: unknown }>;
  };
  if (typeof lock !== 'object' || lock === null || typeof lock.packages !== 'object' || lock.packages === null)
    throw bad('package-lock.json has no `packages` (lockfileVersion 2 or later is needed)');
  const out: Installed[] = [];
  for (const [path, p] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at === -1 || p.link === true || typeof p.version !== 'string') continue;
    const name = typeof p.name === 'string' ? p.name : path.slice(at + 'node_modules/'.length);
    out.push({ name, version: p.version, path });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Whether `version` falls in an OSV range: events in version order, `introduced` opens the range,
 * `fixed` closes it before that version, `last_affected` closes it after (OSV schema, "Evaluation").
 */
function inRange(version: string, events: readonly OsvEvent[]): boolean {
  if (events.length > MAX_EVENTS) return false;
  const key = (e: OsvEvent) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
  const order = (v: string) => (v === '0' ? '0.0.0-0' : v);
  const valid = events.filter((e) => semver.valid(order(key(e))) !== null);
  valid.sort((a, b) => semver.compare(order(key(a)), order(key(b))));
  let affected = false;
  for (const e of valid) {
    if (e.introduced !== undefined && semver.gte(version, order(e.introduced))) affected = true;
    else if (e.fixed !== undefined && semver.gte(version, e.fixed)) affected = false;
    else if (e.last_affected !== undefined && semver.gt(version, e.last_affected)) affected = false;
  }
  return affected;
}

/** The lowest `fixed` version of the ranges above `version`. */
function fixedFor(version: string, a: OsvAffected): string | undefined {
  const fixes = (a.ranges ?? [])
    .flatMap((r) => (Array.isArray(r.events) ? r.events.slice(0, MAX_EVENTS) : []))
    .map((e) => e.fixed)
    .filter((f): f is string => typeof f === 'string' && semver.valid(f) !== null && semver.gt(f, version));
  return fixes.sort(semver.compare)[0];
}

/** The installed packages each advisory affects (npm ecosystem only; withdrawn advisories are skipped). */
export function matchAdvisories(installed: readonly Installed[], advisories: readonly OsvRecord[]): Finding[] {
  const byName = new Map<string, Installed[]>();
  for (const i of installed) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  const out: Finding[] = [];
  for (const adv of advisories) {
    if (adv.withdrawn !== undefined) continue;
    for (const a of adv.affected ?? []) {
      if (a.package?.ecosystem !== 'npm' || typeof a.package.name !== 'string') continue;
      for (const pkg of byName.get(a.package.name) ?? []) {
        if (semver.valid(pkg.version) === null) continue;
        const listed = Array.isArray(a.versions) && a.versions.includes(pkg.version);
        const ranged = (a.ranges ?? []).some(
          (r) =>
            (r.type === 'SEMVER' || r.type === 'ECOSYSTEM') &&
            Array.isArray(r.events) &&
            inRange(pkg.version, r.events),
        );
        if (!listed && !ranged) continue;
        const fixed = fixedFor(pkg.version, a);
        out.push({
          advisory: adv.id,
          package: pkg.name,
          installed: pkg.version,
          ...(fixed === undefined ? {} : { fixed }),
          path: pkg.path,
          ...(typeof adv.summary === 'string' ? { summary: adv.summary.slice(0, 200) } : {}),
        });
      }
    }
  }
  return out;
}
