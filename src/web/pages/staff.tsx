import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { Empty, fmtTime, Loaded, Page, useLoad } from '../ui.tsx';

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

export function OperationsPage() {
  const [load, retry] = useLoad(() => api<Operations>('GET', '/v1/trust/operations'));
  return (
    <Page
      title="Policy, keys, witnesses"
      intro="What is in force now, and the health of what the log's trust rests on."
    >
      <Loaded
        load={load}
        what="the operations overview"
        retry={retry}
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
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Installed</th>
                    <th scope="col">Log entry</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
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
            <h2>Witnesses (quorum {o.quorum})</h2>
            {o.witnesses.length === 0 ? (
              <Empty>This server has no witnesses: its checkpoints are signed by the log only.</Empty>
            ) : (
              <table>
                <caption>Each witness's progress</caption>
                <thead>
                  <tr>
                    <th scope="col">Witness</th>
                    <th scope="col">Last cosigned size</th>
                    <th scope="col">Behind the log</th>
                  </tr>
                </thead>
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
    </Page>
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
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Deadline</th>
                </tr>
              </thead>
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
              <thead>
                <tr>
                  <th scope="col">Incident</th>
                  <th scope="col">Status</th>
                  <th scope="col">Authority deadline</th>
                </tr>
              </thead>
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
    <Page title="Retention" intro="What has run out of its retention period, and what a run would erase or anonymize.">
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
    </Page>
  );
}

/** Where each page that another part of Verity serves finds its API. */
const PROBES = {
  governance: {
    title: 'Governance',
    path: '/v1/governance',
    what: 'community proposals, votes and their timelock',
  },
  oscal: { title: 'Compliance export', path: '/v1/compliance/oscal', what: 'the OSCAL compliance export' },
} as const;

/** A page whose API this server may not serve: it says so plainly when the route answers 404. */
export function Unavailable(p: { kind: keyof typeof PROBES }) {
  const probe = PROBES[p.kind];
  const [load, retry] = useLoad(async () => {
    try {
      return { available: true as const, value: await api<unknown>('GET', probe.path) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === 'VERITY_E_HTTP_ROUTE_NOT_FOUND')
        return { available: false as const };
      throw e;
    }
  }, [p.kind]);
  return (
    <Page title={probe.title}>
      <Loaded
        load={load}
        what={probe.what}
        retry={retry}
        done={(r) =>
          r.available ? (
            <pre class="json">{JSON.stringify(r.value, null, 2)}</pre>
          ) : (
            <p class="state empty" data-testid="unavailable">
              {probe.title} is not available on this server: it does not serve {probe.what}.
            </p>
          )
        }
      />
    </Page>
  );
}
