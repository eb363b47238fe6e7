/**
 * `verity governance ...`: community governance of a data directory (FGMV-46 7.4.3, 7.4.5), as
 * the operator (`operator:cli`); and `verity compliance ...`: OSCAL evidence (7.4.4).
 */

import { openPrivacy } from '../../embedded/index.ts';
import { fromUtf8, parseJson } from '../../encoding/index.ts';
import {
  DEFAULT_GOVERNANCE,
  Governance,
  type GovernanceAccess,
  governanceHash,
  type ProposalStatus,
  type TallyEvidence,
  verifyTally,
} from '../../governance/index.ts';
import { IncidentRegister } from '../../incidents/index.ts';
import { assess, oscalCatalog } from '../../oscal/index.ts';
import type { Privacy } from '../../privacy/index.ts';
import { AccessReports } from '../../reports/index.ts';
import { type Command, type Group, type OptionSpec, usage } from '../command.ts';
import { ACTOR, DATA, dataDir, int, type Opened, opt, str, withVerity } from '../common.ts';
import { outJson, readInput } from '../io.ts';

const access: GovernanceAccess = { actor: ACTOR, role: 'operator' };
const ID: Readonly<Record<string, OptionSpec>> = {
  id: { type: 'string', value: 'ID', required: true, help: 'the proposal (gp_...)' },
};
const STATUSES = ['open', 'adopted', 'rejected', 'cancelled', 'enacted'];

/** The governance of an open data directory, over its privacy policy (installed when new). */
async function withGovernance<T>(
  values: Parameters<typeof withVerity>[0],
  fn: (g: Governance, v: Opened, privacy: Privacy) => Promise<T>,
): Promise<T> {
  const dir = dataDir(values);
  return withVerity(values, async (v) => {
    const privacy = await openPrivacy(v, dir, { actor: ACTOR });
    return fn(new Governance({ store: v.store, log: v.log, keys: v.keys, privacy }), v, privacy);
  });
}

const documentCmd: Command = {
  name: 'document',
  summary: 'the governance document: stakeholder roles and their rights, voting period, quorum, majority, timelock',
  options: {},
  async run() {
    await outJson({ ...DEFAULT_GOVERNANCE, hash: governanceHash(DEFAULT_GOVERNANCE) });
    return 0;
  },
};

const propose: Command = {
  name: 'propose',
  summary: 'propose a new privacy policy version (the whole document from FILE) for the community to vote on',
  options: {
    ...DATA,
    title: { type: 'string', value: 'TEXT', required: true, help: 'a short title' },
    rationale: { type: 'string', value: 'TEXT', required: true, help: 'why the change' },
    policy: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'the proposed privacy policy (JSON, a new version)',
    },
  },
  async run({ values }) {
    const text = fromUtf8(await readInput(str(values, 'policy'), 1024 * 1024), 'the policy file');
    const policy = parseJson(text, { maxBytes: 1024 * 1024, maxDepth: 16 }, 'the policy file');
    const p = await withGovernance(values, (g) =>
      g.propose({ title: str(values, 'title'), rationale: str(values, 'rationale'), policy }, access),
    );
    await outJson(p);
    return 0;
  },
};

const feedback: Command = {
  name: 'feedback',
  summary: 'give feedback on the data policies as the operator, or list the feedback given (--list)',
  options: {
    ...DATA,
    topic: { type: 'string', value: 'T', help: '`general`, a purpose or data category, or `proposal:ID`' },
    text: { type: 'string', value: 'TEXT', help: 'the feedback (stays in the state; the log holds a commitment)' },
    list: { type: 'boolean', help: 'list the feedback given instead' },
  },
  async run({ values }) {
    if (values['list'] === true) {
      await outJson(await withGovernance(values, (g) => g.feedbackList({ limit: 1000 })));
      return 0;
    }
    const f = await withGovernance(values, (g) =>
      g.feedback({ topic: opt(values, 'topic') ?? 'general', text: str(values, 'text') }, access),
    );
    await outJson(f);
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'the proposals and where each stands',
  options: {
    ...DATA,
    status: { type: 'string', value: 'S', help: `only proposals in status S (${STATUSES.join(', ')})` },
    limit: { type: 'string', value: 'N', help: 'at most N (default 100)' },
  },
  async run({ values }) {
    const status = opt(values, 'status');
    if (status !== undefined && !STATUSES.includes(status))
      usage(`--status must be one of ${STATUSES.join(', ')}`, 'governance list');
    const limit = int(values, 'limit', false);
    await outJson(
      await withGovernance(values, (g) =>
        g.list({
          ...(status === undefined ? {} : { status: status as ProposalStatus }),
          ...(limit === undefined ? {} : { limit }),
        }),
      ),
    );
    return 0;
  },
};

const show: Command = {
  name: 'show',
  summary: 'one proposal',
  options: { ...DATA, ...ID },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.get(str(values, 'id'))));
    return 0;
  },
};

const close: Command = {
  name: 'close',
  summary: 'close voting once the period is over and publish the tally (an adopted proposal enters its timelock)',
  options: { ...DATA, ...ID },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.close(str(values, 'id'), access)));
    return 0;
  },
};

const cancel: Command = {
  name: 'cancel',
  summary: 'cancel an adopted proposal during its timelock, with the reason',
  options: {
    ...DATA,
    ...ID,
    reason: { type: 'string', value: 'TEXT', required: true, help: 'why (kept; its hash logged)' },
  },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.cancel(str(values, 'id'), str(values, 'reason'), access)));
    return 0;
  },
};

const enact: Command = {
  name: 'enact',
  summary: 'enact an adopted proposal after its timelock: its privacy policy version goes into force',
  details:
    'A running `verity serve` on the same data directory takes the new version up within 30 seconds. Keep the\nfile policies/privacy-policy.json as it is or replace it with the enacted version: an older, installed\nversion in the file does not take the enacted one back.',
  options: { ...DATA, ...ID },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.enact(str(values, 'id'), access)));
    return 0;
  },
};

const tick: Command = {
  name: 'tick',
  summary: 'close the votes whose period is over and enact the proposals whose timelock is over',
  options: { ...DATA },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.tick()));
    return 0;
  },
};

const tally: Command = {
  name: 'tally',
  summary: "a tally's evidence: the proposal's, each vote's and the tally's entries with inclusion proofs",
  options: { ...DATA, ...ID },
  async run({ values }) {
    await outJson(await withGovernance(values, (g) => g.evidence(str(values, 'id'))));
    return 0;
  },
};

const verifyTallyCmd: Command = {
  name: 'verify-tally',
  summary: "recount a tally from its evidence (FILE, or - for stdin) against the log's verifier key",
  options: {
    key: { type: 'string', value: 'VKEY', required: 'env', help: 'the log verifier key (or VERITY_LOG_KEY)' },
  },
  args: ['FILE'],
  async run({ values, positionals }) {
    const key = opt(values, 'key') ?? process.env['VERITY_LOG_KEY'];
    if (key === undefined || key === '') usage('--key VKEY (or VERITY_LOG_KEY) is required', 'governance verify-tally');
    const file = positionals[0] as string;
    const ev = parseJson(
      fromUtf8(await readInput(file), 'the evidence'),
      { maxBytes: 512 * 1024 * 1024, maxDepth: 8 },
      'the evidence',
    );
    await outJson({ valid: true, ...verifyTally(ev as unknown as TallyEvidence, key) });
    return 0;
  },
};

export const governance: Group = {
  name: 'governance',
  summary: 'community governance: feedback, proposals to change the privacy policy, tallies, the timelock',
  commands: [documentCmd, feedback, propose, listCmd, show, close, cancel, enact, tick, tally, verifyTallyCmd],
};

const oscal: Command = {
  name: 'oscal',
  summary:
    'run the automated checks against the data directory and print OSCAL assessment results (exit 1 with --strict when a control is not satisfied)',
  options: {
    ...DATA,
    full: { type: 'boolean', help: 'rebuild the whole log and state map (as `verity log verify`), not only the head' },
    strict: { type: 'boolean', help: 'exit 1 when any control is not satisfied' },
  },
  async run({ values }) {
    const a = await withGovernance(values, (g, v, privacy) =>
      assess(
        {
          store: v.store,
          log: v.log,
          keys: v.keys,
          privacy,
          rights: v.rights,
          retention: v.retention,
          incidents: new IncidentRegister(v.store, v.log, new AccessReports(v.store, v.log, v.vault).index),
          governance: g,
        },
        { actor: ACTOR, full: values['full'] === true },
      ),
    );
    await outJson(a.document);
    process.stderr.write(
      `verity: ${a.satisfied} controls satisfied, ${a.notSatisfied} not (${a.checks
        .filter((c) => !c.satisfied)
        .map((c) => c.id)
        .join(', ')})\n`,
    );
    return values['strict'] === true && a.notSatisfied > 0 ? 1 : 0;
  },
};

const catalog: Command = {
  name: 'catalog',
  summary: 'the control catalog (OSCAL): FGMV-46 clauses, GDPR and CCPA/CPRA articles, and the checks that assess each',
  options: {},
  async run() {
    await outJson(oscalCatalog(new Date().toISOString()));
    return 0;
  },
};

export const compliance: Group = {
  name: 'compliance',
  summary: 'compliance evidence as OSCAL assessment results over the control catalog',
  commands: [oscal, catalog],
};
