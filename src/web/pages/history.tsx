import { useState } from 'preact/hooks';
import type { InspectedLine } from '../../sdk/index.ts';
import { loadHistory } from '../history.ts';
import { Empty, LoadedPage, ProofAlarms, Verified } from '../ui.tsx';

/** Row height in CSS pixels (style.css `.row`): the list renders only the rows in view. */
const ROW = 48;
const VIEW = 11;

function fields(r: InspectedLine): {
  time: string;
  actor: string;
  action: string;
  purpose: string;
  basis: string;
  outcome: string;
  type: string;
} {
  const l = (r.line ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof l[k] === 'string' ? (l[k] as string) : '—');
  return {
    time: s('time').replace('T', ' ').slice(0, 19),
    actor: s('actor'),
    action: s('action'),
    purpose: s('purpose'),
    basis: s('legalBasis'),
    outcome: s('outcome'),
    type: s('recordType'),
  };
}

/** A virtualised list: a fixed-height scroll box whose rows outside the view are not in the DOM. */
function Lines(p: { results: readonly InspectedLine[] }) {
  const [top, setTop] = useState(0);
  const n = p.results.length;
  const first = Math.max(0, Math.floor(top / ROW) - 4);
  const last = Math.min(n, first + VIEW + 8);
  const rows = [];
  for (let i = first; i < last; i++) {
    const r = p.results[i] as InspectedLine;
    const f = fields(r);
    rows.push(
      <li
        key={i}
        class={r.ok ? 'row' : 'row failed'}
        style={{ top: `${i * ROW}px` }}
        aria-setsize={n}
        aria-posinset={i + 1}
        data-line={i}
      >
        <span class="when">{f.time}</span>
        <span class="what">
          <strong>{f.action}</strong> by {f.actor}{' '}
          <span class="muted">
            for {f.purpose} ({f.basis})
          </span>
          {f.outcome === 'success' ? null : <span class="tag">{f.outcome}</span>}
        </span>
        <Verified ok={r.ok} />
      </li>,
    );
  }
  return (
    // A scrolling region must take focus so that keyboard users can scroll it (WCAG 2.1.1).
    // biome-ignore lint/a11y/useSemanticElements: a section with a scroll box, named for screen readers
    <div
      class="scroller"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
      tabIndex={0}
      role="region"
      aria-label={`Access history, ${n} lines`}
      onScroll={(e) => setTop((e.currentTarget as HTMLElement).scrollTop)}
      data-testid="history-list"
    >
      <ul class="lines" style={{ height: `${n * ROW}px` }}>
        {rows}
      </ul>
    </div>
  );
}

export function HistoryPage() {
  return (
    <LoadedPage
      title="Access history"
      intro="Every time your data was written, read, shared or refused: each line is proven in the signed log, checked here in your browser."
      load={loadHistory}
      what="and verifying your access history"
      done={(h) => {
        const r = h.report;
        const n = r.results.length;
        return (
          <>
            <div
              class="summary"
              data-testid="history-summary"
              data-lines={n}
              data-failed={r.failed}
              data-verify-ms={Math.round(h.verifyMs)}
              data-fetch-ms={Math.round(h.fetchMs)}
            >
              <p>
                <Verified
                  ok={r.failed === 0 && h.consistent.ok}
                  label={r.failed === 0 && h.consistent.ok ? 'all verified' : 'verification failed'}
                />{' '}
                {n.toLocaleString('en')} lines checked against checkpoint {r.checkpoint.size.toLocaleString('en')}
                {h.cosigned > 0 ? `, cosigned by ${h.cosigned} witness${h.cosigned === 1 ? '' : 'es'}` : ''} in{' '}
                {Math.round(h.verifyMs)} ms.
              </p>
            </div>
            <ProofAlarms results={r.results} one="line" consistent={h.consistent}>
              What the server showed for these lines is not what its signed log holds. Do not rely on them, and tell the
              operator (or your data protection authority).
            </ProofAlarms>
            {n === 0 ? <Empty>Nothing has been done with your data yet.</Empty> : <Lines results={r.results} />}
          </>
        );
      }}
    />
  );
}
