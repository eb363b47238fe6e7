// Compliance evidence as OSCAL assessment results (FGMV-46 7.4.4): the checks run against the
// live store, one observation per check (its measurement and evidence), one finding per control
// of the catalog (satisfied when every check that assesses it is), all proven against one signed
// checkpoint that the document carries in its back matter.

import { randomUUID } from 'node:crypto';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { canonicalJson, fromBase64, toBase64, toBase64Url, utf8 } from '../encoding/index.ts';
import type { Governance } from '../governance/index.ts';
import type { IncidentRegister } from '../incidents/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { sha256 } from '../platform/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { Retention } from '../retention/index.ts';
import type { Rights } from '../rights/index.ts';
import type { Store } from '../store/index.ts';
import { CATALOG_UUID, controls, OSCAL_VERSION, VERITY_NS } from './catalog.ts';
import { type CheckContext, type CheckResult, runChecks } from './checks.ts';

/** What an assessment runs over. */
export interface AssessmentSources {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly clock?: Clock;
  readonly privacy?: Privacy;
  readonly rights?: Rights;
  readonly retention?: Retention;
  readonly incidents?: IncidentRegister;
  readonly governance?: Governance;
  readonly witnesses?: CheckContext['witnesses'];
  readonly maxKekAgeMs?: number;
}

/** An assessment: the OSCAL document and the checks' own results. */
export interface Assessment {
  /** `{"assessment-results": ...}` (NIST OSCAL 1.0 JSON). */
  readonly document: Record<string, unknown>;
  readonly checks: readonly CheckResult[];
  readonly satisfied: number;
  readonly notSatisfied: number;
  /** Log index of the `compliance.assess` entry that records it (its content hash: the document's). */
  readonly logIndex: number;
}

// UUIDs: random (version 4), as OSCAL asks of each object; `randomUUID` is Node's CSPRNG.
const uuid = (): string => randomUUID();
const iso = (ms: number): string => new Date(ms).toISOString();

/** OSCAL strings may not start or end with white space, nor be empty. */
function s(v: string): string {
  const t = v.trim();
  return t === '' ? '-' : t;
}

/**
 * Runs the checks and writes the assessment results. `full` rebuilds the whole log and state map
 * (as `verity log verify` does) rather than checking the signed head; it reads every entry.
 */
export async function assess(src: AssessmentSources, o: { actor: string; full?: boolean }): Promise<Assessment> {
  const clock = src.clock ?? systemClock;
  const head = await src.log.head();
  const start = clock.now();
  const ctx: CheckContext = {
    store: src.store,
    log: src.log,
    keys: src.keys,
    clock,
    treeSize: head.size,
    rootHash: head.rootHash,
    ...(src.privacy === undefined ? {} : { privacy: src.privacy }),
    ...(src.rights === undefined ? {} : { rights: src.rights }),
    ...(src.retention === undefined ? {} : { retention: src.retention }),
    ...(src.incidents === undefined ? {} : { incidents: src.incidents }),
    ...(src.governance === undefined ? {} : { governance: src.governance }),
    ...(src.witnesses === undefined ? {} : { witnesses: src.witnesses }),
    ...(src.maxKekAgeMs === undefined ? {} : { maxKekAgeMs: src.maxKekAgeMs }),
    ...(o.full === undefined ? {} : { full: o.full }),
  };
  const checks = await runChecks(ctx);
  const end = clock.now();
  const checkpointRes = uuid();
  const planRes = uuid();
  const observationOf = new Map<string, string>();
  const observations = checks.map((c) => {
    const id = uuid();
    observationOf.set(c.id, id);
    return {
      uuid: id,
      title: s(c.title),
      description: s(c.measured),
      props: [
        { name: 'verity-check', ns: VERITY_NS, value: c.id },
        { name: 'result', ns: VERITY_NS, value: c.satisfied ? 'pass' : 'fail' },
      ],
      methods: ['TEST'],
      types: ['control-objective'],
      collected: iso(c.collected),
      'relevant-evidence': [
        {
          href: `#${checkpointRes}`,
          description: `Proven against the signed checkpoint of tree size ${head.size} (back matter).`,
          props: [
            { name: 'tree-size', ns: VERITY_NS, value: String(head.size) },
            { name: 'root-hash', ns: VERITY_NS, value: toBase64(head.rootHash) },
          ],
        },
        ...c.evidence.map((e) => {
          const props = [
            ...(e.logIndex === undefined ? [] : [{ name: 'log-index', ns: VERITY_NS, value: String(e.logIndex) }]),
            ...(e.leafHash === undefined ? [] : [{ name: 'leaf-hash', ns: VERITY_NS, value: e.leafHash }]),
            ...(e.contentHash === undefined ? [] : [{ name: 'content-hash', ns: VERITY_NS, value: e.contentHash }]),
            ...(e.stateRoot === undefined ? [] : [{ name: 'state-root', ns: VERITY_NS, value: e.stateRoot }]),
          ];
          return { description: s(e.description), ...(props.length === 0 ? {} : { props }) };
        }),
      ],
    };
  });
  const byCheck = new Map(checks.map((c) => [c.id, c]));
  const findings = controls().map((ctl) => {
    const mine = ctl.checks.map((k) => byCheck.get(k)).filter((c): c is CheckResult => c !== undefined);
    const ok = mine.length === ctl.checks.length && mine.every((c) => c.satisfied);
    return {
      uuid: uuid(),
      title: s(ctl.title),
      description: s(
        `${ctl.statement} Assessed by ${ctl.checks.join(', ')}: ${mine.map((c) => `${c.id} ${c.satisfied ? 'passed' : 'failed'}`).join('; ')}.`,
      ),
      target: {
        type: 'statement-id',
        'target-id': `${ctl.id}_smt`,
        status: { state: ok ? 'satisfied' : 'not-satisfied', reason: ok ? 'pass' : 'fail' },
      },
      'related-observations': mine.map((c) => ({ 'observation-uuid': observationOf.get(c.id) as string })),
    };
  });
  const document = {
    'assessment-results': {
      uuid: uuid(),
      metadata: {
        title: 'Verity automated compliance assessment',
        'last-modified': iso(end),
        version: String(head.size),
        'oscal-version': OSCAL_VERSION,
      },
      'import-ap': { href: `#${planRes}` },
      results: [
        {
          uuid: uuid(),
          title: `Automated checks against the log of tree size ${head.size}`,
          description: s(
            `Each check ran against the live store and log; every finding's status comes from the checks' measurements. Log origin ${src.log.origin}.`,
          ),
          start: iso(start),
          end: iso(end),
          props: [
            { name: 'log-origin', ns: VERITY_NS, value: s(src.log.origin) },
            { name: 'tree-size', ns: VERITY_NS, value: String(head.size) },
            { name: 'mode', ns: VERITY_NS, value: o.full === true ? 'full' : 'head' },
          ],
          'reviewed-controls': {
            'control-selections': [{ 'include-controls': controls().map((c) => ({ 'control-id': c.id })) }],
          },
          observations,
          findings,
        },
      ],
      'back-matter': {
        resources: [
          {
            uuid: planRes,
            title: "Verity's automated assessment plan",
            description: `The checks of Verity's control catalog (catalog ${CATALOG_UUID}), run by the system itself.`,
            props: [{ name: 'catalog-uuid', ns: VERITY_NS, value: CATALOG_UUID }],
          },
          {
            uuid: checkpointRes,
            title: 'Signed checkpoint',
            description: s(
              `The C2SP signed checkpoint of tree size ${head.size} that every proof in these results leads to; verify it with the log key (verity log key).`,
            ),
            base64: { filename: 'checkpoint.txt', 'media-type': 'text/plain', value: toBase64(utf8(head.checkpoint)) },
          },
        ],
      },
    },
  };
  const satisfied = findings.filter((f) => f.target.status.state === 'satisfied').length;
  const notSatisfied = findings.length - satisfied;
  const hash = `sha256:${toBase64Url(sha256(utf8(canonicalJson(document))))}`;
  const { result: logIndex } = await src.log.submit((_tx, batch) =>
    batch.add(
      encodeAuditEntry({
        actor: o.actor,
        action: 'compliance.assess',
        resource: 'compliance:oscal',
        purpose: 'accountability',
        outcome: 'success',
        time: clock.now(),
        contentHash: hash,
        details: { treeSize: head.size, satisfied, notSatisfied, mode: o.full === true ? 'full' : 'head' },
      }),
    ),
  );
  return { document, checks, satisfied, notSatisfied, logIndex };
}

/** The checkpoint a results document carries (for a client that checks it). */
export function checkpointOf(document: Record<string, unknown>): string | undefined {
  const ar = document['assessment-results'] as
    | { 'back-matter'?: { resources?: { title?: string; base64?: { value?: string } }[] } }
    | undefined;
  const r = ar?.['back-matter']?.resources?.find((x) => x.title === 'Signed checkpoint');
  const v = r?.base64?.value;
  return v === undefined ? undefined : new TextDecoder().decode(fromBase64(v));
}
