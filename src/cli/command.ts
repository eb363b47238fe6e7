/**
 * The command table's shape, and what is derived from it: argument parsing (`node:util`
 * `parseArgs`) and every help text. A command is one declaration (summary, options with their
 * help, positional arguments, and `run`), so it cannot exist without its help, and the help cannot
 * name an option the parser refuses (the npm and GitHub CLI pattern).
 */

import { parseArgs } from 'node:util';
import { InputError, quote } from '../errors/index.ts';
import { identifierProblem } from '../identifiers/index.ts';

/** A usage error (exit code 2). */
export class UsageError extends InputError {}

/**
 * A usage error raised where no command is known (a check that commands share, such as `--index`
 * being an integer): it points at `verity help`, and `runCommand` makes it point at the help of the
 * command that was running.
 */
class UnplacedUsageError extends UsageError {
  readonly bare: string;
  constructor(bare: string) {
    super('VERITY_E_INPUT_INVALID', `${bare}; run \`verity help\` for usage`);
    this.bare = bare;
  }
}

/** Throws a usage error that points at the help of `where` (`records get`, or nothing for `verity help`). */
export function usage(message: string, where?: string): never {
  if (where === undefined) throw new UnplacedUsageError(message);
  throw new UsageError('VERITY_E_INPUT_INVALID', `${message}; run \`verity ${where} --help\` for usage`);
}

/** Parses a command's arguments and runs it; a usage error its checks raise names its help. */
export async function runCommand(g: Group, c: Command, args: readonly string[]): Promise<number> {
  const invocation = parseCommand(g, c, args);
  try {
    return await c.run(invocation);
  } catch (e) {
    if (e instanceof UnplacedUsageError) usage(e.bare, commandPath(g, c));
    throw e;
  }
}

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The value's placeholder in help (`DIR`, `N`); strings only. */
  readonly value?: string;
  readonly help: string;
  /**
   * `true`: the parser refuses the command without it. `'env'`: shown as required, but it may come
   * from the environment instead (the command checks).
   */
  readonly required?: boolean | 'env';
  /**
   * The value names something (a subject, a purpose, a record type, ...): it must be an identifier
   * as `checkIdentifier` defines (well-formed Unicode in NFC, nothing invisible), else a usage error.
   */
  readonly identifier?: boolean;
}

/** Option values as parsed. */
export type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** What a command's `run` receives. */
export interface Invocation {
  readonly values: Values;
  readonly positionals: readonly string[];
}

/** One command: `verity GROUP NAME`, or `verity GROUP` when the group has a single unnamed command. */
export interface Command {
  /** Empty for a group's only command (`verity init`, `verity anonymize`). */
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments, each required. */
  readonly args?: readonly string[];
  /** More lines of help, shown by `--help`. */
  readonly details?: string;
  run(i: Invocation): Promise<number>;
}

/** A command group: `verity records ...`. */
export interface Group {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
}

/** `records get`, or `init` for a group's only command. */
export function commandPath(g: Group, c: Command): string {
  return c.name === '' ? g.name : `${g.name} ${c.name}`;
}

function optionText(name: string, o: OptionSpec): string {
  const text = o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
  return o.multiple === true ? `${text}...` : text;
}

/** The command with all its options, required ones bare and the rest in brackets, one item each. */
function synopsisParts(g: Group, c: Command): string[] {
  const parts = [`verity ${commandPath(g, c)}`];
  for (const [name, o] of Object.entries(c.options)) {
    parts.push(o.required === undefined || o.required === false ? `[${optionText(name, o)}]` : optionText(name, o));
  }
  for (const a of c.args ?? []) parts.push(a);
  return parts;
}

/** One line: the command with all its options. */
export function synopsis(g: Group, c: Command): string {
  return synopsisParts(g, c).join(' ');
}

/** Lines of at most `width` characters, never breaking inside an item. */
function wrap(items: readonly string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let line = indent;
  for (const word of items) {
    if (line.length + word.length + 1 > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = `${indent}    `;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** The help of one command: synopsis, summary, details and each option with its help. */
export function commandHelp(g: Group, c: Command): string {
  const lines = [wrap(synopsisParts(g, c), '  '), `      ${c.summary}`];
  if (c.details !== undefined) lines.push(...c.details.split('\n').map((l) => `      ${l}`));
  const width = Math.max(0, ...Object.entries(c.options).map(([n, o]) => optionText(n, o).length));
  for (const [name, o] of Object.entries(c.options)) {
    const req = o.required === true ? ' (required)' : '';
    lines.push(`        ${optionText(name, o).padEnd(width)}  ${o.help}${req}`);
  }
  return lines.join('\n');
}

/** The help of a group: every command of it, with its options. */
export function groupHelp(g: Group): string {
  return [`verity ${g.name}: ${g.summary}`, '', ...g.commands.map((c) => `${commandHelp(g, c)}\n`)].join('\n');
}

/** `verity help`: every command of every group with all its options, one synopsis each. */
export function mainHelp(groups: readonly Group[], footer: string): string {
  const lines = ['usage: verity <command> [options]   (`verity COMMAND --help` for each option)', ''];
  for (const g of groups) {
    for (const c of g.commands) lines.push(wrap(synopsisParts(g, c), '  '), `      ${c.summary}`);
  }
  lines.push('', footer);
  return lines.join('\n');
}

/**
 * Options refused with a reason rather than as unknown: a secret on the command line is visible
 * to every user of the machine in the process list (and lands in shell history).
 */
const REFUSED: Readonly<Record<string, string>> = {
  token:
    'a token on the command line shows in the process list: set VERITY_TOKEN or pass --token-file FILE (a file holding the token)',
};

/**
 * Parses a command's arguments against its declaration: unknown options, a missing required one
 * and the wrong number of arguments are usage errors naming the command's help.
 */
export function parseCommand(g: Group, c: Command, args: readonly string[]): Invocation {
  const where = commandPath(g, c);
  const end = args.indexOf('--');
  for (const a of end === -1 ? args : args.slice(0, end)) {
    const name = /^--([^=]+)/.exec(a)?.[1];
    const why = name === undefined || name in c.options || !Object.hasOwn(REFUSED, name) ? undefined : REFUSED[name];
    if (why !== undefined) usage(`--${name} is not accepted: ${why}`, where);
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(c.options))
    options[name] = { type: o.type, ...(o.multiple === true ? { multiple: true } : {}) };
  // A value of a string option that starts with `-` (a base64url session or token id such as
  // `-Xc3...`) is the option's value, not another option: parseArgs would call it ambiguous.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const isOption = (x: string) =>
      x === '--' || x === '--help' || (x.startsWith('--') && Object.hasOwn(c.options, x.slice(2).split('=')[0] ?? ''));
    if (name !== undefined && c.options[name]?.type === 'string' && next?.startsWith('-') && !isOption(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else joined.push(a);
  }
  let r: { values: Values; positionals: string[] };
  try {
    r = parseArgs({ args: joined, options, allowPositionals: true, strict: true }) as typeof r;
  } catch (e) {
    usage((e as Error).message.split('\n')[0]?.toLowerCase() ?? 'bad arguments', where);
  }
  const want = c.args?.length ?? 0;
  if (r.positionals.length !== want)
    usage(
      `expected ${want} argument(s)${want > 0 ? ` (${c.args?.join(' ')})` : ''}, got ${r.positionals.length}`,
      where,
    );
  for (const [name, o] of Object.entries(c.options)) {
    const v = r.values[name];
    if (o.required === true && (v === undefined || v === '')) usage(`--${name} is required`, where);
    if (o.identifier === true && v !== undefined)
      for (const one of Array.isArray(v) ? v : [v]) {
        const problem = typeof one === 'string' ? identifierProblem(one) : undefined;
        if (problem !== undefined) usage(`--${name} ${quote(one)} ${problem}`, where);
      }
  }
  return { values: r.values, positionals: r.positionals };
}

/** Whether the arguments ask for help (before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
