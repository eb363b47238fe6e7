// Community governance (FGMV-46 7.4.3 participation and feedback, 7.4.5 ecosystem governance) for
// players, creators, partner platforms and the operator: the governance document, feedback on the
// data policies, proposals and what they change, one vote per person, and results recounted and
// verified here: every vote's inclusion proof against the signed checkpoint, the checkpoint's
// signature with the pinned log key and its consistency with the checkpoint this browser trusts.
// One proposal, its vote and its tally are in proposal.tsx; the API's shapes in community-model.ts.
import './community.css';
import { useEffect, useState } from 'preact/hooks';
import { type Auth, api, describe, probe } from '../api.ts';
import { ColumnHeads, Empty, fmtTime, Loaded, NotServed, type Outcome, OutcomeNote, Page, useLoad } from '../ui.tsx';
import { type GovernanceDoc, type InForce, type Proposal, span, TONE } from './community-model.ts';
import { ProposalDetail } from './proposal.tsx';

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
