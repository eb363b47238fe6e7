// PII detection quality (issue 14): Verity's scanner and the peer detectors on the same labeled
// text: the independent corpus's tuning and held-back halves (docs/pii-corpus.md) and the shared
// development set of chat. Per type precision, recall and F1, overall F1, and the share of messages
// with no personal data in which anything is reported. Peers are scored on the types they have.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, type Finding, PII_TYPES, type PiiType, scan } from '../src/pii/index.ts';
import type { Figure } from './core.ts';
import { PEERS } from './pii-peers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures');

interface Row {
  text: string;
  entities: { type: string; start: number; end: number }[];
}

function load(path: string): Row[] {
  return readFileSync(join(FIXTURES, path), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
}

/** The labeled sets, by the name their figures carry. */
export const SETS: Readonly<Record<string, string>> = {
  HeldOut: 'pii-eval/heldback.jsonl',
  Tune: 'pii-eval/tune.jsonl',
  Dev: 'pii-chat/dev.jsonl',
};

/** Figures of one detector on one set, restricted to `types`. */
function score(prefix: string, rows: Row[], found: Finding[][], types: readonly PiiType[]): Figure[] {
  const keep = new Set<string>(types);
  const examples = rows.map((r) => ({ text: r.text, entities: r.entities.filter((e) => keep.has(e.type)) }));
  const byText = new Map<string, Finding[]>();
  for (const [i, r] of rows.entries())
    byText.set(
      r.text,
      (found[i] as Finding[]).filter((f) => keep.has(f.type)),
    );
  const report = evaluate(examples, (t) => byText.get(t) ?? []);
  const figures: Figure[] = [{ name: `${prefix}OverallF1`, value: report.overall.f1, unit: 'ratio' }];
  for (const t of types) {
    const s = report.perType[t];
    if (s === undefined || s.tp + s.fn === 0) continue;
    figures.push(
      { name: `${prefix}${t}F1`, value: s.f1, unit: 'ratio' },
      { name: `${prefix}${t}Recall`, value: s.recall, unit: 'ratio' },
    );
  }
  const clean = rows
    .map((r, i) => [r, byText.get(r.text) ?? found[i]] as const)
    .filter(([r]) => r.entities.length === 0);
  figures.push({
    name: `${prefix}NoPiiAlarmRate`,
    value: clean.filter(([, f]) => (f as Finding[]).length > 0).length / Math.max(1, clean.length),
    unit: 'ratio',
  });
  return figures;
}

/** Verity's figures on every set (`pii{Set}...`) and each peer's (`piiPeer{Name}{Set}...`). */
export async function benchPiiQuality(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [set, path] of Object.entries(SETS)) {
    const rows = load(path);
    figures.push(
      ...score(
        `pii${set}`,
        rows,
        rows.map((r) => scan(r.text)),
        PII_TYPES,
      ),
    );
    // The peers on the held-back half always, on the other sets unless --quick.
    if (quick && set !== 'HeldOut') continue;
    for (const peer of PEERS) {
      const found: Finding[][] = [];
      for (const r of rows) found.push(await peer.scan(r.text));
      const mine = score(`piiPeer${peer.name}${set}`, rows, found, peer.types);
      figures.push(...mine.filter((f) => /OverallF1|PERSONF1|LOCATIONF1|NoPiiAlarmRate/.test(f.name)));
    }
  }
  return figures;
}
