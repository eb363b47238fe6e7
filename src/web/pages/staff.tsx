import { useState } from 'preact/hooks';
import type { InspectedEntry } from '../../sdk/index.ts';
import { api } from '../api.ts';
import { loadOpsHistory, type OpsKind } from '../ops-history.ts';
import { ColumnHeads, Empty, fmtTime, Loaded, LoadedPage, Page, ProofAlarms, useLoad, Verified } from '../ui.tsx';

interface Operations {
  log: { size: number; origin: string };
  policy: {
    access: { hash: string };
    privacy: {
      version: string;
      installed: { version: string; hash: string; installedAt: number; logIndex: number }[];
    } | null;
  };
  keks: { version: number; state: string; createdAt: number }[];
  witnesses: { name: string; url: string; cosignedSize: number; behind: number }[];
  quorum: number;
}

/** What one verified entry of the operations history did, in words. */
function opsSummary(kind: OpsKind, r: InspectedEntry): string {
  if (!r.ok) return '—';
  const d = r.entry.details ?? {};
  if (kind === 'rotation') return `key-encryption key v${r.entry.resource.slice('kek:'.length)} made current`;
  const n = (k: string) => (typeof d[k] === 'number' ? d[k] : 0);
  return `${n('erased')} erased, ${n('anonymized')} anonymized, ${n('skipped')} skipped`;
}

const OPS_WORDS = {
  retention: {
    title: 'Past retention runs',
    one: 'run',
    none: 'No retention run has erased or anonymized anything yet.',
  },
  rotation: { title: 'Key rotations', one: 'rotation', none: 'No key-encryption key has been rotated yet.' },
} as const;

/**
 * The history of retention runs or key rotations, newest first, each entry's inclusion proof
 * checked in this browser against the signed (and cosigned) checkpoint.
 */
export function OpsHistoryTable(p: { kind: OpsKind }) {
  const [cursors, setCursors] = useState<number[]>([]);
  const before = cursors.at(-1);
  const [load, retry] = useLoad(() => loadOpsHistory(p.kind, before), [p.kind, before]);
  const w = OPS_WORDS[p.kind];
  return (
    <section aria-labelledby={`ops-${p.kind}`} data-testid={`ops-${p.kind}`}>
      <h2 id={`ops-${p.kind}`}>{w.title}</h2>
      <Loaded
        load={load}
        what={`and verifying the ${w.one}s`}
        retry={retry}
        done={(h) => {
          const rs = h.inspected.results;
          return (
            <>
              <ProofAlarms results={rs} one={w.one} consistent={h.consistent}>
                What the server showed is not what its signed log holds: do not rely on it.
              </ProofAlarms>
              {h.pending > 0 ? (
                <p class="muted">
                  {h.pending} newer {w.one}
                  {h.pending === 1 ? '' : 's'} await the next checkpoint (the witnesses cosign it shortly).
                </p>
              ) : null}
              {rs.length === 0 ? (
                <Empty>{before === undefined ? w.none : 'No older entry.'}</Empty>
              ) : (
                <table>
                  <caption>
                    Newest first, each proven in the checkpoint of {h.inspected.checkpoint.size.toLocaleString('en')}{' '}
                    entries
                  </caption>
                  <ColumnHeads names={['When', 'By', 'What', 'Log entry', 'Proof']} />
                  <tbody>
                    {rs.map((r) => (
                      <tr key={r.index} data-index={r.index}>
                        <th scope="row">{r.ok ? fmtTime(r.entry.time) : '—'}</th>
                        <td>{r.ok ? r.entry.actor : '—'}</td>
                        <td>{opsSummary(p.kind, r)}</td>
                        <td>{r.index}</td>
                        <td>
                          <Verified ok={r.ok} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {before === undefined && h.next === null ? null : (
                <p>
                  {before === undefined ? null : (
                    <button type="button" onClick={() => setCursors([])}>
                      Newest {w.one}s
                    </button>
                  )}{' '}
                  {h.next === null ? null : (
                    <button type="button" onClick={() => setCursors((c) => [...c, h.next as number])}>
                      Older {w.one}s
                    </button>
                  )}
                </p>
              )}
            </>
          );
        }}
      />
    </section>
  );
}

export function OperationsPage() {
  return (
    <LoadedPage
      title="Policy, keys, witnesses"
      intro="What is in force now, and the health of what the log's trust rests on."
      load={() => api<Operations>('GET', '/v1/trust/operations')}
      what="the operations overview"
      done={(o) => (
        <>
          <div class="cards">
            <div class="card">
              <h2>Policy in force</h2>
              <dl>
                <dt>Access policy set</dt>
                <dd class="mono">{o.policy.access.hash}</dd>
                <dt>Privacy policy</dt>
                <dd>{o.policy.privacy?.version ?? 'none configured'}</dd>
                <dt>Log</dt>
                <dd>
                  {o.log.origin}, {o.log.size.toLocaleString('en')} entries
                </dd>
              </dl>
            </div>
            <div class="card">
              <h2>Key-encryption keys</h2>
              {o.keks.length === 0 ? (
                <Empty>No key yet.</Empty>
              ) : (
                <ul>
                  {o.keks.map((k) => (
                    <li key={k.version}>
                      v{k.version} <span class={`tag ${k.state}`}>{k.state}</span>{' '}
                      <span class="muted">created {fmtTime(k.createdAt)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </div>
          <h2>Privacy policy versions</h2>
          {o.policy.privacy === null || o.policy.privacy.installed.length === 0 ? (
            <Empty>No privacy policy version is installed.</Empty>
          ) : (
            <table>
              <caption>Installed versions, oldest first</caption>
              <ColumnHeads names={['Version', 'Installed', 'Log entry', 'Hash']} />
              <tbody>
                {o.policy.privacy.installed.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">{v.version}</th>
                    <td>{fmtTime(v.installedAt)}</td>
                    <td>{v.logIndex}</td>
                    <td class="mono">{v.hash.slice(0, 24)}…</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <OpsHistoryTable kind="rotation" />
          <h2>Witnesses (quorum {o.quorum})</h2>
          {o.witnesses.length === 0 ? (
            <Empty>This server has no witnesses: its checkpoints are signed by the log only.</Empty>
          ) : (
            <table>
              <caption>Each witness's progress</caption>
              <ColumnHeads names={['Witness', 'Last cosigned size', 'Behind the log']} />
              <tbody>
                {o.witnesses.map((w) => (
                  <tr key={w.name} data-witness={w.name}>
                    <th scope="row">{w.name}</th>
                    <td>{w.cosignedSize < 0 ? 'none yet' : w.cosignedSize}</td>
                    <td>
                      <span class={`tag ${w.behind === 0 ? 'given' : 'withdrawn'}`}>
                        {w.behind === 0 ? 'up to date' : `${w.behind} entries`}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    />
  );
}

interface Req {
  id: string;
  type: string;
  status: string;
  deadline: string;
  overdue?: boolean;
}

export function QueuePage() {
  const [overdue, setOverdue] = useState(false);
  const [load, retry] = useLoad(
    () => api<Req[]>('GET', `/v1/rights/requests${overdue ? '?overdue=true' : ''}`),
    [overdue],
  );
  return (
    <Page title="Rights requests" intro="Every data-subject request with its legal deadline.">
      <label class="check">
        <input type="checkbox" checked={overdue} onChange={(e) => setOverdue((e.target as HTMLInputElement).checked)} />{' '}
        Only overdue requests
      </label>
      <Loaded
        load={load}
        what="the queue"
        retry={retry}
        done={(rs) =>
          rs.length === 0 ? (
            <Empty>No request{overdue ? ' is overdue' : ' yet'}.</Empty>
          ) : (
            <table>
              <caption>Requests by deadline</caption>
              <ColumnHeads names={['Id', 'Type', 'Status', 'Deadline']} />
              <tbody>
                {[...rs]
                  .sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline))
                  .map((r) => (
                    <tr key={r.id}>
                      <th scope="row" class="mono">
                        {r.id}
                      </th>
                      <td>{r.type}</td>
                      <td>
                        <span class="tag">{r.status}</span>
                      </td>
                      <td>{fmtTime(r.deadline)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      />
    </Page>
  );
}

interface Incident {
  id: string;
  description: string;
  status: string;
  deadline: number;
  overdue: boolean;
  categories: string[];
}

export function IncidentsPage() {
  const [load, retry] = useLoad(() => api<Incident[]>('GET', '/v1/incidents'));
  return (
    <Page title="Incidents" intro="The register of personal data breaches and their 72-hour clocks (GDPR Art. 33).">
      <Loaded
        load={load}
        what="the incident register"
        retry={retry}
        done={(is) =>
          is.length === 0 ? (
            <Empty>No incident is recorded.</Empty>
          ) : (
            <table>
              <caption>Incidents</caption>
              <ColumnHeads names={['Incident', 'Status', 'Authority deadline']} />
              <tbody>
                {is.map((i) => (
                  <tr key={i.id}>
                    <th scope="row">
                      {i.description} <span class="muted">({i.categories.join(', ')})</span>
                    </th>
                    <td>
                      <span class="tag">{i.status}</span>
                      {i.overdue ? <span class="tag withdrawn">overdue</span> : null}
                    </td>
                    <td>{fmtTime(i.deadline)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      />
    </Page>
  );
}

export function RetentionPage() {
  const [run, setRun] = useState<
    { state: 'idle' } | { state: 'loading' } | { state: 'done'; value: unknown } | { state: 'error'; error: unknown }
  >({
    state: 'idle',
  });
  const dry = async () => {
    setRun({ state: 'loading' });
    try {
      setRun({ state: 'done', value: await api('POST', '/v1/retention/run', { dryRun: true }) });
    } catch (error) {
      setRun({ state: 'error', error });
    }
  };
  return (
    <Page
      title="Retention"
      intro="What has run out of its retention period, what a run would erase or anonymize, and the runs that did, each proven in the signed log."
    >
      <button type="button" class="primary" onClick={dry}>
        Report a dry run
      </button>
      {run.state === 'idle' ? null : (
        <Loaded
          load={
            run.state === 'loading'
              ? { state: 'loading' }
              : run.state === 'error'
                ? run
                : { state: 'done', value: run.value }
          }
          what="the dry run"
          done={(v) => <pre class="json">{JSON.stringify(v, null, 2)}</pre>}
        />
      )}
      <OpsHistoryTable kind="retention" />
    </Page>
  );
}
