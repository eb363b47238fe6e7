/** `verity doctor`: the installed dependencies against security advisories in the OSV format. */

import { join } from 'node:path';
import type { Command, Group } from '../command.ts';
import { opt, str } from '../common.ts';
import { out, outJson, readInput } from '../io.ts';

/** This checkout's package-lock.json: what `npm ci` installed. */
const LOCK = join(import.meta.dirname, '..', '..', '..', 'package-lock.json');

const doctor: Command = {
  name: '',
  summary: 'check the installed dependency versions against an OSV advisory file; exit 1 when one needs a patch',
  details:
    'FILE is a JSON array of OSV records (or {"vulns": [...]}, as OSV\'s query API answers); docs/updates.md describes it.',
  options: {
    advisories: { type: 'string', value: 'FILE', required: true, help: 'the advisory file (OSV JSON)' },
    lock: { type: 'string', value: 'FILE', help: "the package-lock.json to check (default: this installation's)" },
    json: { type: 'boolean', help: 'print the findings as JSON' },
  },
  async run({ values }) {
    // Loaded here: its semver library would otherwise load with every command of the CLI.
    const { installedFromLock, MAX_ADVISORY_BYTES, matchAdvisories, parseAdvisories } = await import(
      '../../updates/index.ts'
    );
    const advisories = parseAdvisories(await readInput(str(values, 'advisories'), MAX_ADVISORY_BYTES));
    const installed = installedFromLock(await readInput(opt(values, 'lock') ?? LOCK, 64 * 1024 * 1024));
    const findings = matchAdvisories(installed, advisories);
    if (values['json'] === true)
      await outJson({ advisories: advisories.length, installed: installed.length, findings });
    else
      await out(
        [
          ...findings.map(
            (f) =>
              `patch ${f.package} ${f.installed} -> ${f.fixed ?? '(no fixed version yet: remove or replace it)'}  ${f.advisory}  (${f.path})`,
          ),
          `${advisories.length} advisories checked against ${installed.length} installed packages: ${
            findings.length === 0 ? 'nothing to patch' : `${findings.length} to patch`
          }`,
        ].join('\n'),
      );
    return findings.length === 0 ? 0 : 1;
  },
};

export const doctorGroup: Group = { name: 'doctor', summary: 'dependency advisories', commands: [doctor] };
