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
      help: "the data directory's policy in force, its installed versions, and whether DIR/policies/privacy-policy.json is the one in force",
    },
    document: { type: 'boolean', help: 'print the whole document (JSON), to start a policy of your own from' },
  },
  async run({ values }) {
    const dir = opt(values, 'data');
    if (dir === undefined) {
      const policy = PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY);
      await outJson(values['document'] === true ? policy.document : summary(policy));
      return 0;
    }
    const file = await dataDirPrivacyPolicy(dir);
    // What is in force and the installed versions are public state (no secret needed): read them
    // from the store, each row checked against the state map.
    const ro = await openDataDirReadOnly(dir);
    let policy: PrivacyPolicy;
    let installed: unknown;
    try {
      const rows = await ro.store.reader.listObjects(POLICY_KIND, '', { limit: 1000 });
      const current = await ro.store.reader.getObject(POLICY_KIND, 'current');
      const inForce = current === undefined ? undefined : (JSON.parse(current.body) as { version: string }).version;
      const doc = rows.find((r) => r.id === `v/${inForce}`);
      // A directory whose first start has not happened yet: its file is what the start installs.
      policy =
        doc === undefined ? file : PrivacyPolicy.parse(String((JSON.parse(doc.body) as { document: string }).document));
      installed = rows
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
    if (values['document'] === true) {
      await outJson(policy.document);
      return 0;
    }
    await outJson({
      ...summary(policy),
      installed,
      // D416: the file decides nothing until `verity policy install` installs it.
      file: { version: file.version, hash: file.hash, inForce: file.hash === policy.hash },
    });
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
