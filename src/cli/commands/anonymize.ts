/**
 * `verity anonymize`: k-anonymity with l-diversity of a file; the released table on standard
 * output, the report (risk and loss) on standard error as JSON. No store is opened.
 */

import { type Hierarchy, parseHierarchy, parseTable, anonymize as run } from '../../anonymize/index.ts';
import { fromUtf8 } from '../../encoding/index.ts';
import { type Command, type Group, usage } from '../command.ts';
import { int, list, num, opt, str } from '../common.ts';
import { out, readInput } from '../io.ts';

const command: Command = {
  name: '',
  summary: 'k-anonymity with l-diversity; table on stdout, report on stderr',
  details: 'Example data: test/fixtures/adult/ (the UCI Adult table and a hierarchy per column).',
  options: {
    input: { type: 'string', value: 'T.csv', required: true, help: 'the table (first line: column names)' },
    qi: { type: 'string', value: 'A,B', required: true, help: 'the quasi-identifier columns' },
    k: { type: 'string', value: 'K', required: true, help: 'every released row is alike on the QIs with K-1 others' },
    l: { type: 'string', value: 'L', help: 'each group holds at least L distinct sensitive values' },
    sensitive: { type: 'string', value: 'S', help: 'the sensitive column (with --l)' },
    suppress: { type: 'string', value: 'F', help: 'the largest share of rows that may be suppressed, 0 to 1' },
    hierarchy: {
      type: 'string',
      value: 'COL=FILE',
      multiple: true,
      help: "a QI column's generalization hierarchy (repeatable)",
    },
    separator: { type: 'string', value: 'C', help: 'the field separator (default ;)' },
  },
  async run({ values }) {
    const sep = opt(values, 'separator') ?? ';';
    const table = parseTable(fromUtf8(await readInput(str(values, 'input'), 256 * 1024 * 1024), 'input'), sep);
    const hierarchies: Record<string, Hierarchy> = {};
    for (const spec of list(values, 'hierarchy')) {
      const eq = spec.indexOf('=');
      if (eq <= 0) usage('--hierarchy is COLUMN=FILE', 'anonymize');
      hierarchies[spec.slice(0, eq)] = parseHierarchy(
        fromUtf8(await readInput(spec.slice(eq + 1), 64 * 1024 * 1024), 'hierarchy'),
        sep,
      );
    }
    const sensitive = opt(values, 'sensitive');
    const l = int(values, 'l', false);
    const suppress = num(values, 'suppress');
    const r = run(table, {
      quasiIdentifiers: str(values, 'qi').split(','),
      hierarchies,
      k: int(values, 'k', true),
      ...(sensitive === undefined ? {} : { sensitive }),
      ...(l === undefined ? {} : { l }),
      ...(suppress === undefined ? {} : { maxSuppression: suppress }),
    });
    await out([table.columns.join(sep), ...r.rows.map((row) => row.join(sep))].join('\n'));
    process.stderr.write(`${JSON.stringify(r.report)}\n`);
    return 0;
  },
};

export const anonymize: Group = {
  name: 'anonymize',
  summary: 'k-anonymity with l-diversity of a table; no store',
  commands: [command],
};
