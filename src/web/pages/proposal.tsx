// One proposal of community governance (FGMV-46 7.4.5): what it changes, one vote per person, the
// tally recounted and verified in this browser (every vote's inclusion proof against the signed
// checkpoint, the checkpoint's signature with the pinned log key and its consistency with the one
// this browser trusts), the timelock and the operator's steps.
import { useEffect, useState } from 'preact/hooks';
import { inspectTally, type TallyEvidence, type TallyInspection } from '../../sdk/index.ts';
import { ApiError, type Auth, api, type Consistency, consistency, describe, loadAuth, trust } from '../api.ts';
import { Alarm, ColumnHeads, Empty, fmtTime, Loaded, type Outcome, OutcomeNote, useLoad, Verified } from '../ui.tsx';
import { type InForce, type Proposal, policyDiff, span, TONE } from './community-model.ts';

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

export function ProposalDetail(p: { id: string; auth: Auth; inForce: InForce; onChange: () => void }) {
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
