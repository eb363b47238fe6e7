// Legal deadlines of data-subject requests: which regime applies to a subject, how long it gives
// to answer, and how far and how often that may be extended. Pure functions over a small table,
// behind an interface the privacy policy can replace (regime by region, per-regime rules).
import { RightsError } from '../errors/index.ts';

/** A span of time the law counts in calendar months or calendar days. */
export interface Span {
  readonly months?: number;
  readonly days?: number;
}

/** What a regime says about answering data-subject requests. */
export interface RegimeRules {
  /** Short id, e.g. `gdpr`. */
  readonly id: string;
  readonly name: string;
  /** Where the time limit comes from. */
  readonly citation: string;
  /** The time to answer, from receipt. */
  readonly answerWithin: Span;
  /** How much more time an extension gives, in total; undefined when none is allowed. */
  readonly extension?: Span;
  /** How many extensions may be taken (each takes the deadline to `answerWithin + extension`). */
  readonly maxExtensions: number;
  /** How the days are counted (shown with the deadline). */
  readonly counting: string;
}

/**
 * The default table. GDPR Art. 12(3): one month of receipt, extendable by two further months
 * where necessary, the subject being told within the first month with the reasons; CCPA as amended
 * by the CPRA, Cal. Civ. Code 1798.130(a)(2)(A) and CCPA Regulations 7021(b): 45 calendar days
 * beginning on the day of receipt, extendable once by 45 more with notice and an explanation; LGPD
 * Art. 19(II): a clear and complete declaration within 15 days of the request (no extension in the
 * law; the ANPD may set other terms per sector, Art. 19 4).
 */
export const DEFAULT_REGIMES: Readonly<Record<string, RegimeRules>> = Object.freeze({
  gdpr: {
    id: 'gdpr',
    name: 'GDPR',
    citation: 'GDPR Art. 12(3)',
    answerWithin: { months: 1 },
    extension: { months: 2 },
    maxExtensions: 1,
    counting:
      'calendar months, ending with the last hour (UTC) of the same date in the last month, or of its last day when that date does not exist (Regulation 1182/71 Art. 3(2)(c))',
  },
  ccpa: {
    id: 'ccpa',
    name: 'CCPA/CPRA',
    citation: 'Cal. Civ. Code 1798.130(a)(2)(A); CCPA Regulations 7021(b)',
    answerWithin: { days: 45 },
    extension: { days: 45 },
    maxExtensions: 1,
    counting: 'calendar days, the day of receipt being the first, ending with its last hour (UTC)',
  },
  lgpd: {
    id: 'lgpd',
    name: 'LGPD',
    citation: 'LGPD Art. 19(II)',
    answerWithin: { days: 15 },
    maxExtensions: 0,
    counting: 'calendar days after the day of the request, ending with the last hour (UTC) of the last one',
  },
});

/**
 * What the privacy policy tells the rights module: the regime a subject's requests fall under, and
 * the rules of each regime. The default applies one regime to everyone, from `DEFAULT_REGIMES`.
 */
export interface RegimePolicy {
  /** The regime of a subject (by reference), when the request does not name one. */
  regimeOf(subjectRef: string): Promise<string> | string;
  /** The rules of a regime; undefined for an unknown one. */
  rules(regime: string): RegimeRules | undefined;
}

/** One regime for every subject (GDPR unless told otherwise), with the rules of `table`. */
export function defaultRegimePolicy(
  regime = 'gdpr',
  table: Readonly<Record<string, RegimeRules>> = DEFAULT_REGIMES,
): RegimePolicy {
  return {
    regimeOf: () => regime,
    rules: (id) => (Object.hasOwn(table, id) ? table[id] : undefined),
  };
}

const DAY = 86_400_000;

/** The last millisecond of the UTC day of `ms`. */
function endOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY + DAY - 1;
}

/**
 * `from` plus a span, as the law counts it: months to the same date (or the month's last day when
 * that date does not exist), days as calendar days; then to the end of that UTC day. `firstDayCounts`:
 * the day of `from` is day one (CCPA), so n days end on day n.
 */
export function addSpan(from: number, span: Span, firstDayCounts = false): number {
  if (!Number.isSafeInteger(from)) throw new RangeError('a time must be milliseconds since the epoch');
  const d = new Date(from);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  let day = d.getUTCDate();
  const months = span.months ?? 0;
  if (months > 0) {
    m += months;
    y += Math.floor(m / 12);
    m %= 12;
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    day = Math.min(day, last);
  }
  let t = Date.UTC(y, m, day);
  const days = span.days ?? 0;
  if (days > 0) t += (firstDayCounts ? days - 1 : days) * DAY;
  return endOfDay(t);
}

/** Whether the regime counts the day of receipt as the first day (CCPA). */
function firstDayCounts(r: RegimeRules): boolean {
  return r.id === 'ccpa';
}

/** The deadline of a request received at `received` under `rules`. */
export function deadlineOf(rules: RegimeRules, received: number): number {
  return addSpan(received, rules.answerWithin, firstDayCounts(rules));
}

/**
 * The deadline after one more extension, asked for at `now`: refused when the regime allows none or
 * no more, or when the current deadline has passed (an extension must be notified within it).
 */
export function extendedDeadline(
  rules: RegimeRules,
  received: number,
  current: number,
  extensionsSoFar: number,
  now: number,
): number {
  if (rules.extension === undefined || extensionsSoFar >= rules.maxExtensions)
    throw new RightsError(
      'VERITY_E_RIGHTS_EXTENSION_REFUSED',
      `${rules.name} allows ${rules.maxExtensions === 0 ? 'no extension' : `${rules.maxExtensions} extension(s)`} of the deadline (${rules.citation}); answer by the deadline`,
    );
  if (now > current)
    throw new RightsError(
      'VERITY_E_RIGHTS_EXTENSION_REFUSED',
      'the deadline has passed: an extension must be decided and notified before it; answer now',
    );
  const original = deadlineOf(rules, received);
  // Months run on from the first deadline (GDPR: "two further months"; the earlier reading of
  // months that may be shorter); days count from receipt (CPRA regulations: 90 days from receipt in all).
  const extended =
    rules.extension.months !== undefined
      ? addSpan(original, { months: rules.extension.months })
      : addSpan(
          received,
          { days: (rules.answerWithin.days ?? 0) + (rules.extension.days ?? 0) },
          firstDayCounts(rules),
        );
  return Math.max(original, extended);
}
