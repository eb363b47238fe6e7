import { InputError, VerityError } from '../errors/index.ts';

/** A table of text cells with named columns. */
export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A generalization hierarchy: each value and its generalizations, level 0 (the value) to the root. */
export interface Hierarchy {
  /** Levels above the values (the root is at `height`). */
  readonly height: number;
  readonly levels: ReadonlyMap<string, readonly string[]>;
}

export interface AnonymizeConfig {
  readonly quasiIdentifiers: readonly string[];
  /** The sensitive attribute for l-diversity. */
  readonly sensitive?: string;
  readonly hierarchies: Readonly<Record<string, Hierarchy>>;
  readonly k: number;
  /** Distinct l-diversity of the sensitive attribute (default 1: off). */
  readonly l?: number;
  /** Fraction of rows that may be suppressed (removed), 0 to 1; default 0. */
  readonly maxSuppression?: number;
}

/** What an anonymization achieved, with the re-identification risk and information loss measures ARX reports. */
export interface Report {
  readonly rows: number;
  readonly released: number;
  readonly suppressed: number;
  /** Equivalence classes (rows sharing all generalized quasi-identifier values). */
  readonly classes: number;
  /** Smallest class size. */
  readonly k: number;
  /** Smallest number of distinct sensitive values in a class (distinct l-diversity). */
  readonly l: number;
  /** Prosecutor model (the attacker knows the person is in the release): highest = 1/k; average = classes/released; recordsAtRisk = share of released rows whose risk exceeds 0.2 (classes smaller than 5). */
  readonly prosecutor: { readonly highest: number; readonly average: number; readonly recordsAtRisk: number };
  /** Journalist model with the input table as the population: a released row's risk is 1 / the number of input rows that generalize to its class. */
  readonly journalist: { readonly highest: number; readonly average: number };
  /** Marketer model (re-identify as many as possible): expected share re-identified = classes/released. */
  readonly marketer: number;
  /** Generalization intensity: mean over released quasi-identifier cells of level/height (0 = original, 1 = all suppressed to the root). */
  readonly generalizationIntensity: number;
  /** Discernibility metric: sum over classes of size², plus suppressed × rows. */
  readonly discernibility: number;
  /** Average equivalence class size metric: released / (classes × k); 1 is ideal. */
  readonly averageClassSize: number;
}

export interface AnonymizeResult {
  /** The released rows, same columns, quasi-identifiers generalized (suppressed rows left out). */
  readonly rows: string[][];
  readonly report: Report;
}

const MAX_ROWS = 5_000_000;

function invalid(message: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', message);
}

/**
 * Parses separator-delimited text without quoting (one row per line); refuses ragged rows. The
 * format of ARX's tables and hierarchies (`;`, no quotes), for which a split is the whole parser:
 * no CSV library is needed (nor installed).
 */
export function parseTable(text: string, separator = ';'): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw invalid('the table is empty; give a header line and rows');
  const columns = (lines[0] as string).split(separator);
  if (new Set(columns).size !== columns.length) throw invalid('the header names a column twice');
  if (lines.length - 1 > MAX_ROWS) throw invalid(`at most ${MAX_ROWS} rows`);
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.split(separator);
    if (cells.length !== columns.length)
      throw invalid(`row ${i + 2} has ${cells.length} cells; the header has ${columns.length}`);
    return cells;
  });
  return { columns, rows };
}

/**
 * Parses a hierarchy: one line per value, its generalizations after it up to the root (`*`), all
 * lines of the same length. Checks that it is a tree: two values that share an ancestor share every
 * ancestor above it.
 */
export function parseHierarchy(text: string, separator = ';'): Hierarchy {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw invalid('the hierarchy is empty');
  const levels = new Map<string, string[]>();
  let height = -1;
  const parent = new Map<string, string>();
  for (const [i, line] of lines.entries()) {
    const cells = line.split(separator);
    if (height < 0) height = cells.length - 1;
    if (cells.length - 1 !== height || height < 1)
      throw invalid(`hierarchy line ${i + 1} has ${cells.length} levels; every line needs the same number, at least 2`);
    if (levels.has(cells[0] as string))
      throw invalid(`hierarchy line ${i + 1} repeats the value ${JSON.stringify(cells[0])}`);
    for (let j = 1; j < cells.length - 1; j++) {
      const key = `${j}\u0000${cells[j]}`;
      const up = cells[j + 1] as string;
      const known = parent.get(key);
      if (known !== undefined && known !== up)
        throw invalid(
          `hierarchy line ${i + 1}: ${JSON.stringify(cells[j])} generalizes to both ${JSON.stringify(known)} and ${JSON.stringify(up)}`,
        );
      parent.set(key, up);
    }
    levels.set(cells[0] as string, cells);
  }
  return { height, levels };
}

interface Partition {
  readonly rows: number[];
  readonly level: number[];
}

/**
 * k-anonymity with distinct l-diversity by top-down specialization (Mondrian-style multidimensional
 * local recoding over hierarchies, after LeFevre, DeWitt and Ramakrishnan 2006): every row starts
 * generalized to the root of each quasi-identifier's hierarchy; a partition is split by lowering one
 * quasi-identifier one level when every part keeps at least k rows and l distinct sensitive values
 * (parts that cannot may be suppressed within the suppression budget); among the allowed splits the
 * one with the most parts wins. Partitions that cannot be split are the equivalence classes.
 */
export function anonymize(table: Table, config: AnonymizeConfig): AnonymizeResult {
  const n = table.rows.length;
  const k = config.k;
  const l = config.l ?? 1;
  const maxSuppression = config.maxSuppression ?? 0;
  if (!Number.isInteger(k) || k < 1) throw invalid('k must be a positive integer');
  if (!Number.isInteger(l) || l < 1) throw invalid('l must be a positive integer');
  if (!(maxSuppression >= 0 && maxSuppression <= 1)) throw invalid('maxSuppression is a fraction from 0 to 1');
  if (l > 1 && config.sensitive === undefined) throw invalid('l-diversity needs a sensitive attribute');
  const col = (name: string) => {
    const i = table.columns.indexOf(name);
    if (i < 0) throw invalid(`the table has no column ${JSON.stringify(name)}`);
    return i;
  };
  if (config.quasiIdentifiers.length === 0) throw invalid('name at least one quasi-identifier');
  const qi = config.quasiIdentifiers.map(col);
  const sens = config.sensitive === undefined ? -1 : col(config.sensitive);
  if (qi.includes(sens)) throw invalid('the sensitive attribute cannot be a quasi-identifier');
  const hier = config.quasiIdentifiers.map((name) => {
    const h = config.hierarchies[name];
    if (h === undefined) throw invalid(`no hierarchy for the quasi-identifier ${JSON.stringify(name)}`);
    return h;
  });
  // Generalized values as small integers: codes[j][level][row].
  const codes = qi.map((c, j) => {
    const h = hier[j] as Hierarchy;
    const perLevel = Array.from({ length: h.height + 1 }, () => new Int32Array(n));
    const ids = Array.from({ length: h.height + 1 }, () => new Map<string, number>());
    for (let r = 0; r < n; r++) {
      const value = (table.rows[r] as readonly string[])[c] as string;
      const levels = h.levels.get(value);
      if (levels === undefined)
        throw invalid(
          `the hierarchy of ${JSON.stringify(config.quasiIdentifiers[j])} has no value ${JSON.stringify(value)}`,
        );
      for (let lv = 0; lv <= h.height; lv++) {
        const m = ids[lv] as Map<string, number>;
        const v = levels[lv] as string;
        let id = m.get(v);
        if (id === undefined) {
          id = m.size;
          m.set(v, id);
        }
        (perLevel[lv] as Int32Array)[r] = id;
      }
    }
    return perLevel;
  });
  const sensCode = new Int32Array(n);
  if (sens >= 0) {
    const ids = new Map<string, number>();
    for (let r = 0; r < n; r++) {
      const v = (table.rows[r] as readonly string[])[sens] as string;
      let id = ids.get(v);
      if (id === undefined) {
        id = ids.size;
        ids.set(v, id);
      }
      sensCode[r] = id;
    }
  }
  const diverse = (rows: readonly number[]): boolean => {
    if (l <= 1) return true;
    const seen = new Set<number>();
    for (const r of rows) {
      seen.add(sensCode[r] as number);
      if (seen.size >= l) return true;
    }
    return false;
  };
  const ok = (rows: readonly number[]) => rows.length >= k && diverse(rows);

  const budget = Math.floor(maxSuppression * n);
  let suppressed = 0;
  const suppressedRows: number[] = [];
  const all = Array.from({ length: n }, (_, i) => i);
  if (!ok(all))
    throw new VerityError(
      'VERITY_E_ANONYMITY_UNREACHABLE',
      `even fully generalized, the ${n} rows are not ${k}-anonymous and ${l}-diverse; lower k or l, or add rows`,
    );
  const work: Partition[] = [{ rows: all, level: hier.map((h) => h.height) }];
  const classes: Partition[] = [];
  while (work.length > 0) {
    const p = work.pop() as Partition;
    let best: { j: number; parts: number[][]; drop: number[][] } | undefined;
    for (let j = 0; j < qi.length; j++) {
      const lv = p.level[j] as number;
      if (lv === 0) continue;
      const codesAt = (codes[j] as Int32Array[])[lv - 1] as Int32Array;
      const groups = new Map<number, number[]>();
      for (const r of p.rows) {
        const c = codesAt[r] as number;
        let g = groups.get(c);
        if (g === undefined) {
          g = [];
          groups.set(c, g);
        }
        g.push(r);
      }
      if (groups.size < 2) {
        // Nothing to tell apart at the lower level: specialize for free (the values stay equal).
        if (best === undefined) best = { j, parts: [p.rows], drop: [] };
        continue;
      }
      const parts: number[][] = [];
      const drop: number[][] = [];
      let dropped = 0;
      for (const g of groups.values()) {
        if (ok(g)) parts.push(g);
        else {
          drop.push(g);
          dropped += g.length;
        }
      }
      if (parts.length === 0 || suppressed + dropped > budget) continue;
      const better =
        best === undefined ||
        best.parts.length === 1 ||
        parts.length > best.parts.length ||
        (parts.length === best.parts.length && dropped < best.drop.reduce((s, g) => s + g.length, 0));
      if (better) best = { j, parts, drop };
    }
    if (best === undefined) {
      classes.push(p);
      continue;
    }
    for (const g of best.drop) {
      suppressed += g.length;
      suppressedRows.push(...g);
    }
    for (const part of best.parts) {
      const level = [...p.level];
      level[best.j] = (level[best.j] as number) - 1;
      work.push({ rows: part, level });
    }
  }
  return {
    rows: release(table, qi, hier, classes),
    report: measure(table, qi, hier, classes, codes, suppressed, sensCode, sens >= 0),
  };
}

function release(
  table: Table,
  qi: readonly number[],
  hier: readonly Hierarchy[],
  classes: readonly Partition[],
): string[][] {
  const out: string[][] = [];
  for (const p of classes) {
    for (const r of p.rows) {
      const row = [...(table.rows[r] as readonly string[])];
      qi.forEach((c, j) => {
        const levels = (hier[j] as Hierarchy).levels.get(row[c] as string) as readonly string[];
        row[c] = levels[p.level[j] as number] as string;
      });
      out.push(row);
    }
  }
  return out;
}

function measure(
  table: Table,
  qi: readonly number[],
  hier: readonly Hierarchy[],
  classes: readonly Partition[],
  codes: readonly Int32Array[][],
  suppressed: number,
  sensCode: Int32Array,
  hasSensitive: boolean,
): Report {
  const n = table.rows.length;
  const released = n - suppressed;
  let k = Number.POSITIVE_INFINITY;
  let l = Number.POSITIVE_INFINITY;
  let discernibility = suppressed * n;
  let atRisk = 0;
  let intensity = 0;
  for (const p of classes) {
    const size = p.rows.length;
    k = Math.min(k, size);
    discernibility += size * size;
    if (1 / size > 0.2) atRisk += size;
    if (hasSensitive) l = Math.min(l, new Set(p.rows.map((r) => sensCode[r] as number)).size);
    let cell = 0;
    hier.forEach((h, j) => {
      cell += (p.level[j] as number) / h.height;
    });
    intensity += (cell / qi.length) * size;
  }
  // Journalist model: population counts per class, grouping the input by each distinct level vector.
  const byLevels = new Map<string, Map<number, number>>();
  // A generalized tuple as one number: mixed radix over each level's value count (exact below 2^53).
  const radix = codes.map((perLevel) => perLevel.map((c) => c.reduce((m, x) => Math.max(m, x), 0) + 1));
  const exact = radix.reduce((prod, perLevel) => prod * (perLevel[0] as number), 1) <= Number.MAX_SAFE_INTEGER;
  if (!exact) throw invalid('too many distinct quasi-identifier combinations to measure; use fewer quasi-identifiers');
  const keyOf = (r: number, level: readonly number[]): number => {
    let key = 0;
    level.forEach((lv, j) => {
      key =
        key * ((radix[j] as number[])[lv] as number) + (((codes[j] as Int32Array[])[lv] as Int32Array)[r] as number);
    });
    return key;
  };
  let journalistHighest = 0;
  let journalistSum = 0;
  for (const p of classes) {
    const lk = p.level.join(',');
    let counts = byLevels.get(lk);
    if (counts === undefined) {
      counts = new Map<number, number>();
      for (let r = 0; r < n; r++) {
        const key = keyOf(r, p.level);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      byLevels.set(lk, counts);
    }
    const population = counts.get(keyOf(p.rows[0] as number, p.level)) as number;
    journalistHighest = Math.max(journalistHighest, 1 / population);
    journalistSum += p.rows.length / population;
  }
  const c = classes.length;
  return {
    rows: n,
    released,
    suppressed,
    classes: c,
    k: c === 0 ? 0 : k,
    l: !hasSensitive || c === 0 ? 0 : l,
    prosecutor: {
      highest: c === 0 ? 0 : 1 / k,
      average: released === 0 ? 0 : c / released,
      recordsAtRisk: released === 0 ? 0 : atRisk / released,
    },
    journalist: { highest: journalistHighest, average: released === 0 ? 0 : journalistSum / released },
    marketer: released === 0 ? 0 : c / released,
    generalizationIntensity: released === 0 ? 1 : intensity / released,
    discernibility,
    averageClassSize: c === 0 ? 0 : released / (c * k),
  };
}
