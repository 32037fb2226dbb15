import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Who made a request, for audit records. */
export interface Principal {
  actor: string;
}

export type Authenticator = (event: APIGatewayProxyEventV2) => Principal | undefined;

/**
 * Local mode: a bearer token, compared in constant time (both sides hashed first so the
 * comparison does not leak the token's length either).
 */
export function bearerTokenAuthenticator(token: string): Authenticator {
  const expected = createHash('sha256').update(token).digest();
  return (event) => {
    const header = event.headers?.authorization ?? event.headers?.Authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) return undefined;
    const given = createHash('sha256').update(match[1]).digest();
    if (!timingSafeEqual(given, expected)) return undefined;
    const actor = event.headers?.['x-watcher-actor'];
    return { actor: actor && actor.length <= 100 ? `token:${actor}` : 'token' };
  };
}

/**
 * On AWS, API Gateway has already checked IAM or the JWT before invoking the function; the
 * function still refuses a request that reached it without an authorizer context.
 */
export function gatewayAuthenticator(): Authenticator {
  return (event) => {
    const authorizer = (event.requestContext as { authorizer?: Record<string, unknown> }).authorizer;
    if (!authorizer) return undefined;
    const iam = authorizer.iam as { userArn?: string } | undefined;
    if (iam?.userArn) return { actor: iam.userArn };
    const jwt = authorizer.jwt as { claims?: Record<string, unknown> } | undefined;
    const subject = jwt?.claims?.sub;
    if (typeof subject === 'string') return { actor: `jwt:${subject}` };
    return undefined;
  };
}
