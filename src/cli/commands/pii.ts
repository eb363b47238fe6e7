/**
 * `verity pii scan|redact`: JSON Lines `{"text": ...}` on standard input, one JSON line out per
 * line in (UTF-16 offsets, end exclusive), processed as lines arrive (live chat). A line that is
 * not such JSON gets `{"entities": [], "error": {...}}` and the exit code is 1. No store is opened.
 */

import { createInterface } from 'node:readline';
import { parseJson } from '../../encoding/index.ts';
import { InputError, isVerityError } from '../../errors/index.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { num, opt } from '../common.ts';

const MIN_SCORE: Record<string, OptionSpec> = {
  'min-score': { type: 'string', value: 'S', help: 'report entities scoring at least S, 0 to 1 (default 0.5)' },
};

async function scanLines(values: Values, redact: boolean): Promise<number> {
  const operator = opt(values, 'operator') ?? 'redact';
  if (operator !== 'redact' && operator !== 'mask') usage('--operator is redact or mask', 'pii redact');
  const minScore = num(values, 'min-score') ?? 0.5;
  if (!(minScore >= 0 && minScore <= 1)) usage('--min-score is a number from 0 to 1');
  // The scanner and its dictionaries load with this command only, not with every other command.
  const { MAX_SCAN_CHARS, mask: maskPii, redact: redactPii, scan: scanPii } = await import('../../pii/index.ts');
  let failed = false;
  // A line that is no JSON object with a string `text` is malformed input: exit 2, as the README
  // says of every command (D415); a line that failed otherwise, 1.
  let malformed = false;
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
      result = redact
        ? { text: (operator === 'mask' ? maskPii(v.text, found) : redactPii(v.text, found)).text, entities }
        : { entities };
    } catch (e) {
      failed = true;
      if (isVerityError(e, 'VERITY_E_INPUT_MALFORMED') || isVerityError(e, 'VERITY_E_INPUT_INVALID')) malformed = true;
      const err = isVerityError(e) ? e.toJSON().error : { code: 'VERITY_E_INTERNAL', message: String(e) };
      result = { entities: [], error: err };
    }
    if (!process.stdout.write(`${JSON.stringify(result)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
  }
  return malformed ? 2 : failed ? 1 : 0;
}

const scan: Command = {
  name: 'scan',
  summary: '{"text":...} per line in; {"entities":[{type,start,end,score}]} per line out',
  options: { ...MIN_SCORE },
  run: ({ values }) => scanLines(values, false),
};

const redact: Command = {
  name: 'redact',
  summary: 'the same, with the redacted "text"',
  options: {
    operator: {
      type: 'string',
      value: 'OP',
      help: 'redact ([EMAIL]) or mask (each character a *, separators kept; cards, IBANs, phones and SSNs keep their last four)',
    },
    ...MIN_SCORE,
  },
  run: ({ values }) => scanLines(values, true),
};

export const pii: Group = { name: 'pii', summary: 'personal data in free text (chat)', commands: [scan, redact] };
