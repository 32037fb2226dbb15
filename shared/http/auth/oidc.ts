import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { HttpError } from '../errors.ts';
import { highestRole, type Principal } from './roles.ts';

/** Asymmetric algorithms only: `none` and shared-secret HMAC are never accepted from an issuer. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** The claim holding the person's groups (Cognito: `cognito:groups`). */
  groupsClaim: string;
}

export class OidcConfigError extends Error {
  override readonly name = 'OidcConfigError';
}

/** A verified token whose groups name no Termwatch role: known person, no rights (403). */
export class NoRoleError extends Error {
  override readonly name = 'NoRoleError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Issuers (and their JWKS) must be https://, except on loopback for local use and tests. */
export function checkIssuerUrl(value: string, what = 'WATCHER_OIDC_ISSUER'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new OidcConfigError(`${what} must be a URL, got "${value}"`, { cause });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new OidcConfigError(`${what} must be https:// (http:// only on 127.0.0.1 or localhost), got "${value}"`);
}

/** Reads the settings from the environment; undefined when no issuer is configured. */
export function oidcSettingsFromEnv(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env.WATCHER_OIDC_ISSUER;
  if (!issuer) return undefined;
  checkIssuerUrl(issuer);
  const audience = env.WATCHER_OIDC_AUDIENCE;
  if (!audience) throw new OidcConfigError('WATCHER_OIDC_AUDIENCE is required with WATCHER_OIDC_ISSUER (the app client id)');
  return { issuer, audience, groupsClaim: env.WATCHER_OIDC_GROUPS_CLAIM || 'cognito:groups' };
}

/**
 * The groups a claim carries: an array, or (as API Gateway passes array claims on to the
 * function) a string like `[admin reviewer]`.
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  if (typeof claim === 'string')
    return claim
      .replace(/^\[|\]$/g, '')
      .split(/[\s,]+/)
      .filter(Boolean);
  return [];
}

/** Name and role from verified claims: `email`, else `sub`; the highest role among the groups. */
export function principalFromClaims(claims: Record<string, unknown>, groupsClaim: string): Principal {
  const name = typeof claims.email === 'string' && claims.email ? claims.email : typeof claims.sub === 'string' ? claims.sub : undefined;
  if (!name) throw new NoRoleError('the token names nobody (no email or sub claim)');
  const role = highestRole(groupsOf(claims[groupsClaim]));
  if (!role) throw new NoRoleError(`${name} is in no Termwatch group (viewer, reviewer, approver or admin)`);
  return { name, role };
}

/** Whether the token is meant for this app: `aud` (ID tokens) or `client_id` (Cognito access tokens). */
function meantFor(payload: JWTPayload, audience: string): boolean {
  const aud = payload.aud;
  if (typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience)) return true;
  return aud === undefined && payload.client_id === audience;
}

/**
 * Verifies bearer JWTs against the issuer's keys: discovery from
 * `/.well-known/openid-configuration` (once, retried after a failure), the JWKS through jose's
 * `createRemoteJWKSet` (cached, fetched again on an unknown `kid`), then `iss`, audience, `exp`
 * (required), `nbf` and the algorithm. Resolves to the principal, or undefined for any token
 * that fails (401); throws NoRoleError for a valid token without a role (403).
 */
export function oidcVerifier(settings: OidcSettings) {
  const issuerUrl = checkIssuerUrl(settings.issuer);
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const discover = async () => {
    const base = issuerUrl.href.replace(/\/$/, '');
    const response = await fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new OidcConfigError(`discovery at ${base} answered ${response.status}`);
    const config = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (config.issuer !== settings.issuer) throw new OidcConfigError(`discovery names issuer ${String(config.issuer)}, not ${settings.issuer}`);
    if (typeof config.jwks_uri !== 'string') throw new OidcConfigError('discovery has no jwks_uri');
    return createRemoteJWKSet(checkIssuerUrl(config.jwks_uri, 'jwks_uri'));
  };
  return async function verify(token: string): Promise<Principal | undefined> {
    if (!keys) keys = discover();
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    try {
      jwks = await keys;
    } catch (cause) {
      keys = undefined;
      throw new HttpError(503, 'unavailable', 'the sign-in issuer did not answer; retry shortly', undefined, { cause, headers: { 'retry-after': '5' } });
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: settings.issuer, algorithms: ALLOWED_ALGORITHMS, requiredClaims: ['exp'], clockTolerance: 5 }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
    if (!meantFor(payload, settings.audience)) return undefined;
    return principalFromClaims(payload as Record<string, unknown>, settings.groupsClaim);
  };
}
