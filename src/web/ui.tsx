// Small shared pieces: the page frame, the states every page has (loading, empty, error, failed
// verification), the verified mark, table headings, and a hook that loads data for a page.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, describe } from './api.ts';

export function Page(p: { title: string; intro?: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {p.title}
      </h1>
      {p.intro === undefined ? null : <p class="intro">{p.intro}</p>}
      {p.children}
    </section>
  );
}

export function Loading(p: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {p.what}…
    </p>
  );
}

export function Empty(p: { children: ComponentChildren }) {
  return <p class="state empty">{p.children}</p>;
}

/** Codes of checks made in this browser (signatures, cosignatures, proofs) that failed. */
const FAILED_CHECKS = new Set([
  'VERITY_E_LOG_CHECKPOINT_INVALID',
  'VERITY_E_LOG_FORK',
  'VERITY_E_LOG_NOTE_INVALID',
  'VERITY_E_LOG_PROOF_INVALID',
  'VERITY_E_LOG_ROLLBACK',
  'VERITY_E_LOG_SIGNATURE_INVALID',
  'VERITY_E_REPORT_INVALID',
  'VERITY_E_WITNESS_QUORUM',
  'VERITY_E_WITNESS_SIGNATURE_INVALID',
]);

/** The code of a failed check made here (not an error the server answered), if it is one. */
export function failedCheck(e: unknown): string | undefined {
  if (e instanceof ApiError) return undefined;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FAILED_CHECKS.has(code) ? code : undefined;
}

export function ErrorState(p: { error: unknown; retry?: () => void }) {
  const retry =
    p.retry === undefined ? null : (
      <button type="button" onClick={p.retry}>
        Try again
      </button>
    );
  // What the server sent did not verify here: an alarm, not a mere load error.
  if (failedCheck(p.error) !== undefined)
    return (
      <Alarm title="What this server sent does not verify">
        <p>
          {describe(p.error)} ({failedCheck(p.error)}). Do not rely on what it shows, and tell the operator.
        </p>
        {retry}
      </Alarm>
    );
  return (
    <div class="state error" role="alert">
      <p>
        <strong>Could not load this.</strong> {describe(p.error)}
      </p>
      {retry}
    </div>
  );
}

/** Said where this server does not serve a part of Verity (its route answered 404). */
export function NotServed(p: { title: string; what: string }) {
  return (
    <p class="state empty" data-testid="unavailable">
      {p.title} is not available on this server: it does not serve {p.what}.
    </p>
  );
}

/** A proof failed: said loudly, in words, never only by colour. */
export function Alarm(p: { title: string; children: ComponentChildren }) {
  return (
    <div class="alarm" role="alert" data-testid="alarm">
      <p>
        <strong>⚠ {p.title}</strong>
      </p>
      {p.children}
    </div>
  );
}

/**
 * The alarms of a list checked in this browser: its items whose proofs failed (the first five
 * named, after `children`: what to do), and a checkpoint not consistent with the one seen before.
 */
export function ProofAlarms(p: {
  results: readonly ({ readonly ok: true } | { readonly ok: false; readonly error: { readonly message: string } })[];
  /** What one item is called (`line`, `run`). */
  one: string;
  consistent: { readonly ok: true } | { readonly ok: false; readonly why: string };
  children: ComponentChildren;
}) {
  const failed = p.results.flatMap((r, at) => (r.ok ? [] : [{ at, message: r.error.message }]));
  return (
    <>
      {failed.length === 0 ? null : (
        <Alarm title={`${failed.length} ${p.one}${failed.length === 1 ? '' : 's'} failed verification`}>
          <p>{p.children}</p>
          <ul>
            {failed.slice(0, 5).map((f) => (
              <li key={f.at}>{f.message}</li>
            ))}
          </ul>
        </Alarm>
      )}
      {p.consistent.ok ? null : (
        <Alarm title="The log is not consistent with what this browser saw before">
          <p>{p.consistent.why}</p>
        </Alarm>
      )}
    </>
  );
}

/** What came of an action: a status once it is done, an alert when it failed. */
export interface Outcome {
  readonly ok: boolean;
  readonly text: string;
}

export function OutcomeNote(p: { outcome: Outcome | undefined }) {
  return p.outcome === undefined ? null : (
    <p class={p.outcome.ok ? 'state done' : 'state error'} role={p.outcome.ok ? 'status' : 'alert'}>
      {p.outcome.text}
    </p>
  );
}

export function Verified(p: { ok: boolean; label?: string }) {
  return p.ok ? (
    <span class="mark ok" data-verified="true">
      ✓ {p.label ?? 'verified'}
    </span>
  ) : (
    <span class="mark bad" data-verified="false">
      ✗ {p.label ?? 'failed'}
    </span>
  );
}

/** A table's header row: one column heading per name. */
export function ColumnHeads(p: { names: readonly string[] }) {
  return (
    <thead>
      <tr>
        {p.names.map((n) => (
          <th scope="col" key={n}>
            {n}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export type Load<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly error: unknown }
  | { readonly state: 'done'; readonly value: T };

/** Runs `f` when the page opens (and on `reload`). */
export function useLoad<T>(f: () => Promise<T>, deps: readonly unknown[] = []): [Load<T>, () => void] {
  const [s, set] = useState<Load<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    set({ state: 'loading' });
    f().then(
      (value) => live && set({ state: 'done', value }),
      (error: unknown) => live && set({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what the load depends on
  }, [n, ...deps]);
  return [s, useCallback(() => setN((x) => x + 1), [])];
}

/** Renders a load: its loading and error states, or `done` with the value. */
export function Loaded<T>(p: { load: Load<T>; what: string; retry?: () => void; done: (v: T) => ComponentChildren }) {
  if (p.load.state === 'loading') return <Loading what={p.what} />;
  if (p.load.state === 'error')
    return <ErrorState error={p.load.error} {...(p.retry === undefined ? {} : { retry: p.retry })} />;
  return <>{p.done(p.load.value)}</>;
}

/** A page that is one load: its title and intro, then the load's states, or `done` with the value. */
export function LoadedPage<T>(p: {
  title: string;
  intro: string;
  load: () => Promise<T>;
  what: string;
  done: (v: T) => ComponentChildren;
}) {
  const [load, retry] = useLoad(p.load);
  return (
    <Page title={p.title} intro={p.intro}>
      <Loaded load={load} what={p.what} retry={retry} done={p.done} />
    </Page>
  );
}

export function fmtTime(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Saves text as a file the person downloads (a blob URL: nothing leaves the browser). */
export function download(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
