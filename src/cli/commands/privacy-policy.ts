/**
 * `verity privacy-policy ...`: the privacy policy as code (purposes, categories, legal bases per
 * regime, rights, deadlines, recipients, transfers, each a DPV term). Named apart from `verity
 * policy`, which tests the Cedar access policies.
 */

import { POLICY_KIND } from '../../consent/index.ts';
import { dataDirPrivacyPolicy, openDataDirReadOnly, readPrivacyPolicy } from '../../embedded/index.ts';
import { DEFAULT_PRIVACY_POLICY, POLICY_SCHEMA, PrivacyPolicy } from '../../privacy/index.ts';
import type { Command, Group } from '../command.ts';
import { opt } from '../common.ts';
import { outJson } from '../io.ts';

/** What `show` and `validate` say about a policy besides the document. */
function summary(p: PrivacyPolicy) {
  return {
    version: p.version,
    hash: p.hash,
    regimes: Object.fromEntries(
      p.regimes.map((r) => {
        const g = p.regime(r);
        return [
          r,
          { name: g.name, deadline: g.deadline, consentAge: g.consentAge.digital, rights: Object.keys(g.rights) },
        ];
      }),
    ),
    defaultRegime: p.document.defaultRegime,
    purposes: Object.fromEntries(
      p.purposes.map((id) => [
        id,
        {
          dpv: p.iri(p.document.purposes[id]?.dpv as string),
          legalBasis: Object.fromEntries(p.regimes.map((r) => [r, p.legalBasis(id, r).dpv])),
        },
      ]),
    ),
    categories: p.categories,
  };
}

const show: Command = {
  name: 'show',
  summary:
    "the privacy policy in force: the data directory's (with --data), else the default; --document prints it whole",
  options: {
    data: {
      type: 'string',
      value: 'DIR',
      help: "the data directory's policy (DIR/policies/privacy-policy.json) and its installed versions",
    },
    document: { type: 'boolean', help: 'print the whole document (JSON), to start a policy of your own from' },
  },
  async run({ values }) {
    const dir = opt(values, 'data');
    const policy = dir === undefined ? PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY) : await dataDirPrivacyPolicy(dir);
    if (values['document'] === true) {
      await outJson(policy.document);
      return 0;
    }
    let installed: unknown;
    if (dir !== undefined) {
      // Installed versions are public state (no secret needed): read them from the store.
      const ro = await openDataDirReadOnly(dir);
      try {
        installed = (await ro.store.reader.listObjects(POLICY_KIND, '', { limit: 1000 }))
          .filter((r) => r.id.startsWith('v/'))
          .map((r) => {
            const b = JSON.parse(r.body) as Record<string, unknown>;
            return {
              version: b['version'],
              hash: b['hash'],
              installedAt: new Date(Number(b['installedAt'])).toISOString(),
              logIndex: b['logIndex'],
            };
          });
      } finally {
        await ro.close();
      }
    }
    await outJson({ ...summary(policy), ...(installed === undefined ? {} : { installed }) });
    return 0;
  },
};

const validate: Command = {
  name: 'validate',
  summary:
    'check a privacy policy file against its JSON Schema and its references; exit 1 naming the JSON pointer of a fault',
  options: {},
  args: ['FILE'],
  async run({ positionals }) {
    const p = await readPrivacyPolicy(positionals[0] as string);
    await outJson({ valid: true, ...summary(p) });
    return 0;
  },
};

const schema: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of privacy policy documents',
  options: {},
  async run() {
    await outJson(POLICY_SCHEMA);
    return 0;
  },
};

export const privacyPolicy: Group = {
  name: 'privacy-policy',
  summary: 'the privacy policy as code (DPV terms; GDPR, CCPA/CPRA and LGPD side by side)',
  commands: [show, validate, schema],
};
