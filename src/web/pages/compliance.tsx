// Compliance evidence for auditors (FGMV-46 7.4.4): the OSCAL assessment results Verity's automated
// checks produce on request (a token granted `compliance.read`), one finding per control with its
// status and the observations behind it, the signed checkpoint they are proven against checked here
// with the pinned log key, each logged piece of evidence provable in this browser, the JSON to
// download, and the control catalog.
import './community.css';
import { useState } from 'preact/hooks';
import { describe, probe, trust } from '../api.ts';
import { Alarm, ColumnHeads, download, Empty, fmtTime, Loaded, NotServed, Page, useLoad, Verified } from '../ui.tsx';

interface Prop {
  name: string;
  value: string;
}
interface Observation {
  uuid: string;
  title: string;
  description: string;
  props?: Prop[];
  collected: string;
  'relevant-evidence'?: { description: string; href?: string; props?: Prop[] }[];
}
interface Finding {
  uuid: string;
  title: string;
  description: string;
  target: { 'target-id': string; status: { state: string } };
  'related-observations'?: { 'observation-uuid': string }[];
}
interface Results {
  'assessment-results': {
    metadata: { title: string; 'last-modified': string; 'oscal-version': string };
    results: {
      title: string;
      start: string;
      end: string;
      props?: Prop[];
      observations: Observation[];
      findings: Finding[];
    }[];
    'back-matter'?: { resources?: { title?: string; base64?: { value?: string } }[] };
  };
}
interface Catalog {
  catalog: {
    metadata: { title: string; version: string };
    groups: { id: string; title: string; controls: { id: string; title: string; parts?: { prose?: string }[] }[] }[];
  };
}

const prop = (ps: Prop[] | undefined, name: string) => ps?.find((p) => p.name === name)?.value;

/** The checkpoint the results carry in their back matter. */
function checkpointOf(r: Results): string | undefined {
  const res = r['assessment-results']['back-matter']?.resources?.find((x) => x.title === 'Signed checkpoint');
  const v = res?.base64?.value;
  if (v === undefined) return undefined;
  return new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
}

export function CompliancePage() {
  const [results, retry] = useLoad(async () => {
    const r = await probe<Results>('/v1/compliance/oscal');
    if (r === undefined) return undefined;
    const note = checkpointOf(r);
    const size = Number(prop(r['assessment-results'].results[0]?.props, 'tree-size'));
    let checkpoint: { ok: boolean; text: string };
    try {
      if (note === undefined) throw new Error('the results carry no signed checkpoint');
      const cp = await (await trust()).client.verifiedCheckpoint(note);
      if (cp.size !== size) throw new Error(`the checkpoint is of size ${cp.size}, the results say ${size}`);
      checkpoint = {
        ok: true,
        text: `signed by the pinned log key and consistent with this browser's, tree size ${cp.size}`,
      };
    } catch (e) {
      checkpoint = { ok: false, text: describe(e) };
    }
    return { r, checkpoint };
  });
  return (
    <Page
      title="Compliance export"
      intro="OSCAL assessment results: Verity's automated checks, run now against the live log and store, one finding per control."
    >
      <Loaded
        load={results}
        what="the assessment (the checks run now)"
        retry={retry}
        done={(v) =>
          v === undefined ? (
            <NotServed title="Compliance export" what="the OSCAL compliance export" />
          ) : (
            <Assessment r={v.r} checkpoint={v.checkpoint} />
          )
        }
      />
      <CatalogView />
    </Page>
  );
}

function Assessment(p: { r: Results; checkpoint: { ok: boolean; text: string } }) {
  const ar = p.r['assessment-results'];
  const run = ar.results[0];
  if (run === undefined) return <Empty>The results hold no assessment.</Empty>;
  const obs = new Map(run.observations.map((o) => [o.uuid, o]));
  const satisfied = run.findings.filter((f) => f.target.status.state === 'satisfied').length;
  return (
    <>
      {p.checkpoint.ok ? null : (
        <Alarm title="The evidence's checkpoint does not verify">
          <p>{p.checkpoint.text}. Do not rely on these results.</p>
        </Alarm>
      )}
      <div class="card">
        <h2>{run.title}</h2>
        <p data-testid="compliance-summary" data-satisfied={satisfied} data-findings={run.findings.length}>
          <strong>{satisfied}</strong> of {run.findings.length} controls satisfied; ran {fmtTime(run.start)} to{' '}
          {fmtTime(run.end)} (OSCAL {ar.metadata['oscal-version']}).
        </p>
        <p data-testid="compliance-checkpoint">
          <Verified ok={p.checkpoint.ok} label={p.checkpoint.ok ? 'checkpoint verified' : 'checkpoint failed'} />{' '}
          {p.checkpoint.text}
        </p>
        <button
          type="button"
          class="primary"
          onClick={() => download('verity-oscal-assessment-results.json', JSON.stringify(p.r, null, 2))}
        >
          Download the OSCAL JSON
        </button>
      </div>
      <table data-testid="findings">
        <caption>Findings per control</caption>
        <ColumnHeads names={['Control', 'Status', 'Evidence']} />
        <tbody>
          {run.findings.map((f) => {
            const control = f.target['target-id'].replace(/_smt$/, '');
            const state = f.target.status.state;
            return (
              <tr key={f.uuid} data-control={control} data-status={state}>
                <th scope="row">
                  {f.title}
                  <br />
                  <span class="mono muted">{control}</span>
                </th>
                <td>
                  <span class={`tag status-${state === 'satisfied' ? 'satisfied' : 'not-satisfied'}`}>{state}</span>
                </td>
                <td>
                  <ul>
                    {(f['related-observations'] ?? []).map((ro) => {
                      const o = obs.get(ro['observation-uuid']);
                      return o === undefined ? null : <ObservationItem key={o.uuid} o={o} />;
                    })}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function ObservationItem(p: { o: Observation }) {
  const [proofs, setProofs] = useState<Record<string, { ok: boolean; text: string }>>({});
  const pass = prop(p.o.props, 'result') === 'pass';
  const prove = async (index: number, leaf: string | undefined) => {
    try {
      const r = await (await trust()).client.proveEntry(index);
      const got = btoa(String.fromCharCode(...r.leafHash));
      const ok = leaf === undefined || leaf === got;
      setProofs((x) => ({
        ...x,
        [index]: { ok, text: ok ? `in the log of ${r.treeSize} entries` : 'its leaf hash differs from the evidence' },
      }));
    } catch (e) {
      setProofs((x) => ({ ...x, [index]: { ok: false, text: describe(e) } }));
    }
  };
  return (
    <li>
      <strong>{p.o.title}</strong>{' '}
      <span class={`tag status-${pass ? 'satisfied' : 'not-satisfied'}`}>{pass ? 'pass' : 'fail'}</span>
      <br />
      <span class="muted">{p.o.description}</span>
      <ul>
        {(p.o['relevant-evidence'] ?? [])
          .filter((e) => e.href === undefined)
          .map((e, k) => {
            const index = prop(e.props, 'log-index');
            const proof = index === undefined ? undefined : proofs[index];
            return (
              <li key={k}>
                {e.description}
                {index === undefined ? null : proof === undefined ? (
                  <>
                    {' '}
                    <button type="button" class="link" onClick={() => prove(Number(index), prop(e.props, 'leaf-hash'))}>
                      Verify log entry {index}
                    </button>
                  </>
                ) : (
                  <>
                    {' '}
                    <Verified ok={proof.ok} label={proof.ok ? `entry ${index} proven` : `entry ${index} not proven`} />{' '}
                    <span class="muted">{proof.text}</span>
                  </>
                )}
              </li>
            );
          })}
      </ul>
    </li>
  );
}

function CatalogView() {
  const [cat, retry] = useLoad(() => probe<Catalog>('/v1/compliance/catalog'));
  return (
    <section aria-labelledby="catalog">
      <h2 id="catalog">The control catalog</h2>
      <Loaded
        load={cat}
        what="the catalog"
        retry={retry}
        done={(c) =>
          c === undefined ? null : (
            <>
              <p>
                {c.catalog.metadata.title} (version {c.catalog.metadata.version}){' '}
                <button type="button" onClick={() => download('verity-oscal-catalog.json', JSON.stringify(c, null, 2))}>
                  Download the catalog
                </button>
              </p>
              {c.catalog.groups.map((g) => (
                <details key={g.id} data-group={g.id}>
                  <summary>
                    {g.title} ({g.controls.length} controls)
                  </summary>
                  <ul>
                    {g.controls.map((ctl) => (
                      <li key={ctl.id}>
                        <strong>{ctl.title}</strong> <span class="mono muted">{ctl.id}</span>
                        {ctl.parts?.[0]?.prose === undefined ? null : (
                          <>
                            <br />
                            {ctl.parts[0].prose}
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                </details>
              ))}
            </>
          )
        }
      />
    </section>
  );
}
