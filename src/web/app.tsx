// The Trust Center: one page application over hash routes, for players (their data, history,
// consent, requests), operators (policy, requests, incidents, retention, keys, witnesses) and
// auditors (the log, verified here). Everything it shows about the log is checked in this browser
// with the SDK, against trust anchors pinned on first use.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Auth, api, describe, loadAuth, resetTrust, saveAuth } from './api.ts';
import { AuditPage } from './pages/audit.tsx';
import { GovernancePage } from './pages/community.tsx';
import { CompliancePage } from './pages/compliance.tsx';
import { DataPage } from './pages/data.tsx';
import { HistoryPage } from './pages/history.tsx';
import { ConsentPage, DevicePage, RequestsPage } from './pages/player.tsx';
import { IncidentsPage, OperationsPage, QueuePage, RetentionPage } from './pages/staff.tsx';
import { Page } from './ui.tsx';

interface Route {
  readonly path: string;
  readonly label: string;
  /** `community`: every stakeholder (players, creators, partner platforms, operators). */
  readonly group: 'player' | 'community' | 'operator' | 'auditor';
  readonly view: (a: Auth) => preact.ComponentChild;
}

/**
 * Every page. Pages whose API a server may not serve (governance, OSCAL export) say "not available
 * on this server" when their route answers 404.
 */
const ROUTES: readonly Route[] = [
  { path: 'data', label: 'My data', group: 'player', view: () => <DataPage /> },
  { path: 'history', label: 'Access history', group: 'player', view: () => <HistoryPage /> },
  { path: 'consent', label: 'Consent', group: 'player', view: () => <ConsentPage /> },
  { path: 'requests', label: 'My requests', group: 'player', view: () => <RequestsPage /> },
  { path: 'device', label: 'Passkeys', group: 'player', view: () => <DevicePage /> },
  { path: 'governance', label: 'Governance', group: 'community', view: (a) => <GovernancePage auth={a} /> },
  { path: 'operations', label: 'Policy, keys, witnesses', group: 'operator', view: () => <OperationsPage /> },
  { path: 'queue', label: 'Rights requests', group: 'operator', view: () => <QueuePage /> },
  { path: 'incidents', label: 'Incidents', group: 'operator', view: () => <IncidentsPage /> },
  { path: 'retention', label: 'Retention', group: 'operator', view: () => <RetentionPage /> },
  { path: 'audit', label: 'Log and proofs', group: 'auditor', view: () => <AuditPage /> },
  { path: 'oscal', label: 'Compliance export', group: 'auditor', view: () => <CompliancePage /> },
];

function currentPath(): string {
  return location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
}

function visible(a: Auth): readonly Route[] {
  return ROUTES.filter((r) =>
    r.group === 'community' ? true : a.kind === 'player' ? r.group === 'player' : r.group !== 'player',
  );
}

function SignIn(p: { onSignedIn: (a: Auth) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [token, setToken] = useState('');

  const passkey = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const options = await api<Record<string, unknown>>('POST', '/v1/signin/passkey/options', {});
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(
        options as unknown as PublicKeyCredentialRequestOptionsJSON,
      );
      const cred = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential | null;
      if (cred === null) throw new Error('no passkey was chosen');
      const r = await api<{ token: string }>('POST', '/v1/signin/passkey', { credential: cred.toJSON() });
      p.onSignedIn({ token: r.token, kind: 'player', via: 'passkey' });
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };

  const staff = (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!/^[\x21-\x7e]{16,4096}$/.test(t)) {
      setError('paste the whole API token (`verity tokens create ...` printed it)');
      return;
    }
    p.onSignedIn({ token: t, kind: t.split('.').length === 3 ? 'player' : 'staff', via: 'token' });
  };

  return (
    <Page title="Sign in" intro="The Trust Center shows what Verity holds about you and proves it in your browser.">
      <div class="cards">
        <div class="card">
          <h2>Players</h2>
          <p>Sign in with the passkey you registered, or open the Trust Center from your game or platform.</p>
          <button type="button" class="primary" onClick={passkey} disabled={busy}>
            Sign in with a passkey
          </button>
        </div>
        <form class="card" onSubmit={staff}>
          <h2>Operators and auditors</h2>
          <label for="token">API token</label>
          <input
            id="token"
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Sign in with a token</button>
        </form>
      </div>
      {error === undefined ? null : (
        <p class="state error" role="alert">
          {error}
        </p>
      )}
    </Page>
  );
}

function Shell() {
  const [auth, setAuth] = useState<Auth | undefined>(() => {
    // A platform hands a player over with `#/signin?session=TOKEN`: the fragment never reaches a
    // server, and it is taken out of the address bar and history at once.
    const m = /[?&]session=([A-Za-z0-9._-]{20,4096})/.exec(location.hash);
    if (m?.[1] !== undefined) {
      const a: Auth = { token: m[1], kind: 'player', via: 'platform' };
      saveAuth(a);
      history.replaceState(null, '', `${location.pathname}#/data`);
      return a;
    }
    return loadAuth();
  });
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => {
      setPath(currentPath());
      // Keyboard and screen-reader users land on the new page's heading.
      requestAnimationFrame(() => document.getElementById('page-title')?.focus());
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);

  const signIn = (a: Auth) => {
    saveAuth(a);
    resetTrust();
    setAuth(a);
    location.hash = a.kind === 'player' ? '#/data' : '#/operations';
  };
  const signOut = () => {
    saveAuth(undefined);
    resetTrust();
    setAuth(undefined);
    location.hash = '#/signin';
  };

  const routes = auth === undefined ? [] : visible(auth);
  const route = routes.find((r) => r.path === path) ?? routes[0];
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <p class="brand">
          <span aria-hidden="true">◆</span> Verity Trust Center
        </p>
        {auth === undefined ? null : (
          <nav aria-label="Pages">
            <ul>
              {routes.map((r) => (
                <li key={r.path}>
                  <a href={`#/${r.path}`} aria-current={r === route ? 'page' : undefined}>
                    {r.label}
                  </a>
                </li>
              ))}
            </ul>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {auth === undefined || route === undefined ? <SignIn onSignedIn={signIn} /> : route.view(auth)}
      </main>
      <footer>
        <p>
          Proofs are checked in this browser against keys it pinned on first use. No cookies, no tracking, nothing
          loaded from elsewhere.
        </p>
      </footer>
    </>
  );
}

export function start(root: HTMLElement): void {
  root.textContent = '';
  render(<Shell />, root);
}
