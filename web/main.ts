import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, session, SIGNED_OUT_EVENT, type Me } from './api.ts';
import { A, html, link, navigate } from './components/ui.ts';
import { AccountPage } from './pages/account.ts';
import { AccountsPage, ImportPage, NotificationsPage, RenewalsPage } from './pages/lists.ts';
import { PreviewPage } from './pages/preview.ts';
import { ReviewsPage } from './pages/reviews.ts';
import { TaskPage } from './pages/task.ts';
import { beginSignIn, CALLBACK_PATH, completeSignIn, endIssuerSession, loadConfig, type DashboardConfig } from './oidc.ts';
import { CalendarPage } from './pages/calendar.ts';

function SignIn({ config, onSignedIn, onError }: { config: DashboardConfig; onSignedIn: () => void; onError: (message: string) => void }) {
  const [token, setToken] = useState('');
  const [leaving, setLeaving] = useState(false);
  const oidc = config.oidc;
  return html`<main id="main" class="signin">
    <h1>Sign in to Termwatch</h1>
    ${
      oidc
        ? html`<p><button type="button" disabled=${leaving} onClick=${() => {
            setLeaving(true);
            beginSignIn(oidc, location.pathname + location.search).catch((e: Error) => {
              setLeaving(false);
              onError(`Could not reach the identity provider: ${e.message}`);
            });
          }}>Sign in with ${new URL(oidc.issuer).host}</button></p>
        <h2>Or with an API token</h2>`
        : null
    }
    <form onSubmit=${(e: Event) => {
      e.preventDefault();
      session.signIn(token.trim());
      onSignedIn();
    }}>
      <label for="token">API token</label>
      <input id="token" type="password" autocomplete="off" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled=${!token.trim()}>Sign in</button>
    </form>
    <p class="muted">Use the token <code>npm start</code> printed (or your own person's token).</p>
  </main>`;
}

/** Who is signed in: GET /me, or the owner token acting as admin where /me does not exist yet. */
async function whoAmI(): Promise<Me> {
  try {
    return await api.me();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      await api.tasks({ limit: 1 }); // checks the token: a bad one is a 401
      return { name: 'owner', role: 'admin' };
    }
    throw error;
  }
}

const NAV = [
  ['/app/', 'Reviews'],
  ['/app/renewals', 'Renewals'],
  ['/app/accounts', 'Accounts'],
  ['/app/notifications', 'Notifications'],
  ['/app/import', 'Import'],
  ['/app/preview', 'Policy preview'],
  ['/app/calendar', 'Calendar'],
] as const;

function Page({ path, me, now }: { path: string; me: Me; now: Date }) {
  const lang = new URLSearchParams(location.search).get('lang') === 'es' ? 'es' : 'en';
  const task = /^\/app\/tasks\/([^/]+)$/.exec(path);
  if (task) return html`<${TaskPage} id=${decodeURIComponent(task[1]!)} me=${me} lang=${lang} />`;
  const account = /^\/app\/accounts\/([^/]+)$/.exec(path);
  if (account) return html`<${AccountPage} id=${decodeURIComponent(account[1]!)} me=${me} now=${now} />`;
  if (path === '/app/renewals') return html`<${RenewalsPage} />`;
  if (path === '/app/accounts') return html`<${AccountsPage} />`;
  if (path === '/app/notifications') return html`<${NotificationsPage} me=${me} />`;
  if (path === '/app/import') return html`<${ImportPage} me=${me} />`;
  if (path === '/app/preview') return html`<${PreviewPage} me=${me} />`;
  if (path === '/app/calendar') return html`<${CalendarPage} me=${me} />`;
  if (path === '/app/' || path === '/app') return html`<${ReviewsPage} />`;
  return html`<h1>Not found</h1><p>No page at ${path}. <${A} href="/app/">Back to the reviews<//></p>`;
}

function App() {
  const [path, setPath] = useState(location.pathname + location.search);
  const [me, setMe] = useState<Me | undefined>();
  const [config, setConfig] = useState<DashboardConfig | undefined>();
  const [signedIn, setSignedIn] = useState(session.token() !== null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    loadConfig().then(async (loaded) => {
      // Back from the issuer: trade the code for a token, then go where the person was.
      if (location.pathname === CALLBACK_PATH) {
        try {
          if (!loaded.oidc) throw new Error('this dashboard signs in with a token, not through an identity provider');
          const { token, returnTo } = await completeSignIn(loaded.oidc, location.search);
          session.signIn(token, 'oidc');
          history.replaceState(null, '', returnTo);
          setSignedIn(true);
        } catch (e) {
          history.replaceState(null, '', '/app/');
          setError(`Sign-in failed: ${(e as Error).message}`);
        }
        setPath(location.pathname + location.search);
      }
      setConfig(loaded);
    });
  }, []);
  useEffect(() => {
    const onPop = () => setPath(location.pathname + location.search);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    const onSignedOut = () => {
      setMe(undefined);
      setSignedIn(false);
      setError('Your session ended (the token expired or was revoked): sign in again.');
    };
    addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, []);
  useEffect(() => {
    if (!signedIn) return;
    whoAmI().then(setMe, (e: Error) => {
      session.signOut();
      setSignedIn(false);
      setError(e instanceof ApiError && e.status === 401 ? 'That token was not accepted.' : e.message);
    });
  }, [signedIn]);
  useEffect(() => {
    document.title = `Termwatch · ${document.querySelector('h1')?.textContent ?? ''}`;
  });
  if (!config) return html`<main id="main"><p class="state" role="status">Loading Termwatch…</p></main>`;
  if (!signedIn)
    return html`${error ? html`<p role="alert" class="state error">${error}</p>` : null}<${SignIn} config=${config} onError=${setError} onSignedIn=${() => {
      setError(undefined);
      setSignedIn(true);
    }} />`;
  if (!me) return html`<main id="main"><p class="state" role="status">Signing in…</p></main>`;
  const pathname = path.split('?')[0]!;
  return html`<header class="top">
      <a class="skip" href="#main">Skip to content</a>
      <span class="brand">Termwatch</span>
      <nav aria-label="Main"><ul>${NAV.map(([href, label]) => html`<li><a href=${href} onClick=${link(href)} aria-current=${(href === '/app/' ? pathname === '/app/' : pathname.startsWith(href)) ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
      <span class="who">${me.name} · ${me.role}</span>
      <button type="button" onClick=${() => {
        const token = session.token();
        const atIssuer = config.oidc && token && session.viaIssuer() ? config.oidc : undefined;
        session.signOut();
        setMe(undefined);
        setSignedIn(false);
        navigate('/app/');
        if (atIssuer && token) void endIssuerSession(atIssuer, token);
      }}>Sign out</button>
    </header>
    <main id="main"><${Page} key=${path} path=${pathname} me=${me} now=${new Date()} /></main>`;
}

const root = document.getElementById('root')!;
// The shell's loading line goes: render() adds to what a container holds, it does not replace it.
root.textContent = '';
render(html`<${App} />`, root);
