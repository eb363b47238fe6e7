/**
 * `verity risk score`: scores a JSON Lines stream of sign-ins and sensitive operations, in time
 * order, one output line per event, each from the events before it only. No store is opened.
 *
 * A malformed line does not stop the stream: its output line is the error
 * (`{"error":{"code":"VERITY_E_RISK_EVENT_INVALID",...}}`), so output line N still answers input
 * event N, and the events after it are scored as if it had not been there. `--strict` stops at the
 * first malformed line instead (exit 2).
 */

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError, isVerityError } from '../../errors/index.ts';
import { type LogisticModel, MAX_EVENT_LINE, RiskScorer } from '../../risk/index.ts';
import type { Command, Group } from '../command.ts';
import { opt } from '../common.ts';
import { readInput } from '../io.ts';

/**
 * Lines of a stream, never holding more than `max` characters of one: a longer line is reported
 * as too long (its text dropped) and reading goes on after its end. Attacker-controlled input.
 */
async function* boundedLines(stream: Readable, max: number): AsyncGenerator<{ text: string; tooLong: boolean }> {
  const decoder = new TextDecoder('utf-8');
  let line = '';
  let tooLong = false;
  const take = (piece: string) => {
    if (tooLong) return;
    if (line.length + piece.length > max) {
      tooLong = true;
      line = '';
    } else line += piece;
  };
  for await (const chunk of stream) {
    const text = decoder.decode(chunk as Uint8Array, { stream: true });
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      take(text.slice(from, nl));
      yield { text: line.endsWith('\r') ? line.slice(0, -1) : line, tooLong };
      line = '';
      tooLong = false;
      from = nl + 1;
    }
    take(text.slice(from));
  }
  take(decoder.decode());
  if (line.length > 0 || tooLong) yield { text: line, tooLong };
}

/** Writes with backpressure (a slow reader of stdout must not grow the buffer without bound). */
function write(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

const score: Command = {
  name: 'score',
  summary: 'score JSON Lines events (time order) on stdin: one {"score","reasons"} line per event',
  details: [
    'Input, one JSON object a line: {"time","user","ip","country","lat","lon","device","authenticator","action","success"};',
    'time and user are required (time: ISO 8601 or epoch seconds/milliseconds), the rest optional.',
    'Each score uses only the events before it. A malformed line gives an {"error":...} line in its',
    'place and the stream goes on (with --strict: stop, exit 2). Example: docs/examples/risk-events.jsonl.',
  ].join('\n'),
  options: {
    input: { type: 'string', value: 'FILE', help: 'read events from FILE instead of stdin' },
    model: {
      type: 'string',
      value: 'FILE',
      help: 'a model retrained with scripts/train-risk.ts (default: the shipped one)',
    },
    strict: { type: 'boolean', help: 'stop at the first malformed line' },
  },
  async run({ values }) {
    const modelPath = opt(values, 'model');
    const scorer = new RiskScorer(
      modelPath === undefined
        ? {}
        : { model: parseModel(new TextDecoder().decode(await readInput(modelPath, 1024 * 1024))) },
    );
    const path = opt(values, 'input');
    const stream = path === undefined || path === '-' ? process.stdin : createReadStream(path);
    const strict = values['strict'] === true;
    // A reader that stops early (`| head`) ends the run quietly, as for any filter.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
    });
    let n = 0;
    let bad = 0;
    let buffer = '';
    try {
      for await (const { text, tooLong } of boundedLines(stream, MAX_EVENT_LINE)) {
        n++;
        if (!tooLong && text.trim() === '') continue; // blank lines are not events
        let outLine: string;
        try {
          if (tooLong)
            throw new InputError(
              'VERITY_E_RISK_EVENT_INVALID',
              `an event line is longer than ${MAX_EVENT_LINE} characters`,
            );
          outLine = JSON.stringify(scorer.scoreLine(text));
        } catch (e) {
          if (!isVerityError(e, 'VERITY_E_RISK_EVENT_INVALID')) throw e;
          bad++;
          const located = new InputError('VERITY_E_RISK_EVENT_INVALID', `line ${n}: ${e.message}`);
          outLine = JSON.stringify(located.toJSON());
          if (strict) {
            // Malformed input: exit 2, as for usage errors (main maps only its own codes to 2).
            await write(buffer);
            buffer = '';
            process.stderr.write(`${outLine}\n`);
            return 2;
          }
        }
        buffer += `${outLine}\n`;
        if (buffer.length >= 64 * 1024) {
          await write(buffer);
          buffer = '';
        }
      }
    } finally {
      if (buffer.length > 0) await write(buffer);
    }
    if (bad > 0) process.stderr.write(`${JSON.stringify({ warning: { malformedLines: bad } })}\n`);
    return 0;
  },
};

function parseModel(text: string): LogisticModel {
  try {
    return JSON.parse(text) as LogisticModel;
  } catch (cause) {
    throw new InputError(
      'VERITY_E_RISK_MODEL_INVALID',
      'the model file is not JSON; retrain it with scripts/train-risk.ts',
      {
        cause,
      },
    );
  }
}

export const risk: Group = {
  name: 'risk',
  summary: 'risk scoring of sign-ins and sensitive operations; no store',
  commands: [score],
};
