import { useState } from 'preact/hooks';
import { ConsentClient } from '../../sdk/index.ts';
import { api, describe, loadAuth, trust } from '../api.ts';
import {
  Alarm,
  ColumnHeads,
  download,
  Empty,
  fmtTime,
  Loaded,
  type Outcome,
  OutcomeNote,
  Page,
  useLoad,
  Verified,
} from '../ui.tsx';

export function ConsentPage() {
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [load, reload] = useLoad(async () => {
    const t = await trust();
    const token = loadAuth()?.token;
    return new ConsentClient(t.client, token === undefined ? {} : { sessionToken: token }).list();
  });
  const change = async (purpose: string, category: string | null, status: 'given' | 'withdrawn') => {
    setBusy(purpose);
    setError(undefined);
    try {
      await api('POST', '/v1/consent', {
        purpose,
        ...(category === null ? {} : { category }),
        status,
        method: 'trust-center',
      });
      reload();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Page
      title="Consent"
      intro="What you agreed to, proven by the state map, with every change proven in the log. Withdrawing takes effect at the next decision."
    >
      {error === undefined ? null : (
        <p class="state error" role="alert">
          {error}
        </p>
      )}
      <Loaded
        load={load}
        what="and verifying your consents"
        retry={reload}
        done={(c) =>
          c.consents.length === 0 ? (
            <Empty>You have not given or refused any consent.</Empty>
          ) : (
            <table>
              <caption>
                Your consents under policy {c.policyVersion} <Verified ok={true} label="proofs verified" />
              </caption>
              <ColumnHeads names={['Purpose', 'Status', 'Since', 'Changes', 'Action']} />
              <tbody>
                {c.consents.map(({ record: r, history }) => (
                  <tr key={r.consentId} data-purpose={r.purpose}>
                    <th scope="row">
                      {r.purpose}
                      {r.category === null ? '' : ` (${r.category})`}
                    </th>
                    <td>
                      <span class={`tag ${r.status}`}>{r.status}</span>
                    </td>
                    <td>{fmtTime(r.status === 'given' ? r.givenAt : r.withdrawnAt)}</td>
                    <td>{history.length}</td>
                    <td>
                      {r.status === 'given' ? (
                        <button
                          type="button"
                          disabled={busy !== undefined}
                          onClick={() => change(r.purpose, r.category, 'withdrawn')}
                        >
                          Withdraw consent to {r.purpose}
                        </button>
                      ) : (
                        <button
                          type="button"
                          disabled={busy !== undefined}
                          onClick={() => change(r.purpose, r.category, 'given')}
                        >
                          Give consent to {r.purpose}
                        </button>
                      )}
                    </td>
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

interface RightsRequest {
  id: string;
  type: string;
  status: string;
  deadline: string;
  filedAt?: string | number;
  regime?: string;
}

const TYPES = ['access', 'portability', 'erasure', 'restriction', 'objection'] as const;

function daysLeft(deadline: string): string {
  const d = Math.ceil((Date.parse(deadline) - Date.now()) / 86_400_000);
  return Number.isNaN(d) ? '' : d < 0 ? `${-d} days overdue` : `${d} days left`;
}

export function RequestsPage() {
  const [type, setType] = useState<string>('access');
  const [msg, setMsg] = useState<Outcome | undefined>();
  const [proofs, setProofs] = useState<{ id: string; ok: boolean; text: string }[]>([]);
  const [load, reload] = useLoad(() => api<RightsRequest[]>('GET', '/v1/rights/requests'));
  const file = async (e: Event) => {
    e.preventDefault();
    setMsg(undefined);
    try {
      const r = await api<RightsRequest>('POST', '/v1/rights/requests', { type });
      setMsg({ ok: true, text: `Request filed: ${r.type}, due ${fmtTime(r.deadline)}.` });
      reload();
    } catch (err) {
      setMsg({ ok: false, text: describe(err) });
    }
  };
  const execute = async (r: RightsRequest) => {
    setMsg(undefined);
    try {
      const out = await api<{
        export?: unknown;
        bundle?: string;
        tombstones?: { id: string; state: unknown }[];
        // No `mode`: Verity erases what this session may (D417): everything, the key shredded, when
        // the player signed in themselves; their platform's records when the platform handed over.
      }>('POST', `/v1/rights/requests/${r.id}/execute`, {});
      if (out.export !== undefined) download(`verity-export-${r.id}.json`, JSON.stringify(out.export, null, 2));
      if (out.bundle !== undefined) download(`verity-portability-${r.id}.jws`, out.bundle, 'application/jose');
      if (out.tombstones !== undefined) {
        const t = await trust();
        const checked = [];
        for (const s of out.tombstones) {
          try {
            const v = await t.client.verifyErasure(s.id, s.state);
            checked.push({ id: s.id, ok: true, text: `erased, proven by the state map at tree size ${v.treeSize}` });
          } catch (err) {
            checked.push({ id: s.id, ok: false, text: describe(err) });
          }
        }
        setProofs(checked);
      }
      setMsg({ ok: true, text: `Request ${r.type} carried out.` });
      reload();
    } catch (err) {
      setMsg({ ok: false, text: describe(err) });
    }
  };
  const failed = proofs.filter((p) => !p.ok);
  return (
    <Page
      title="My requests"
      intro="Ask for a copy of your data, to take it elsewhere, to erase it, or to limit its use."
    >
      <form class="card inline" onSubmit={file}>
        <label for="rtype">Request</label>
        <select id="rtype" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <button type="submit" class="primary">
          File request
        </button>
      </form>
      <OutcomeNote outcome={msg} />
      {proofs.length === 0 ? null : (
        <section aria-label="Erasure proof" data-testid="erasure-proof">
          <h2>Erasure proof</h2>
          {failed.length > 0 ? (
            <Alarm title="The erasure is not proven">
              <p>The server says these records are erased but its proof does not show it.</p>
            </Alarm>
          ) : null}
          <ul>
            {proofs.map((p) => (
              <li key={p.id}>
                <Verified ok={p.ok} label={p.ok ? 'erasure proven' : 'not proven'} /> <span class="mono">{p.id}</span>:{' '}
                {p.text}
              </li>
            ))}
          </ul>
        </section>
      )}
      <Loaded
        load={load}
        what="your requests"
        retry={reload}
        done={(rs) =>
          rs.length === 0 ? (
            <Empty>You have filed no requests.</Empty>
          ) : (
            <table>
              <caption>Your requests and their legal deadlines</caption>
              <ColumnHeads names={['Request', 'Status', 'Deadline', 'Action']} />
              <tbody>
                {rs.map((r) => (
                  <tr key={r.id} data-request={r.type}>
                    <th scope="row">{r.type}</th>
                    <td>
                      <span class="tag">{r.status}</span>
                    </td>
                    <td>
                      {fmtTime(r.deadline)}{' '}
                      <span class="muted">{r.status === 'completed' ? '' : daysLeft(r.deadline)}</span>
                    </td>
                    <td>
                      {['access', 'portability', 'erasure'].includes(r.type) &&
                      r.status !== 'completed' &&
                      r.status !== 'refused' ? (
                        <button type="button" onClick={() => execute(r)}>
                          {r.type === 'erasure' ? 'Erase now' : 'Download'} ({r.type})
                        </button>
                      ) : null}
                    </td>
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

export function DevicePage() {
  const [msg, setMsg] = useState<Outcome | undefined>();
  const [codes, setCodes] = useState<string[] | undefined>();
  const [load, reload] = useLoad(() =>
    api<{ passkeys: { id: string; deviceName?: string; createdAt?: number; lastUsedAt?: number }[] }>(
      'GET',
      '/v1/passkeys',
    ),
  );
  const register = async () => {
    setMsg(undefined);
    try {
      const options = await api<Record<string, unknown>>('POST', '/v1/passkeys/register/options', {});
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(
        options as unknown as PublicKeyCredentialCreationOptionsJSON,
      );
      const cred = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
      if (cred === null) throw new Error('no passkey was made');
      const r = await api<{ recoveryCodes: string[] }>('POST', '/v1/passkeys/register', {
        credential: cred.toJSON(),
        deviceName: 'this browser',
      });
      setCodes(r.recoveryCodes);
      setMsg({ ok: true, text: 'Passkey registered: you can now sign in with it.' });
      reload();
    } catch (e) {
      setMsg({ ok: false, text: describe(e) });
    }
  };
  return (
    <Page title="Passkeys" intro="Register this device's passkey to sign in to the Trust Center without your platform.">
      <button type="button" class="primary" onClick={register}>
        Register a passkey on this device
      </button>
      <OutcomeNote outcome={msg} />
      {codes === undefined ? null : (
        <div class="card">
          <h2>Recovery codes</h2>
          <p>Keep these somewhere safe; each works once if you lose your passkey.</p>
          <ul class="mono">
            {codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </div>
      )}
      <Loaded
        load={load}
        what="your passkeys"
        retry={reload}
        done={(r) =>
          r.passkeys.length === 0 ? (
            <Empty>No passkey yet.</Empty>
          ) : (
            <ul>
              {r.passkeys.map((p) => (
                <li key={p.id}>
                  {p.deviceName ?? 'passkey'} <span class="muted">registered {fmtTime(p.createdAt)}</span>
                </li>
              ))}
            </ul>
          )
        }
      />
    </Page>
  );
}
