// Privacy labels (FGMV-46 7.4.2): for a record type, what data it holds, why, for how long and who
// receives it, generated from what Verity stores (the type's schema, its records' classification,
// collection purposes and retention deadlines, the services whose tokens reach the type) and from
// what the privacy policy declares (an injected `LabelPolicy`).

import type { Clock } from '../clock/index.ts';
import { quote, ReportError } from '../errors/index.ts';
import type { StoreReader } from '../store/index.ts';
import { type DeclaredLabel, type LabelPolicy, type LegalBasisSource, legalBasisOf, NO_DECLARATIONS } from './legal.ts';

/** Most record versions a label reads (a bound on its cost: labels are made rarely). */
export const MAX_LABEL_SCAN = 1_000_000;
const PAGE = 1000;
const DAY = 86_400_000;

/** A generated privacy label. */
export interface PrivacyLabel {
  readonly label: 'verity.privacy-label/v1';
  readonly type: string;
  readonly generatedAt: string;
  /** The registered schema: its digest-free summary (top-level fields, required ones), or null. */
  readonly schema: { readonly fields: readonly string[]; readonly required: readonly string[] } | null;
  /** Data categories (W3C DPV) of the type's records, and declared ones. */
  readonly categories: readonly string[];
  readonly sensitivities: readonly string[];
  /** Purposes: those the records were collected for, and declared ones, each with its legal basis. */
  readonly purposes: readonly { readonly purpose: string; readonly basis: string; readonly term: string }[];
  /** Retention: deadlines the records carry, and the declared rule. */
  readonly retention: {
    readonly withDeadline: boolean;
    readonly withoutDeadline: boolean;
    /** Shortest and longest time from write to deadline, in days (null when none has one). */
    readonly shortestDays: number | null;
    readonly longestDays: number | null;
    readonly declared: string | null;
  };
  /** Recipients: services whose live tokens reach the type, and declared ones. */
  readonly recipients: readonly string[];
  /** Whether the scan stopped at `MAX_LABEL_SCAN` versions (the label may then miss some). */
  readonly truncated: boolean;
}

function sorted(set: Iterable<string>): string[] {
  return [...new Set(set)].sort();
}

/** Builds the privacy label of `type`. Throws VERITY_E_REPORT_TYPE_UNKNOWN for a type with no schema and no records. */
export async function privacyLabel(
  reader: StoreReader,
  type: string,
  o: { clock: Clock; legalBases: LegalBasisSource; policy?: LabelPolicy },
): Promise<PrivacyLabel> {
  const declared: DeclaredLabel = (o.policy ?? NO_DECLARATIONS).declared(type) ?? {};
  const schemaRow = await reader.getSchema(type);
  let schema: PrivacyLabel['schema'] = null;
  if (schemaRow !== undefined) {
    const s = JSON.parse(schemaRow.schema) as { properties?: unknown; required?: unknown };
    const props = typeof s.properties === 'object' && s.properties !== null ? Object.keys(s.properties) : [];
    const req = Array.isArray(s.required) ? s.required.filter((x): x is string => typeof x === 'string') : [];
    schema = { fields: props.sort(), required: req.sort() };
  }
  const categories = new Set<string>(declared.categories ?? []);
  const sensitivities = new Set<string>();
  const purposes = new Set<string>(declared.purposes ?? []);
  let withDeadline = false;
  let withoutDeadline = false;
  let shortest = Number.POSITIVE_INFINITY;
  let longest = Number.NEGATIVE_INFINITY;
  let records = 0;
  let scanned = 0;
  let truncated = false;
  let after: { after: string; afterVersion: number } | undefined;
  for (;;) {
    const rows = await reader.scanRecords({
      limit: PAGE,
      ...after,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      scanned++;
      if (r.type !== type || r.state === 'erased') continue;
      records++;
      const m = JSON.parse(r.meta) as {
        classification?: { category?: unknown; sensitivity?: unknown };
        purpose?: unknown;
      };
      if (typeof m.classification?.category === 'string') categories.add(m.classification.category);
      if (typeof m.classification?.sensitivity === 'string') sensitivities.add(m.classification.sensitivity);
      if (typeof m.purpose === 'string') purposes.add(m.purpose);
      if (r.retainUntil === null) withoutDeadline = true;
      else {
        withDeadline = true;
        const d = (r.retainUntil - r.createdAt) / DAY;
        shortest = Math.min(shortest, d);
        longest = Math.max(longest, d);
      }
    }
    const lastRow = rows[rows.length - 1] as (typeof rows)[number];
    after = { after: lastRow.id, afterVersion: lastRow.version };
    if (scanned >= MAX_LABEL_SCAN) {
      truncated = true;
      break;
    }
  }
  if (schemaRow === undefined && records === 0)
    throw new ReportError(
      'VERITY_E_REPORT_TYPE_UNKNOWN',
      `record type ${quote(type)} has no schema and no records; \`verity types list\` shows the types`,
    );
  const now = o.clock.now();
  const recipients = new Set<string>(declared.recipients ?? []);
  for (const t of await reader.listTokens()) {
    if (t.role !== 'service' || t.revokedAt !== null || t.expiresAt <= now) continue;
    try {
      const scopes = JSON.parse(t.scopes) as { recordTypes?: unknown };
      if (Array.isArray(scopes.recordTypes) && scopes.recordTypes.includes(type))
        recipients.add(`service:${t.principal}`);
    } catch {
      // A token whose scopes do not parse reaches nothing.
    }
  }
  const round = (d: number) => Math.round(d * 100) / 100;
  return {
    label: 'verity.privacy-label/v1',
    type,
    generatedAt: new Date(now).toISOString(),
    schema,
    categories: sorted(categories),
    sensitivities: sorted(sensitivities),
    purposes: sorted(purposes).map((p) => ({ purpose: p, ...legalBasisOf(o.legalBases, p) })),
    retention: {
      withDeadline,
      withoutDeadline,
      shortestDays: withDeadline ? round(shortest) : null,
      longestDays: withDeadline ? round(longest) : null,
      declared: declared.retention ?? null,
    },
    recipients: sorted(recipients),
    truncated,
  };
}

/** A label in a few lines of plain text, for people. */
export function privacyLabelText(l: PrivacyLabel): string {
  const list = (xs: readonly string[]) => (xs.length === 0 ? 'none recorded' : xs.join(', '));
  const r = l.retention;
  const kept = [
    r.withDeadline ? `deleted ${r.shortestDays} to ${r.longestDays} days after writing` : '',
    r.withoutDeadline ? 'some kept without a deadline' : '',
    r.declared ?? '',
  ].filter((x) => x !== '');
  return [
    `Privacy label: ${l.type}`,
    `Data: ${l.schema === null ? 'no registered schema' : list(l.schema.fields)}`,
    `Categories: ${list(l.categories)}${l.sensitivities.length > 0 ? ` (${l.sensitivities.join(', ')})` : ''}`,
    `Purposes: ${l.purposes.length === 0 ? 'none recorded' : l.purposes.map((p) => `${p.purpose} (${p.basis})`).join(', ')}`,
    `Retention: ${kept.length === 0 ? 'none recorded' : kept.join('; ')}`,
    `Recipients: ${list(l.recipients)}`,
    ...(l.truncated ? ['(only the first records were read)'] : []),
    `Generated ${l.generatedAt}`,
  ].join('\n');
}
