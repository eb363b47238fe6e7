import { useState } from 'preact/hooks';
import { api, describe, trust } from '../api.ts';
import { Alarm, ColumnHeads, Empty, failedCheck, Page, Verified } from '../ui.tsx';

interface Entry {
  index: number;
  entry?: { actor?: string; action?: string; resource?: string; purpose?: string; outcome?: string; time?: number };
  state?: unknown;
}

/** A check's outcome; `alarm` when a proof or signature failed (not a mere bad input). */
type Check = { ok: boolean; text: string; alarm?: boolean };

export function AuditPage() {
  const [from, setFrom] = useState('0');
  const [filter, setFilter] = useState('');
  const [entries, setEntries] = useState<Entry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [checks, setChecks] = useState<Record<number, Check>>({});
  const [cp, setCp] = useState<Check | undefined>();
  const [size1, setSize1] = useState('');
  const [size2, setSize2] = useState('');
  const [range, setRange] = useState<Check | undefined>();

  const consistency = async (e: Event) => {
    e.preventDefault();
    const a = Number(size1.trim());
    const b = size2.trim() === '' ? undefined : Number(size2.trim());
    if (size1.trim() === '' || !Number.isSafeInteger(a) || a < 0 || (b !== undefined && !Number.isSafeInteger(b))) {
      setRange({ ok: false, text: 'the tree sizes are whole numbers, 0 or more (leave "to" empty for the latest)' });
      return;
    }
    try {
      const t = await trust();
      const to = b ?? (await t.client.checkpoint()).size;
      const r = await t.client.proveConsistency(a, to);
      const hex = (x: Uint8Array) => Array.from(x, (v) => v.toString(16).padStart(2, '0')).join('');
      setRange({
        ok: true,
        text: `the tree of ${r.size1} entries (root ${hex(r.root1)}) is a prefix of the tree of ${r.size2} entries (root ${hex(r.root2)}), itself a prefix of the signed checkpoint of ${r.checkpoint.size} entries`,
      });
    } catch (err) {
      setRange({ ok: false, text: describe(err), alarm: failedCheck(err) !== undefined });
    }
  };

  const search = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const start = Number(from);
    if (!Number.isSafeInteger(start) || start < 0) {
      setError('the first index is a whole number, 0 or more');
      return;
    }
    try {
      const got = await api<Entry[]>('GET', `/v1/log/entries?from=${start}`);
      const f = filter.trim().toLowerCase();
      setEntries(
        f === ''
          ? got
          : got.filter((x) =>
              JSON.stringify(x.entry ?? x.state ?? {})
                .toLowerCase()
                .includes(f),
            ),
      );
    } catch (err) {
      setError(describe(err));
    }
  };

  const verify = async (i: number) => {
    try {
      const t = await trust();
      const r = await t.client.proveEntry(i);
      setChecks((c) => ({ ...c, [i]: { ok: true, text: `included in the checkpoint of ${r.treeSize} entries` } }));
    } catch (err) {
      setChecks((c) => ({ ...c, [i]: { ok: false, text: describe(err) } }));
    }
  };

  const checkpoint = async () => {
    try {
      const t = await trust();
      const before = await t.client.trusted();
      const now = await t.client.checkpoint();
      setCp({
        ok: true,
        text:
          `checkpoint of ${now.size} entries: signed by the pinned log key` +
          (t.quorum > 0 ? `, cosigned by at least ${t.quorum} pinned witness(es)` : '') +
          (before === undefined
            ? '; pinned now (first use)'
            : before.size === now.size
              ? '; the same as the one pinned'
              : `; proven consistent with the pinned checkpoint of ${before.size} entries`),
      });
    } catch (err) {
      setCp({ ok: false, text: describe(err) });
    }
  };

  return (
    <Page
      title="Log and proofs"
      intro="Search the transparency log and verify entries, checkpoints and consistency here, in your browser."
    >
      <div class="card">
        <h2>Checkpoint and consistency</h2>
        <button type="button" class="primary" onClick={checkpoint}>
          Verify the latest checkpoint
        </button>
        {cp === undefined ? null : cp.ok ? (
          <p data-testid="checkpoint-result">
            <Verified ok={true} /> {cp.text}
          </p>
        ) : (
          <Alarm title="The checkpoint does not verify">
            <p>{cp.text}</p>
          </Alarm>
        )}
      </div>
      <form class="card inline" onSubmit={consistency}>
        <h2>Consistency between two tree sizes</h2>
        <label for="size1">From size</label>
        <input
          id="size1"
          inputMode="numeric"
          value={size1}
          onInput={(e) => setSize1((e.target as HTMLInputElement).value)}
        />
        <label for="size2">To size</label>
        <input
          id="size2"
          inputMode="numeric"
          placeholder="latest"
          value={size2}
          onInput={(e) => setSize2((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Verify consistency</button>
        {range === undefined ? null : range.ok ? (
          <p data-testid="consistency-result" class="wide">
            <Verified ok={true} /> {range.text}
          </p>
        ) : range.alarm === true ? (
          <Alarm title="Consistency does not verify">
            <p data-testid="consistency-error">{range.text}</p>
          </Alarm>
        ) : (
          <p class="state error wide" role="alert" data-testid="consistency-error">
            {range.text}
          </p>
        )}
      </form>
      <form class="card inline" onSubmit={search}>
        <label for="from">From entry</label>
        <input
          id="from"
          inputMode="numeric"
          value={from}
          onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
        />
        <label for="filter">Containing</label>
        <input id="filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <button type="submit">Search the log</button>
      </form>
      {error === undefined ? null : (
        <p class="state error" role="alert">
          {error}
        </p>
      )}
      {entries === undefined ? null : entries.length === 0 ? (
        <Empty>No entry matches.</Empty>
      ) : (
        <table>
          <caption>
            Entries {entries[0]?.index} to {entries.at(-1)?.index}
          </caption>
          <ColumnHeads names={['Index', 'Entry', 'Proof']} />
          <tbody>
            {entries.map((x) => {
              const c = checks[x.index];
              return (
                <tr key={x.index} data-index={x.index}>
                  <th scope="row">{x.index}</th>
                  <td>
                    {x.entry === undefined ? (
                      <span class="muted">state changes of a transaction</span>
                    ) : (
                      <>
                        <strong>{x.entry.action}</strong> {x.entry.resource} by {x.entry.actor}{' '}
                        <span class="muted">for {x.entry.purpose}</span>
                      </>
                    )}
                  </td>
                  <td>
                    {c === undefined ? (
                      <button type="button" onClick={() => verify(x.index)}>
                        Verify entry {x.index}
                      </button>
                    ) : (
                      <span title={c.text}>
                        <Verified ok={c.ok} /> <span class="muted">{c.text}</span>
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Page>
  );
}
