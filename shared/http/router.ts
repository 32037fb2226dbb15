import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { logger } from '../powertools.ts';
import { NoRoleError, type Authenticator, type Principal } from './auth.ts';
import { hasRole } from './auth/roles.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { HttpError } from './errors.ts';
import type { RouteSpec } from './routes.ts';

export interface HttpRequest {
  readonly event: APIGatewayProxyEventV2;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as sent (base64 undone): signatures are checked over these bytes. */
  readonly rawBody: Buffer;
  readonly principal?: Principal;
  /** The body parsed as JSON; a malformed one is a 400 naming `body`. */
  json(): unknown;
}

export interface HttpResponse {
  status: number;
  /** Serialised as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpResponse>;

export interface BoundRoute {
  spec: RouteSpec;
  handle: RouteHandler;
}

interface CompiledRoute extends BoundRoute {
  pattern: RegExp;
  paramNames: string[];
}

function compile(route: BoundRoute): CompiledRoute {
  const paramNames: string[] = [];
  const source = route.spec.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), paramNames };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResult(error: HttpError): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(
    error.status,
    { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } },
    { ...error.headers },
  );
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * DynamoDB (or another AWS service) throttling, timing out or failing on its side, still so after
 * the SDK's own retries: the request may be retried shortly, so 503 with Retry-After rather than
 * a 500. Classified by the SDK's own rules (`@smithy/core/retry`).
 */
function isServiceUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return isThrottlingError(error as never) || isTransientError(error as never);
}

/**
 * One router for API Gateway HTTP API (payload 2.0) events, used unchanged by the Lambda
 * functions and the local runner. Order of checks: route → method → credentials → handler
 * (which validates before it reads or writes). Unknown errors become a 500 with no detail;
 * the detail goes to the log.
 */
/** The error kinds of `shared/errors.ts` as HTTP errors; undefined for unexpected ones. */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof NotFoundError) return new HttpError(404, 'not_found', error.message, undefined, { cause: error });
  if (error instanceof ForbiddenError) return new HttpError(403, 'forbidden', error.message, undefined, { cause: error });
  if (error instanceof ConflictError) return new HttpError(409, 'conflict', error.message, undefined, { cause: error });
  if (error instanceof InvalidInputError) {
    return new HttpError(
      400,
      'validation_error',
      `${error.field}: ${error.message}`,
      { issues: [{ field: error.field, problem: error.message }] },
      { cause: error },
    );
  }
  if (isServiceUnavailable(error)) {
    return new HttpError(503, 'unavailable', 'the store is busy or did not answer in time; retry shortly', undefined, {
      cause: error,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
  return undefined;
}

export function createRouter(options: { routes: readonly BoundRoute[]; authenticate: Authenticator }) {
  const compiled = options.routes.map(compile);
  return async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
    const candidates = compiled.flatMap((r) => {
      const match = r.pattern.exec(path);
      return match ? [{ route: r, match }] : [];
    });
    if (candidates.length === 0) return errorResult(new HttpError(404, 'not_found', `no route ${path}`));
    const hit = candidates.find((c) => c.route.spec.method === method);
    if (!hit) {
      const allowed = [...new Set(candidates.map((c) => c.route.spec.method))].join(', ');
      return {
        ...errorResult(new HttpError(405, 'method_not_allowed', `${method} not allowed on ${path}; use ${allowed}`)),
        headers: { 'content-type': 'application/json; charset=utf-8', allow: allowed },
      };
    }
    let principal: Principal | undefined;
    if (hit.route.spec.auth === 'finance') {
      // The one place credentials and roles are checked, for every route, before any input is read.
      try {
        principal = await options.authenticate(event);
      } catch (error) {
        if (error instanceof NoRoleError) return errorResult(new HttpError(403, 'forbidden', error.message));
        const mapped = toHttpError(error);
        if (mapped) return errorResult(mapped);
        logger.error('authentication failed', { route: hit.route.spec.path, error: error as Error });
        return errorResult(new HttpError(500, 'internal_error', 'internal error; the details are in the service log'));
      }
      if (!principal) {
        return {
          ...errorResult(new HttpError(401, 'unauthorized', 'missing or invalid credentials')),
          headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
        };
      }
      const needed = hit.route.spec.role ?? 'admin';
      if (!hasRole(principal.role, needed)) {
        return errorResult(
          new HttpError(403, 'forbidden', `${method} ${hit.route.spec.path} needs the ${needed} role; ${principal.name} is ${principal.role}`),
        );
      }
    }
    const params: Record<string, string> = {};
    try {
      hit.route.paramNames.forEach((name, i) => {
        params[name] = decodeURIComponent(hit.match[i + 1] ?? '');
      });
    } catch {
      return errorResult(new HttpError(400, 'validation_error', 'path: malformed percent-encoding'));
    }
    const rawBody = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const request: HttpRequest = {
      event,
      params,
      query: event.queryStringParameters ?? {},
      headers,
      rawBody,
      ...(principal ? { principal } : {}),
      json() {
        if (rawBody.byteLength === 0) throw new HttpError(400, 'validation_error', 'body: a JSON body is required');
        try {
          return JSON.parse(rawBody.toString('utf8'));
        } catch (cause) {
          throw new HttpError(400, 'validation_error', 'body: malformed JSON', undefined, { cause });
        }
      },
    };
    try {
      const response = await hit.route.handle(request);
      if (response.text !== undefined) {
        return { statusCode: response.status, headers: { 'cache-control': 'no-store', ...response.headers }, body: response.text };
      }
      return response.body === undefined
        ? { statusCode: response.status, headers: response.headers ?? {} }
        : jsonResponse(response.status, response.body, response.headers);
    } catch (error) {
      const mapped = toHttpError(error);
      if (mapped) {
        if (mapped.status === 503) logger.warn('store unavailable', { route: hit.route.spec.path, error: error as Error });
        else if (mapped.status >= 500) logger.error('request failed', { route: hit.route.spec.path, error: error as Error });
        return errorResult(mapped);
      }
      logger.error('unexpected error', { route: hit.route.spec.path, method, error: error as Error });
      return errorResult(new HttpError(500, 'internal_error', 'internal error; the details are in the service log'));
    }
  };
}
