// Community governance (FGMV-46 7.4.3 participation and feedback, 7.4.5 ecosystem governance) for
// players, creators, partner platforms and the operator: the governance document, feedback on the
// data policies, proposals and what they change, one vote per person, and results recounted and
// verified here: every vote's inclusion proof against the signed checkpoint, the checkpoint's
// signature with the pinned log key and its consistency with the checkpoint this browser trusts.
import './community.css';
import { useEffect, useState } from 'preact/hooks';
import { inspectTally, type TallyEvidence, type TallyInspection } from '../../sdk/index.ts';
import { ApiError, type Auth, api, type Consistency, consistency, describe, loadAuth, probe, trust } from '../api.ts';
import {
  Alarm,
  ColumnHeads,
  Empty,
  fmtTime,
  Loaded,
  NotServed,
  type Outcome,
  OutcomeNote,
  Page,
  useLoad,
  Verified,
} from '../ui.tsx';

interface Role {
  description: string;
  rights: string[];
}
interface GovernanceDoc {
  version: string;
  hash: string;
  roles: Record<string, Role>;
  votingPeriodMs: number;
  quorum: number;
  majority: number;
  timelockMs: number;
  changes: string[];
}
interface Proposal {
  id: string;
  title: string;
  rationale: string;
  change: { kind: string; version: string; hash: string; document?: PolicyDoc };
  proposedAs: string;
  governance: { version: string; hash: string };
  status: 'open' | 'adopted' | 'rejected' | 'cancelled' | 'enacted';
  createdAt: number;
  closesAt: number;
  quorum: number;
  majority: number;
  timelockMs: number;
  tally: { yes: number; no: number; abstain: number; votesHash: string; logIndex: number } | null;
  enactAfter: number | null;
  cancelled: { at: number; reason: string } | null;
  enacted: { at: number; policyLogIndex: number } | null;
  logIndices: number[];
}
interface PolicyDoc {
  version: string;
  purposes?: Record<string, unknown>;
  categories?: Record<string, unknown>;
  [k: string]: unknown;
}
interface InForce {
  version: string;
  hash: string;
  document: PolicyDoc;
  logIndex: number | null;
  enactedBy: string | null;
}

const TONE: Record<Proposal['status'], string> = {
  open: '',
  adopted: 'given',
  enacted: 'given',
  rejected: 'withdrawn',
  cancelled: 'withdrawn',
};

/** A duration in words: "2 days", "3 h 5 min". */
export function span(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  const parts = [d > 0 ? `${d} day${d === 1 ? '' : 's'}` : '', h > 0 ? `${h} h` : '', min > 0 ? `${min} min` : ''];
  return parts.filter((p) => p !== '').join(' ') || 'less than a minute';
}

/** The selected proposal, from `#/governance?p=ID`. */
function useSelected(): string | undefined {
  const read = () => /[?&]p=(gp_[A-Za-z0-9_-]{22})(?:&|$)/.exec(location.hash)?.[1];
  const [id, setId] = useState(read);
  useEffect(() => {
    const on = () => setId(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return id;
}

export function GovernancePage(p: { auth: Auth }) {
  const selected = useSelected();
  const [n, setN] = useState(0);
  const [load, reload] = useLoad(async () => {
    const doc = await probe<GovernanceDoc>('/v1/governance');
    if (doc === undefined) return undefined;
    const [proposals, policy] = await Promise.all([
      api<Proposal[]>('GET', '/v1/governance/proposals?limit=100'),
      api<InForce>('GET', '/v1/governance/policy'),
    ]);
    return { doc, proposals, policy };
  }, [n]);
  const changed = () => setN((x) => x + 1);
  return (
    <Page
      title="Governance"
      intro="How the community decides the data policies: the rules, your feedback, proposals, votes, and results you can recount here."
    >
      <Loaded
        load={load}
        what="the governance document"
        retry={reload}
        done={(v) =>
          v === undefined ? (
            <NotServed title="Governance" what="community proposals, votes and their timelock" />
          ) : (
            <>
              {selected === undefined ? null : (
                <ProposalDetail
                  id={selected}
                  auth={p.auth}
                  inForce={v.policy}
                  onChange={changed}
                  key={`${selected}-${n}`}
                />
              )}
              <Proposals list={v.proposals} selected={selected} />
              <PolicyInForce policy={v.policy} />
              <DocumentCard doc={v.doc} />
              <FeedbackForm policy={v.policy} proposals={v.proposals} />
              <ProposeForm auth={p.auth} policy={v.policy} onProposed={changed} />
            </>
          )
        }
      />
    </Page>
  );
}

function DocumentCard(p: { doc: GovernanceDoc }) {
  const d = p.doc;
  return (
    <section aria-labelledby="gov-doc" class="card" data-testid="governance-document">
      <h2 id="gov-doc">The governance document (version {d.version})</h2>
      <dl>
        <dt>Voting period</dt>
        <dd>{span(d.votingPeriodMs)}</dd>
        <dt>Quorum</dt>
        <dd>at least {d.quorum} votes cast (yes, no or abstain)</dd>
        <dt>Majority</dt>
        <dd>adopted when yes is more than {Math.round(d.majority * 100)}% of yes and no</dd>
        <dt>Timelock</dt>
        <dd>{span(d.timelockMs)} between adoption and enactment, to read, object or cancel</dd>
        <dt>What a proposal may change</dt>
        <dd>{d.changes.join(', ')}</dd>
        <dt>Document hash</dt>
        <dd class="mono">{d.hash}</dd>
      </dl>
      <table>
        <caption>Stakeholders and their rights</caption>
        <ColumnHeads names={['Role', 'Who', 'Rights']} />
        <tbody>
          {Object.entries(d.roles).map(([name, r]) => (
            <tr key={name} data-role={name}>
              <th scope="row">{name}</th>
              <td>{r.description}</td>
              <td>{r.rights.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function PolicyInForce(p: { policy: InForce }) {
  return (
    <section aria-labelledby="gov-policy" class="card" data-testid="policy-in-force">
      <h2 id="gov-policy">Privacy policy in force</h2>
      <p>
        Version <strong data-testid="policy-version">{p.policy.version}</strong>
        {p.policy.enactedBy === null ? null : (
          <>
            , enacted by proposal{' '}
            <a href={`#/governance?p=${p.policy.enactedBy}`} class="mono">
              {p.policy.enactedBy}
            </a>
          </>
        )}
        {p.policy.logIndex === null ? null : <> (log entry {p.policy.logIndex})</>}
      </p>
      <p class="mono muted">{p.policy.hash}</p>
    </section>
  );
}

function Proposals(p: { list: Proposal[]; selected: string | undefined }) {
  return (
    <section aria-labelledby="gov-proposals">
      <h2 id="gov-proposals">Proposals</h2>
      {p.list.length === 0 ? (
        <Empty>No proposal yet.</Empty>
      ) : (
        <table data-testid="proposals">
          <caption>Every proposal, with where it stands</caption>
          <ColumnHeads names={['Proposal', 'Changes', 'Status', 'Voting closes']} />
          <tbody>
            {p.list.map((x) => (
              <tr key={x.id} data-proposal={x.id}>
                <th scope="row">
                  <a href={`#/governance?p=${x.id}`} aria-current={x.id === p.selected ? 'true' : undefined}>
                    {x.title}
                  </a>
                </th>
                <td>privacy policy {x.change.version}</td>
                <td>
                  <span class={`tag ${TONE[x.status]}`}>{x.status}</span>
                </td>
                <td>{fmtTime(x.closesAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** What a proposed policy changes against the one in force: purposes and categories added, removed, changed. */
export function policyDiff(from: PolicyDoc, to: PolicyDoc): { what: string; change: string }[] {
  const out: { what: string; change: string }[] = [];
  const keyed = (label: string, a: Record<string, unknown> = {}, b: Record<string, unknown> = {}) => {
    for (const k of Object.keys(b).sort())
      if (!(k in a)) out.push({ what: `${label} ${k}`, change: 'added' });
      else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ what: `${label} ${k}`, change: 'changed' });
    for (const k of Object.keys(a).sort()) if (!(k in b)) out.push({ what: `${label} ${k}`, change: 'removed' });
  };
  keyed('purpose', from.purposes, to.purposes);
  keyed('data category', from.categories, to.categories);
  const rest = (d: PolicyDoc) => {
    const { purposes: _p, categories: _c, version: _v, ...r } = d;
    return r as Record<string, unknown>;
  };
  keyed('section', rest(from), rest(to));
  return out;
}

/** This browser tab's votes, by a hash of the session that cast them (a new sign-in starts afresh). */
const VOTES_KEY = 'verity.trust.votes';
async function sessionTag(): Promise<string> {
  const t = loadAuth()?.token ?? '';
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(t)));
  return Array.from(h.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}
type MyVote = { choice: string; logIndex: number | null; voter: string | null };
async function myVote(proposal: string): Promise<MyVote | undefined> {
  const all = JSON.parse(sessionStorage.getItem(VOTES_KEY) ?? '{}') as Record<string, MyVote>;
  return all[`${await sessionTag()}/${proposal}`];
}
async function rememberVote(proposal: string, v: MyVote): Promise<void> {
  const all = JSON.parse(sessionStorage.getItem(VOTES_KEY) ?? '{}') as Record<string, MyVote>;
  all[`${await sessionTag()}/${proposal}`] = v;
  sessionStorage.setItem(VOTES_KEY, JSON.stringify(all));
}

function ProposalDetail(p: { id: string; auth: Auth; inForce: InForce; onChange: () => void }) {
  const [load, reload] = useLoad(async () => {
    const x = await api<Proposal>('GET', `/v1/governance/proposals/${p.id}`);
    return { proposal: x, mine: await myVote(x.id) };
  }, [p.id]);
  return (
    <section aria-labelledby="gov-detail" class="card detail" data-testid="proposal-detail">
      <Loaded
        load={load}
        what="the proposal"
        retry={reload}
        done={({ proposal: x, mine }) => (
          <>
            <h2 id="gov-detail">
              {x.title} <span class={`tag ${TONE[x.status]}`}>{x.status}</span>
            </h2>
            <p>{x.rationale}</p>
            <p class="muted">
              Proposed as {x.proposedAs} on {fmtTime(x.createdAt)}, decided under governance document{' '}
              {x.governance.version}. Voting {x.status === 'open' ? 'closes' : 'closed'} {fmtTime(x.closesAt)}.
            </p>
            <Change proposal={x} inForce={p.inForce} />
            {x.status === 'open' ? (
              <VoteBox proposal={x} auth={p.auth} mine={mine} onVoted={reload} />
            ) : mine === undefined ? null : (
              <p class="state done" data-testid="you-voted">
                You voted {mine.choice}
                {mine.logIndex === null ? '' : ` (log entry ${mine.logIndex})`}.
              </p>
            )}
            {x.tally === null ? null : <TallyCheck proposal={x} mine={mine} />}
            <Timelock proposal={x} />
            {p.auth.kind === 'staff' ? <OperatorSteps proposal={x} onDone={p.onChange} /> : null}
          </>
        )}
      />
    </section>
  );
}

function Change(p: { proposal: Proposal; inForce: InForce }) {
  const doc = p.proposal.change.document;
  const diff = doc === undefined ? [] : policyDiff(p.inForce.document, doc);
  const enacted = p.proposal.status === 'enacted';
  return (
    <>
      <h3>What it changes</h3>
      <p>
        The privacy policy, {enacted ? 'from the version before' : `from version ${p.inForce.version}`} to version{' '}
        <strong>{p.proposal.change.version}</strong> <span class="mono muted">({p.proposal.change.hash})</span>
      </p>
      {enacted ? null : diff.length === 0 ? (
        <Empty>No purpose, category or section differs from the policy in force.</Empty>
      ) : (
        <ul data-testid="policy-diff">
          {diff.map((d) => (
            <li key={d.what}>
              <span class={`tag ${d.change === 'removed' ? 'withdrawn' : 'given'}`}>{d.change}</span> {d.what}
            </li>
          ))}
        </ul>
      )}
      {doc === undefined ? null : (
        <details>
          <summary>The proposed policy document</summary>
          <pre class="json">{JSON.stringify(doc, null, 2)}</pre>
        </details>
      )}
    </>
  );
}

function VoteBox(p: { proposal: Proposal; auth: Auth; mine: MyVote | undefined; onVoted: () => void }) {
  const [msg, setMsg] = useState<Outcome | undefined>();
  const [busy, setBusy] = useState(false);
  if (p.mine !== undefined)
    return (
      <p class="state done" data-testid="you-voted">
        You voted {p.mine.choice}
        {p.mine.logIndex === null ? '' : ` (log entry ${p.mine.logIndex})`}: one person, one vote, not changed
        afterwards.
      </p>
    );
  if (p.auth.kind !== 'player')
    return <p class="muted">Votes are cast by people: players and creators, signed in with a passkey.</p>;
  const cast = async (choice: 'yes' | 'no' | 'abstain') => {
    setBusy(true);
    setMsg(undefined);
    try {
      const r = await api<{ voter: string; choice: string; logIndex: number }>(
        'POST',
        `/v1/governance/proposals/${p.proposal.id}/votes`,
        { choice },
      );
      await rememberVote(p.proposal.id, { choice: r.choice, logIndex: r.logIndex, voter: r.voter });
      p.onVoted();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'VERITY_E_GOVERNANCE_ALREADY_VOTED') {
        await rememberVote(p.proposal.id, { choice: 'already', logIndex: null, voter: null });
        p.onVoted();
      } else setMsg({ ok: false, text: describe(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset class="vote" data-testid="vote">
      <legend>Your vote</legend>
      {p.auth.via === 'passkey' ? null : (
        <p class="muted">A vote needs a session signed in with your passkey: sign out and sign in with it first.</p>
      )}
      <div class="actions">
        {(['yes', 'no', 'abstain'] as const).map((c) => (
          <button type="button" key={c} class={c === 'yes' ? 'primary' : ''} disabled={busy} onClick={() => cast(c)}>
            Vote {c}
          </button>
        ))}
      </div>
      <OutcomeNote outcome={msg} />
    </fieldset>
  );
}

/** Fetches the tally's evidence and recounts it here. */
function TallyCheck(p: { proposal: Proposal; mine: MyVote | undefined }) {
  const [load, retry] = useLoad(async () => {
    const t = await trust();
    const ev = await api<TallyEvidence>('GET', `/v1/governance/proposals/${p.proposal.id}/tally`);
    const inspection = inspectTally(ev, t.logKey);
    // The checkpoint must also extend (or be a prefix of) the one this browser already trusts: a
    // server showing this page another history than it showed before is caught here.
    return { inspection, consistent: await consistency(t, String(ev.checkpoint)) };
  }, [p.proposal.id]);
  const published = p.proposal.tally;
  return (
    <section aria-labelledby="gov-tally" data-testid="tally">
      <h3 id="gov-tally">Result, recounted in this browser</h3>
      <Loaded
        load={load}
        what="and recounting the tally"
        retry={retry}
        done={({ inspection: i, consistent }) => (
          <TallyView i={i} consistent={consistent} published={published} mine={p.mine} />
        )}
      />
    </section>
  );
}

function TallyView(p: {
  i: TallyInspection;
  consistent: Consistency;
  published: Proposal['tally'];
  mine: MyVote | undefined;
}) {
  const { i } = p;
  const ok = i.result !== undefined && i.checkpoint.ok && p.consistent.ok;
  const votes = i.entries.filter((e) => e.role === 'vote');
  const failed = i.entries.filter((e) => !e.ok).length;
  return (
    <>
      {ok ? null : (
        <Alarm title="The published result does not verify">
          <p>
            {i.error ?? (p.consistent.ok ? undefined : p.consistent.why) ?? 'a check failed'}. Do not rely on this
            result; the entries that failed are marked below.
          </p>
        </Alarm>
      )}
      <p data-testid="tally-summary" data-ok={ok ? 'true' : 'false'} data-failed={String(failed)}>
        <Verified ok={ok} label={ok ? 'tally verified' : 'tally not verified'} />{' '}
        {i.result === undefined ? (
          <>
            Published:{' '}
            {p.published === null
              ? '—'
              : `${p.published.yes} yes, ${p.published.no} no, ${p.published.abstain} abstain`}
            .
          </>
        ) : (
          <>
            Recounted: <strong>{i.result.yes} yes</strong>, <strong>{i.result.no} no</strong>,{' '}
            <strong>{i.result.abstain} abstain</strong>: {i.result.outcome}, proven against the signed checkpoint of
            tree size {i.result.treeSize}.
          </>
        )}
      </p>
      <ul class="checks">
        <li>
          <Verified ok={i.checkpoint.ok} label={i.checkpoint.ok ? 'signed' : 'bad signature'} /> the checkpoint carries
          the log's signature with the key this browser pinned
          {i.checkpoint.error === undefined ? '' : `: ${i.checkpoint.error}`}
        </li>
        <li>
          <Verified ok={p.consistent.ok} label={p.consistent.ok ? 'consistent' : 'inconsistent'} /> it is consistent
          with the checkpoint this browser trusted before
          {p.consistent.ok ? '' : `: ${p.consistent.why}`}
        </li>
      </ul>
      <table data-testid="tally-votes">
        <caption>Every vote, by per-proposal pseudonym, with its inclusion proof checked</caption>
        <ColumnHeads names={['Log entry', 'Voter (pseudonym)', 'Choice', 'Proof']} />
        <tbody>
          {votes.map((v) => {
            const d = v.entry?.details ?? {};
            const voter = typeof d['voter'] === 'string' ? d['voter'] : '?';
            const yours = p.mine?.voter === voter || (p.mine?.logIndex !== null && p.mine?.logIndex === v.index);
            return (
              <tr key={v.index} data-index={v.index} class={v.ok ? '' : 'failed'}>
                <th scope="row">{v.index}</th>
                <td class="mono">
                  {voter.slice(0, 16)}
                  {yours ? <span class="tag given">your vote</span> : null}
                </td>
                <td>{typeof d['choice'] === 'string' ? d['choice'] : '—'}</td>
                <td>
                  <Verified ok={v.ok} label={v.ok ? 'included' : 'not proven'} />
                  {v.error === undefined ? null : <span class="muted"> {v.error}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/** The timelock's countdown and, once enacted, the log entries of every step, proven here. */
function Timelock(p: { proposal: Proposal }) {
  const x = p.proposal;
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (x.status !== 'adopted') return;
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, [x.status]);
  const [proofs, retry] = useLoad(async () => {
    if (x.status !== 'enacted' && x.status !== 'adopted' && x.status !== 'cancelled') return [];
    const t = await trust();
    const indices = [...x.logIndices, ...(x.enacted === null ? [] : [x.enacted.policyLogIndex])].sort((a, b) => a - b);
    const out: { index: number; ok: boolean; action: string; text: string }[] = [];
    for (const index of indices) {
      try {
        const r = await t.client.proveEntry(index);
        const e = r.entry as { action?: string; resource?: string; details?: Record<string, unknown> } | undefined;
        const action = e?.action ?? 'entry';
        // The entry must be about this proposal (the policy entry names it as the one that enacted it).
        const about = e?.resource === `governance-proposal:${x.id}` || JSON.stringify(e?.details ?? {}).includes(x.id);
        out.push({
          index,
          ok: about,
          action,
          text: about ? `proven in the log of ${r.treeSize} entries` : 'this entry is not about the proposal',
        });
      } catch (err) {
        out.push({ index, ok: false, action: '?', text: describe(err) });
      }
    }
    return out;
  }, [x.id, x.status]);
  if (x.status === 'open' || x.status === 'rejected') return null;
  return (
    <section aria-labelledby="gov-timelock" data-testid="timelock">
      <h3 id="gov-timelock">Timelock and enactment</h3>
      {x.status === 'adopted' && x.enactAfter !== null ? (
        <p data-testid="timelock-state" data-state="waiting">
          Adopted. It may be enacted from {fmtTime(x.enactAfter)}
          {x.enactAfter > now ? <> (in {span(x.enactAfter - now)})</> : <> (the timelock is over)</>}; until then the
          operator may cancel it, with a reason that is logged.
        </p>
      ) : x.status === 'cancelled' && x.cancelled !== null ? (
        <p data-testid="timelock-state" data-state="cancelled">
          Cancelled in its timelock on {fmtTime(x.cancelled.at)}: {x.cancelled.reason}
        </p>
      ) : x.enacted !== null ? (
        <p data-testid="timelock-state" data-state="enacted">
          <span class="tag given">enacted</span> on {fmtTime(x.enacted.at)}: privacy policy{' '}
          <strong>{x.change.version}</strong> is in force (log entry {x.enacted.policyLogIndex}).
        </p>
      ) : null}
      <Loaded
        load={proofs}
        what="and proving the log entries"
        retry={retry}
        done={(ps) =>
          ps.length === 0 ? null : (
            <>
              {ps.some((q) => !q.ok) ? (
                <Alarm title="A step of this proposal is not proven in the log">
                  <p>The server lists log entries for this proposal that its proofs do not show.</p>
                </Alarm>
              ) : null}
              <table data-testid="proposal-entries">
                <caption>Every step of the proposal in the log</caption>
                <ColumnHeads names={['Log entry', 'Step', 'Proof']} />
                <tbody>
                  {ps.map((q) => (
                    <tr key={q.index} data-index={q.index} data-action={q.action}>
                      <th scope="row">{q.index}</th>
                      <td>{q.action}</td>
                      <td>
                        <Verified ok={q.ok} label={q.ok ? 'proven' : 'not proven'} />{' '}
                        <span class="muted">{q.text}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        }
      />
    </section>
  );
}

function OperatorSteps(p: { proposal: Proposal; onDone: () => void }) {
  const [msg, setMsg] = useState<Outcome | undefined>();
  const step = async (what: 'close' | 'enact') => {
    setMsg(undefined);
    try {
      const r = await api<Proposal>('POST', `/v1/governance/proposals/${p.proposal.id}/${what}`);
      setMsg({ ok: true, text: `The proposal is ${r.status}.` });
      p.onDone();
    } catch (e) {
      setMsg({ ok: false, text: describe(e) });
    }
  };
  if (p.proposal.status !== 'open' && p.proposal.status !== 'adopted') return null;
  return (
    <div class="actions">
      {p.proposal.status === 'open' ? (
        <button type="button" onClick={() => step('close')}>
          Close voting and publish the tally
        </button>
      ) : (
        <button type="button" onClick={() => step('enact')}>
          Enact after the timelock
        </button>
      )}
      <OutcomeNote outcome={msg} />
    </div>
  );
}

function FeedbackForm(p: { policy: InForce; proposals: Proposal[] }) {
  const [topic, setTopic] = useState('general');
  const [text, setText] = useState('');
  const [msg, setMsg] = useState<Outcome | undefined>();
  const topics = [
    'general',
    ...Object.keys(p.policy.document.purposes ?? {}),
    ...Object.keys(p.policy.document.categories ?? {}),
    ...p.proposals.filter((x) => x.status === 'open' || x.status === 'adopted').map((x) => `proposal:${x.id}`),
  ].filter((t) => /^[a-z][a-z0-9._:-]{0,63}$/.test(t) || t.startsWith('proposal:'));
  const send = async (e: Event) => {
    e.preventDefault();
    setMsg(undefined);
    try {
      const r = await api<{ id: string; logIndex: number }>('POST', '/v1/governance/feedback', { topic, text });
      setMsg({ ok: true, text: `Thank you: your feedback is recorded (log entry ${r.logIndex} commits to it).` });
      setText('');
    } catch (err) {
      setMsg({ ok: false, text: describe(err) });
    }
  };
  return (
    <form class="card" onSubmit={send} aria-labelledby="gov-feedback">
      <h2 id="gov-feedback">Feedback on the data policies</h2>
      <p class="muted">
        Your text stays with the operator; the public log holds only a salted commitment to it, under your role.
      </p>
      <label for="fb-topic">About</label>
      <select id="fb-topic" value={topic} onChange={(e) => setTopic((e.target as HTMLSelectElement).value)}>
        {topics.map((t) => (
          <option key={t} value={t}>
            {t.startsWith('proposal:')
              ? `proposal ${p.proposals.find((x) => `proposal:${x.id}` === t)?.title ?? t}`
              : t}
          </option>
        ))}
      </select>
      <label for="fb-text">Your feedback</label>
      <textarea
        id="fb-text"
        rows={3}
        maxLength={4000}
        required
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <button type="submit" class="primary">
        Send feedback
      </button>
      <OutcomeNote outcome={msg} />
    </form>
  );
}

function ProposeForm(p: { auth: Auth; policy: InForce; onProposed: () => void }) {
  const [title, setTitle] = useState('');
  const [rationale, setRationale] = useState('');
  const [policy, setPolicy] = useState(() => JSON.stringify(p.policy.document, null, 2));
  const [msg, setMsg] = useState<Outcome | undefined>();
  const send = async (e: Event) => {
    e.preventDefault();
    setMsg(undefined);
    let doc: unknown;
    try {
      doc = JSON.parse(policy);
    } catch {
      setMsg({ ok: false, text: 'the policy is not valid JSON' });
      return;
    }
    try {
      const r = await api<Proposal>('POST', '/v1/governance/proposals', { title, rationale, policy: doc });
      setMsg({ ok: true, text: `Proposed: voting is open until ${fmtTime(r.closesAt)}.` });
      location.hash = `#/governance?p=${r.id}`;
      p.onProposed();
    } catch (err) {
      setMsg({ ok: false, text: describe(err) });
    }
  };
  return (
    <details class="card">
      <summary>Propose a new privacy policy version</summary>
      <p class="muted">
        Creators, partner platforms and the operator propose
        {p.auth.kind === 'player' ? ' (a player who is not a verified creator is refused)' : ''}. Change the document
        below and give it a new version.
      </p>
      <form onSubmit={send}>
        <label for="pr-title">Title</label>
        <input
          id="pr-title"
          required
          maxLength={200}
          value={title}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
        />
        <label for="pr-rationale">Why</label>
        <textarea
          id="pr-rationale"
          rows={3}
          required
          maxLength={4000}
          value={rationale}
          onInput={(e) => setRationale((e.target as HTMLTextAreaElement).value)}
        />
        <label for="pr-policy">The new privacy policy (JSON)</label>
        <textarea
          id="pr-policy"
          class="mono"
          rows={12}
          value={policy}
          onInput={(e) => setPolicy((e.target as HTMLTextAreaElement).value)}
        />
        <button type="submit" class="primary">
          Propose
        </button>
      </form>
      <OutcomeNote outcome={msg} />
    </details>
  );
}
