/**
 * Sign-in through the issuer: the authorization-code flow with PKCE (RFC 7636), as a public
 * client in the browser. The issuer's ID token (audience: this client) is the bearer the API
 * verifies; it stays in sessionStorage like a pasted token. Nothing here trusts the token: the
 * API checks its signature, issuer, audience and expiry; the nonce check only ties the answer
 * to the sign-in this tab started.
 */
export interface OidcConfig {
  issuer: string;
  clientId: string;
}

/** What the shell needs to know before signing in, from /app/config.json (no inline script under the CSP). */
export interface DashboardConfig {
  oidc?: OidcConfig;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  /** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), where the issuer offers it. */
  end_session_endpoint?: string;
}

interface PendingSignIn {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

const PENDING_KEY = 'termwatch.oidc.pending';
export const CALLBACK_PATH = '/app/callback';

export class SignInError extends Error {
  override readonly name = 'SignInError';
}

/** The config, or none (token form) when the host serves no config.json. */
export async function loadConfig(): Promise<DashboardConfig> {
  try {
    const response = await fetch('/app/config.json', { cache: 'no-store' });
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return {};
    const config = (await response.json()) as DashboardConfig;
    return config.oidc?.issuer && config.oidc.clientId ? config : {};
  } catch {
    return {};
  }
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomText = (bytes = 32) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));
const callbackUrl = () => `${location.origin}${CALLBACK_PATH}`;

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new SignInError(`the identity provider did not answer its configuration (${response.status})`);
  const discovery = (await response.json()) as Discovery;
  if (discovery.issuer !== issuer) throw new SignInError(`the identity provider names itself ${discovery.issuer}, not ${issuer}`);
  return discovery;
}

/** Sends the browser to the issuer's sign-in page; it comes back to /app/callback with a code. */
export async function beginSignIn(oidc: OidcConfig, returnTo: string): Promise<void> {
  const discovery = await discover(oidc.issuer);
  const pending: PendingSignIn = { verifier: randomText(48), state: randomText(), nonce: randomText(), returnTo };
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: callbackUrl(),
    scope: 'openid email',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);
  location.assign(url.toString());
}

function payloadOf(jwt: string): Record<string, unknown> {
  const part = (jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

/**
 * The way back from the issuer: checks the state, trades the code and the PKCE verifier for
 * tokens at the token endpoint, checks the nonce, and answers the ID token and where to go.
 */
export async function completeSignIn(oidc: OidcConfig, search: string): Promise<{ token: string; returnTo: string }> {
  const params = new URLSearchParams(search);
  const saved = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const error = params.get('error');
  if (error) throw new SignInError(`the identity provider refused the sign-in: ${params.get('error_description') ?? error}`);
  const pending = saved ? (JSON.parse(saved) as PendingSignIn) : undefined;
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state) throw new SignInError('this sign-in was not started in this tab; sign in again');
  const discovery = await discover(oidc.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl(),
      client_id: oidc.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.id_token) throw new SignInError(`the identity provider gave no token: ${body.error_description ?? body.error ?? response.status}`);
  if (payloadOf(body.id_token).nonce !== pending.nonce) throw new SignInError('the token answers another sign-in (nonce); sign in again');
  return { token: body.id_token, returnTo: pending.returnTo.startsWith('/app/') ? pending.returnTo : '/app/' };
}

/**
 * Ends the person's session at the issuer too, where it offers RP-initiated logout (so the next
 * "Sign in" on a shared computer asks again): the browser goes there and comes back to /app/.
 * Answers false when the issuer has no such endpoint (Cognito's discovery names none): the
 * token is dropped here either way.
 */
export async function endIssuerSession(oidc: OidcConfig, idToken: string): Promise<boolean> {
  const discovery = await discover(oidc.issuer).catch(() => undefined);
  if (!discovery?.end_session_endpoint) return false;
  const url = new URL(discovery.end_session_endpoint);
  url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('post_logout_redirect_uri', `${location.origin}/app/`);
  location.assign(url.toString());
  return true;
}
