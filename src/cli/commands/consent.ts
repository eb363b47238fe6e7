/** `verity consent ...`: a player's consent on a data directory (recorded by the local operator). */

import { type ConsentRecord, type ConsentStatus, verifyConsentProofs } from '../../consent/index.ts';
import { openPrivacy } from '../../embedded/index.ts';
import type { Privacy } from '../../privacy/index.ts';
import type { Command, Group, Values } from '../command.ts';
import { ACTOR, DATA, dataDir, type Opened, opt, str, withVerity } from '../common.ts';
import { outJson } from '../io.ts';

const SUBJECT = {
  subject: { type: 'string', value: 'S', identifier: true, required: true, help: 'the player' },
} as const;

const CHANGE = {
  ...DATA,
  ...SUBJECT,
  purpose: {
    type: 'string',
    value: 'P',
    identifier: true,
    required: true,
    help: 'a purpose of the privacy policy (`verity privacy-policy show` lists them)',
  },
  category: { type: 'string', value: 'C', identifier: true, help: 'a data category, for consent per category' },
  method: {
    type: 'string',
    value: 'M',
    help: 'how consent was collected: web-form, in-world-dialog, paper, ... (default operator-recorded)',
  },
  'policy-version': {
    type: 'string',
    value: 'V',
    help: 'the privacy policy version the player was shown (default the one in force)',
  },
  region: { type: 'string', value: 'R', help: "the player's declared region (ISO 3166: DE, US-CA, BR)" },
} as const;

/** Opens the data directory and its privacy capability for the length of `fn`. */
function withPrivacy<T>(values: Values, fn: (v: Opened, privacy: Privacy) => Promise<T>): Promise<T> {
  const dir = dataDir(values);
  return withVerity(values, async (v) => fn(v, await openPrivacy(v, dir, { actor: ACTOR })));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One consent as `consent show` prints it. */
function shown(r: ConsentRecord) {
  return {
    given: r.status === 'given',
    status: r.status,
    givenAt: iso(r.givenAt),
    withdrawnAt: iso(r.withdrawnAt),
    policyVersion: r.policyVersion,
    method: r.method,
    regime: r.regime,
    changes: r.changes,
    logIndex: r.logIndex,
    consentId: r.consentId,
  };
}

function change(status: ConsentStatus, name: string, summary: string): Command {
  return {
    name,
    summary,
    options: CHANGE,
    async run({ values }) {
      const r = await withPrivacy(values, async (v, privacy) => {
        const category = opt(values, 'category');
        const version = opt(values, 'policy-version');
        const region = opt(values, 'region');
        return privacy.recordConsent(
          await v.vault.subjectRef(str(values, 'subject')),
          {
            purpose: str(values, 'purpose'),
            status,
            method: opt(values, 'method') ?? 'operator-recorded',
            ...(category === undefined ? {} : { category }),
            ...(version === undefined ? {} : { policyVersion: version }),
            ...(region === undefined ? {} : { region }),
          },
          { actor: ACTOR },
        );
      });
      await outJson({ purpose: r.record.purpose, category: r.record.category, ...shown(r.record) });
      return 0;
    },
  };
}

const show: Command = {
  name: 'show',
  summary: "a player's consents as JSON: per purpose whether consent is given now, with times and policy version",
  details: [
    'Prints {subject, subjectRef, region, regime, policyVersion, purposes: {PURPOSE: {given, status, givenAt,',
    'withdrawnAt, policyVersion, method, regime, changes, logIndex, consentId, categories?}}, history: [...]}.',
    'Times are ISO 8601 (UTC), null when never; a purpose never asked about is absent. With --evidence, also',
    'the state and inclusion proofs (as GET /v1/consent answers them), checked before they are printed.',
  ].join('\n'),
  options: { ...DATA, ...SUBJECT, evidence: { type: 'boolean', help: 'add the proofs (checked first)' } },
  async run({ values }) {
    const subject = str(values, 'subject');
    const view = await withPrivacy(values, async (v, privacy) => {
      const ref = await v.vault.subjectRef(subject);
      const region = await privacy.regionOf(ref);
      const proofs = await privacy.prove(ref);
      // The same check a client makes: what is printed is what the signed log and state map hold.
      const checked = verifyConsentProofs(proofs, ref, v.log.verifier, v.log.origin);
      const purposes: Record<string, Record<string, unknown>> = {};
      for (const { record } of checked.consents) {
        const entry = purposes[record.purpose] ?? { given: false, status: null };
        if (record.category === null) Object.assign(entry, shown(record));
        else {
          const categories = (entry['categories'] ?? {}) as Record<string, unknown>;
          categories[record.category] = shown(record);
          entry['categories'] = categories;
        }
        purposes[record.purpose] = entry;
      }
      const history = checked.consents
        .flatMap((c) => c.history)
        .sort((a, b) => a.logIndex - b.logIndex)
        .map((h) => ({
          purpose: h.change.purpose,
          category: h.change.category,
          status: h.change.status,
          at: iso(h.change.at),
          policyVersion: h.change.policyVersion,
          method: h.change.method,
          regime: h.change.regime,
          logIndex: h.logIndex,
        }));
      return {
        subject,
        subjectRef: ref,
        region: region ?? null,
        regime: privacy.policy.regimeFor(region),
        policyVersion: privacy.policy.version,
        checkpointSize: checked.checkpoint.size,
        purposes,
        history,
        ...(values['evidence'] === true ? { evidence: proofs } : {}),
      };
    });
    await outJson(view);
    return 0;
  },
};

export const consent: Group = {
  name: 'consent',
  summary: "a player's consent per purpose (ISO/IEC TS 27560 records, each change logged)",
  commands: [
    change('given', 'grant', 'record that the player gave consent for a purpose (decisions read it at once)'),
    change(
      'withdrawn',
      'withdraw',
      'record that the player withdrew consent: the next request relying on it is refused',
    ),
    change('refused', 'refuse', 'record that the player refused consent when asked'),
    show,
  ],
};
