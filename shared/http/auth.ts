import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { UserEntry } from './auth/users-file.ts';
import { principalFromClaims } from './auth/oidc.ts';
import type { Principal } from './auth/roles.ts';

export type { Principal } from './auth/roles.ts';
export { NoRoleError } from './auth/oidc.ts';

/**
 * Who sent a request: a principal, or undefined for missing or wrong credentials (401). Throws
 * NoRoleError for a known person without a Termwatch role (403). Headers such as
 * `x-watcher-actor` are never read: the name every write records is the authenticated one.
 */
export type Authenticator = (event: APIGatewayProxyEventV2) => Promise<Principal | undefined>;

/** The name `WATCHER_API_TOKEN` authenticates as, with the admin role. */
export const OWNER_NAME = 'owner';

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function bearerOf(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Three base64url parts: a JWT, for the issuer to verify rather than the token list. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * Local mode: bearer tokens. `WATCHER_API_TOKEN` is the admin named `owner`; each entry of the
 * users file is a person with their role. Digests are compared in constant time (SHA-256 first,
 * so neither the token's length nor how much of it matched shows), every entry each time. With
 * an OIDC verifier, a bearer shaped like a JWT goes to it instead.
 */
export function bearerTokenAuthenticator(
  token: string,
  options: { users?: readonly UserEntry[]; verifyJwt?: (jwt: string) => Promise<Principal | undefined> } = {},
): Authenticator {
  const known: Array<{ digest: Buffer; principal: Principal }> = [
    { digest: createHash('sha256').update(token).digest(), principal: { name: OWNER_NAME, role: 'admin' } },
    ...(options.users ?? []).map((u) => ({ digest: Buffer.from(u.tokenSha256, 'hex'), principal: { name: u.name, role: u.role } })),
  ];
  return async (event) => {
    const bearer = bearerOf(event);
    if (!bearer) return undefined;
    if (options.verifyJwt && JWT_SHAPE.test(bearer)) {
      const person = await options.verifyJwt(bearer);
      if (person) return person;
      // Not a token the issuer signed: it may still be a local token that happens to have two dots.
    }
    const given = createHash('sha256').update(bearer).digest();
    let found: Principal | undefined;
    for (const entry of known) {
      if (timingSafeEqual(given, entry.digest) && !found) found = entry.principal;
    }
    return found;
  };
}

/**
 * On AWS, API Gateway has already checked IAM or the JWT before invoking the function; the
 * function still refuses a request that reached it without an authorizer context. An IAM
 * caller is a machine or operator holding `execute-api:Invoke` on the API (admin); a JWT
 * caller's role comes from the groups claim.
 */
export function gatewayAuthenticator(options: { groupsClaim?: string } = {}): Authenticator {
  const groupsClaim = options.groupsClaim || 'cognito:groups';
  return async (event) => {
    const authorizer = (event.requestContext as { authorizer?: Record<string, unknown> }).authorizer;
    if (!authorizer) return undefined;
    const iam = authorizer.iam as { userArn?: string } | undefined;
    if (iam?.userArn) return { name: iam.userArn, role: 'admin' };
    const jwt = authorizer.jwt as { claims?: Record<string, unknown> } | undefined;
    if (!jwt?.claims) return undefined;
    return principalFromClaims(jwt.claims, groupsClaim);
  };
}
