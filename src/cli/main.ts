/**
 * The `verity` command: dispatches through the command table (src/cli/table.ts), whose
 * declarations also give every help text. The CLI is, with the server's entry point, the only
 * place that reads the environment and files: it resolves the configuration once and hands explicit
 * values to the libraries.
 *
 * Exit codes: 0 success; 1 the operation failed or a verification was invalid; 2 usage error or
 * malformed input.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isVerityError } from '../errors/index.ts';
import { commandHelp, groupHelp, mainHelp, runCommand, UsageError, usage, wantsHelp } from './command.ts';
import { out, quietOnClosedStdout } from './io.ts';
import { GROUPS, HELP_FOOTER } from './table.ts';

const HELP = new Set(['help', '--help', '-h']);

async function main(argv: readonly string[]): Promise<number> {
  const [name, sub, ...rest] = argv;
  if (name === '--version' && sub === undefined) {
    // The version of this checkout, from its package.json.
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    await out(`verity ${pkg.version}`);
    return 0;
  }
  if (name === undefined || HELP.has(name)) {
    // `verity help records` is `verity records --help`.
    const g = sub === undefined ? undefined : GROUPS.find((x) => x.name === sub);
    await out(
      g === undefined
        ? mainHelp(await Promise.all(GROUPS.map((x) => x.load())), HELP_FOOTER)
        : groupHelp(await g.load()),
    );
    return name === undefined ? 2 : 0;
  }
  const entry = GROUPS.find((g) => g.name === name);
  if (entry === undefined) usage(`unknown command ${JSON.stringify(name).slice(0, 40)}`);
  const group = await entry.load();
  const only = group.commands.length === 1 && group.commands[0]?.name === '' ? group.commands[0] : undefined;
  if (only !== undefined) {
    const args = argv.slice(1);
    if (wantsHelp(args)) {
      await out(commandHelp(group, only));
      return 0;
    }
    return runCommand(group, only, args);
  }
  if (sub === undefined || HELP.has(sub)) {
    // `verity tokens` alone shows what `tokens` can do (exit 2: nothing was done).
    await out(groupHelp(group));
    return sub === undefined ? 2 : 0;
  }
  const command = group.commands.find((c) => c.name === sub);
  if (command === undefined)
    usage(
      `unknown command \`${group.name} ${sub.slice(0, 40)}\`: it has ${group.commands.map((c) => c.name).join(', ')}`,
      group.name,
    );
  if (wantsHelp(rest)) {
    await out(commandHelp(group, command));
    return 0;
  }
  return runCommand(group, command, rest);
}

function report(e: unknown): number {
  if (isVerityError(e)) {
    process.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
    return e instanceof UsageError || e.code === 'VERITY_E_INPUT_MALFORMED' ? 2 : 1;
  }
  // Unexpected: print the message only (never stack-dumped secrets), code INTERNAL.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${JSON.stringify({ error: { code: 'VERITY_E_INTERNAL', message: message.slice(0, 300) } })}\n`);
  return 1;
}

quietOnClosedStdout();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
    // A failed command has nothing left to do: a handle something left open (a socket, a file
    // watcher, a database pool) must not keep the process from exiting with its error.
    setTimeout(() => process.exit(), 2000).unref();
  },
);
