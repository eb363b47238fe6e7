import { type Finding, PII_TYPES } from './findings.ts';
import { scan } from './scan.ts';

export interface TypeScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface EvaluationReport {
  readonly perType: Record<string, TypeScore>;
  readonly overall: TypeScore;
}

export interface LabeledExample {
  readonly text: string;
  readonly entities: readonly { readonly type: string; readonly start: number; readonly end: number }[];
}

function finish(s: { tp: number; fp: number; fn: number }): TypeScore {
  const precision = s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp);
  const recall = s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn);
  return {
    ...s,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
}

/**
 * Precision, recall and F1 per type and overall on labeled examples: a finding is a true positive
 * when a labeled entity of the same type overlaps its span; an unmatched label is a false negative.
 */
export function evaluate(
  examples: readonly LabeledExample[],
  scanner: (text: string) => Finding[] = (t) => scan(t),
): EvaluationReport {
  const counts: Record<string, { tp: number; fp: number; fn: number }> = {};
  for (const t of PII_TYPES) counts[t] = { tp: 0, fp: 0, fn: 0 };
  const of = (type: string) => {
    let c = counts[type];
    if (c === undefined) {
      c = { tp: 0, fp: 0, fn: 0 };
      counts[type] = c;
    }
    return c;
  };
  for (const ex of examples) {
    const found = scanner(ex.text);
    const matched = new Set<number>();
    for (const f of found) {
      const c = of(f.type);
      const hit = ex.entities.findIndex(
        (e, i) => !matched.has(i) && e.type === f.type && f.start < e.end && e.start < f.end,
      );
      if (hit >= 0) {
        matched.add(hit);
        c.tp++;
      } else c.fp++;
    }
    ex.entities.forEach((e, i) => {
      if (!matched.has(i)) of(e.type).fn++;
    });
  }
  const perType: Record<string, TypeScore> = {};
  const total = { tp: 0, fp: 0, fn: 0 };
  for (const [t, c] of Object.entries(counts)) {
    perType[t] = finish(c);
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
  }
  return { perType, overall: finish(total) };
}
