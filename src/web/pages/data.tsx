import { useState } from 'preact/hooks';
import { type TrustEvidence, type TrustFinding, trustReport, verifyProvenance } from '../../sdk/index.ts';
import { api, describe, loadAuth, trust } from '../api.ts';
import { type History, loadHistory } from '../history.ts';
import { ColumnHeads, Empty, fmtTime, LoadedPage, Verified } from '../ui.tsx';

interface RecordSummary {
  readonly id: string;
  readonly type: string;
  readonly versions: number;
  readonly events: { action: string; time: string; actor: string; purpose: string; outcome: string }[];
  readonly state: string;
}

/** A record's lifecycle, as the verified lines of the access history tell it. */
function recordsOf(h: History): RecordSummary[] {
  const by = new Map<string, { type: string; versions: Set<number>; events: RecordSummary['events']; state: string }>();
  for (const r of h.report.results) {
    if (!r.ok) continue;
    const e = r.entry;
    const m = /^record:(rec_[A-Za-z0-9_-]{22})(?:@([0-9]+))?$/.exec(e.resource);
    if (m === null) continue;
    const id = m[1] as string;
    let s = by.get(id);
    if (s === undefined) {
      s = { type: '', versions: new Set(), events: [], state: 'stored' };
      by.set(id, s);
    }
    const type = e.details?.['type'];
    if (typeof type === 'string') s.type = type;
    if (m[2] !== undefined && (e.action === 'record.create' || e.action === 'record.update'))
      s.versions.add(Number(m[2]));
    s.events.push({
      action: e.action,
      time: new Date(e.time).toISOString(),
      actor: e.actor,
      purpose: e.purpose,
      outcome: e.outcome,
    });
    if (e.action === 'record.erase' || e.action === 'subject.shred') s.state = 'erased';
    else if (e.action === 'record.transition' && typeof e.details?.['to'] === 'string')
      s.state = e.details['to'] as string;
  }
  return [...by].map(([id, s]) => ({
    id,
    type: s.type || 'unknown',
    versions: s.versions.size,
    events: s.events,
    state: s.state,
  }));
}

interface Label {
  categories: string[];
  purposes: { purpose: string; basis: string }[];
  recipients: string[];
  retention: { declared: string | null; longestDays: number | null };
}

function TrustReport(p: { findings: readonly TrustFinding[] }) {
  return (
    <table class="trust" data-testid="trust-report">
      <caption>Trust report (FGMV-46 6.2)</caption>
      <ColumnHeads names={['Attribute', 'Result', 'Measured from']} />
      <tbody>
        {p.findings.map((f) => (
          <tr key={f.attribute} data-attribute={f.attribute} data-status={f.status}>
            <th scope="row">{f.attribute}</th>
            <td>
              <span class={`status ${f.status}`}>{f.status}</span>
            </td>
            <td>
              <ul>
                {f.evidence.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Gathers the evidence of one record and judges it (`trustReport`). */
async function measure(id: string, h: History): Promise<TrustFinding[]> {
  const t = await trust();
  let read: TrustEvidence['read'];
  let provenance: TrustEvidence['provenance'] = 'absent';
  try {
    const r = await t.client.getRecord(id, { purpose: 'user-request' });
    const meta = r.meta as Record<string, unknown> & {
      provenance?: { creator?: string; signature?: Record<string, unknown> };
    };
    provenance = verifyProvenance(String(meta['type']), r.data, meta.provenance?.signature);
    read = {
      ok: true,
      treeSize: r.checkpoint.size,
      logIndex: r.meta.logIndex,
      state: r.state,
      schema: String(meta['schema']),
      lifecycle: String(meta['state']),
      retainUntil: typeof meta['retainUntil'] === 'string' ? (meta['retainUntil'] as string) : null,
      purpose: String(meta['purpose']),
      creator: String(meta.provenance?.creator ?? 'unknown'),
    };
  } catch (e) {
    read = { ok: false, error: describe(e) };
  }
  let server: TrustEvidence['server'];
  try {
    server = await api('GET', `/v1/trust/records/${id}?purpose=user-request`);
  } catch {
    server = undefined;
  }
  const about = h.report.results.filter((r) => r.ok && r.entry.resource.startsWith(`record:${id}`)).length;
  const via = loadAuth()?.via;
  return trustReport({
    read,
    provenance,
    ...(t.quorum > 0
      ? {
          witnesses: {
            verified: h.cosigned,
            quorum: t.quorum,
            configured: t.witnesses.length,
            covers: read.ok && h.report.checkpoint.size > read.logIndex,
          },
        }
      : {}),
    ...(t.hadCheckpoint ? { consistent: h.consistent.ok } : {}),
    ...(server === undefined ? {} : { server }),
    history: { verified: h.report.results.length - h.report.failed, failed: h.report.failed, aboutRecord: about },
    ...(via === undefined ? {} : { signIn: via }),
    now: Date.now(),
  });
}

function RecordCard(p: { r: RecordSummary; h: History }) {
  const [label, setLabel] = useState<Label | 'loading' | { error: string } | undefined>();
  const [report, setReport] = useState<TrustFinding[] | 'loading' | { error: string } | undefined>();
  const open = async () => {
    setLabel('loading');
    try {
      setLabel(await api<Label>('GET', `/v1/reports/labels/${encodeURIComponent(p.r.type)}`));
    } catch (e) {
      setLabel({ error: describe(e) });
    }
  };
  const check = async () => {
    setReport('loading');
    try {
      setReport(await measure(p.r.id, p.h));
    } catch (e) {
      setReport({ error: describe(e) });
    }
  };
  return (
    <article class="card record" data-record={p.r.id}>
      <h4>
        {p.r.type} <span class="muted mono">{p.r.id}</span>
      </h4>
      <p>
        State: <span class="tag">{p.r.state}</span> · {p.r.versions} version{p.r.versions === 1 ? '' : 's'} · last:{' '}
        {p.r.events.at(-1)?.action} {fmtTime(p.r.events.at(-1)?.time)}
      </p>
      <details>
        <summary>Lifecycle ({p.r.events.length} proven events)</summary>
        <ol class="events">
          {p.r.events.map((e) => (
            <li key={`${e.time}${e.action}${e.actor}`}>
              {fmtTime(e.time)} — {e.action} by {e.actor} for {e.purpose}
              {e.outcome === 'success' ? '' : ` (${e.outcome})`}
            </li>
          ))}
        </ol>
      </details>
      <div class="actions">
        <button type="button" onClick={open}>
          Who may use it, for what
        </button>
        <button type="button" onClick={check} disabled={p.r.state === 'erased'}>
          Check trust
        </button>
      </div>
      {label === undefined ? null : label === 'loading' ? (
        <p role="status">Loading…</p>
      ) : 'error' in label ? (
        <p class="state error">{label.error}</p>
      ) : (
        <dl class="label">
          <dt>Categories</dt>
          <dd>{label.categories.join(', ') || '—'}</dd>
          <dt>Purposes and legal bases</dt>
          <dd>{label.purposes.map((x) => `${x.purpose} (${x.basis})`).join(', ') || '—'}</dd>
          <dt>Recipients</dt>
          <dd>{label.recipients.join(', ') || '—'}</dd>
          <dt>Retention</dt>
          <dd>
            {label.retention.declared ??
              (label.retention.longestDays === null ? 'until erased' : `up to ${label.retention.longestDays} days`)}
          </dd>
        </dl>
      )}
      {report === undefined ? null : report === 'loading' ? (
        <p role="status">Checking proofs…</p>
      ) : 'error' in report ? (
        <p class="state error">{report.error}</p>
      ) : (
        <TrustReport findings={report} />
      )}
    </article>
  );
}

/** Most records whose category is read for one view (each is a verified, logged read). */
const MAX_CLASSIFIED = 200;

interface DataView {
  readonly h: History;
  /** Each record's own classification category, from its verified metadata (`undefined`: not read). */
  readonly category: ReadonlyMap<string, string>;
}

/**
 * The verified history, then each record's category from its own metadata (a verified read, for
 * `user-request`: the player looking at their own data), a few at a time, newest records first.
 */
async function loadData(): Promise<DataView> {
  const h = await loadHistory();
  const t = await trust();
  const rs = recordsOf(h).filter((r) => r.state !== 'erased');
  const chosen = rs.slice(-MAX_CLASSIFIED);
  const category = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chosen.length; i = next++) {
      const r = chosen[i] as RecordSummary;
      try {
        const got = await t.client.getRecord(r.id, { purpose: 'user-request' });
        const c = (got.meta as { classification?: { category?: unknown } }).classification?.category;
        if (typeof c === 'string') category.set(r.id, c);
      } catch {
        // Left out of the categories: shown under "not read" with its type.
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { h, category };
}

export function DataPage() {
  return (
    <LoadedPage
      title="My data"
      intro="Your records by category (each record's own classification), each with its lifecycle as the signed log proves it."
      load={loadData}
      what="your data"
      done={({ h, category }) => {
        const rs = recordsOf(h);
        if (rs.length === 0) return <Empty>Verity holds no records about you.</Empty>;
        const groupOf = (r: RecordSummary) => category.get(r.id) ?? (r.state === 'erased' ? 'erased' : 'not read here');
        const groups = [...new Set(rs.map(groupOf))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
        return (
          <>
            <p>
              <Verified
                ok={h.report.failed === 0}
                label={h.report.failed === 0 ? 'history verified' : 'history has failed lines'}
              />
            </p>
            {groups.map((g) => {
              const inGroup = rs.filter((r) => groupOf(r) === g);
              const types = [...new Set(inGroup.map((r) => r.type))].sort();
              return (
                <section key={g} aria-labelledby={`cat-${g}`} data-category={g}>
                  <h2 id={`cat-${g}`}>{g === 'erased' ? 'Erased' : g === 'not read here' ? 'Not read here' : g}</h2>
                  {types.map((ty) => (
                    <div key={ty} data-type={ty}>
                      <h3>{ty}</h3>
                      <div class="cards">
                        {inGroup
                          .filter((r) => r.type === ty)
                          .map((r) => (
                            <RecordCard key={r.id} r={r} h={h} />
                          ))}
                      </div>
                    </div>
                  ))}
                </section>
              );
            })}
          </>
        );
      }}
    />
  );
}

/** Categories first, then records not read here, then erased ones. */
function rank(g: string): number {
  return g === 'erased' ? 2 : g === 'not read here' ? 1 : 0;
}
