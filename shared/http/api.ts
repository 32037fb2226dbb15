import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Policy } from '../config/policy.ts';
import { runSweep } from '../usecases/sweep.ts';
import { contractBodySchema } from '../domain/contract.ts';
import { startOfLocalDay } from '../domain/timing.ts';
import { notificationsQuerySchema, renewalsQuerySchema, taskListQuerySchema, taskPathSchema } from '../schemas/task.ts';
import { listNotifications } from '../store/notification.ts';
import { importContractsCsv, recordContract } from '../usecases/contracts.ts';
import { listTasks, readTask, TaskNotFoundError } from '../usecases/read-tasks.ts';
import { listRenewals } from '../usecases/renewals.ts';
import { tasksCsv } from './csv.ts';
import { accountListQuerySchema, accountPathSchema } from '../schemas/account.ts';
import type { Store } from '../store/client.ts';
import { InvalidCursorError } from '../store/cursor.ts';
import { AccountNotFoundError, getAccountView, listFlaggedAccounts } from '../usecases/read-accounts.ts';
import { receiveStripeEvent, WebhookRejectedError } from '../usecases/receive-stripe-event.ts';
import type { EventQueue } from '../ports/event-queue.ts';
import type { Authenticator } from './auth.ts';
import { HttpError, parseRequestPart } from './errors.ts';
import { createRouter, type BoundRoute, type RouteHandler } from './router.ts';
import { routes, type RouteSpec } from './routes.ts';

export interface ApiDeps {
  store: Store;
  policy: Policy;
  clock: () => Date;
}

export interface WebhookDeps {
  store: Store;
  queue: EventQueue;
  webhookSecret: () => Promise<string>;
  clock: () => Date;
}

type RouteKey = `${RouteSpec['method']} ${RouteSpec['path']}`;
type ServedRoute = (typeof routes)[number];

/** Domain errors the API answers with a client status. */
export function mapDomainError(error: unknown): HttpError | undefined {
  if (error instanceof AccountNotFoundError) return new HttpError(404, 'not_found', error.message);
  if (error instanceof TaskNotFoundError) return new HttpError(404, 'not_found', error.message);
  if (error instanceof InvalidCursorError) return new HttpError(400, 'validation_error', `query.cursor: ${error.message}`);
  if (error instanceof WebhookRejectedError) {
    return new HttpError(error.code === 'payload_too_large' ? 413 : 400, error.code, error.message);
  }
  return undefined;
}

/** Handlers of the routes served by the API function. */
export function apiHandlers(deps: ApiDeps): Partial<Record<RouteKey, RouteHandler>> {
  return {
    'GET /health': async () => {
      // A keyed read proves the table answers with the function's own (read) permission.
      await deps.store.doc.send(new GetCommand({ TableName: deps.store.tableName, Key: { pk: 'HEALTH', sk: 'HEALTH' } }));
      return { status: 200, body: { status: 'ok', time: deps.clock().toISOString() } };
    },
    'GET /accounts': async (request) => {
      const query = parseRequestPart(accountListQuerySchema, request.query, 'query');
      return { status: 200, body: await listFlaggedAccounts(deps, query) };
    },
    'GET /accounts/{accountId}': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      return { status: 200, body: await getAccountView(deps, accountId, deps.clock()) };
    },
    'PUT /accounts/{accountId}/contract': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const body = parseRequestPart(contractBodySchema, request.json(), 'body');
      const result = await recordContract(deps, { accountId, body, source: 'manual', actor: actorOf(request), now: deps.clock() });
      return { status: 200, body: { accountId, ...result } };
    },
    'POST /contracts/import': async (request) => {
      const type = request.headers['content-type'] ?? '';
      if (!/^text\/csv\b/i.test(type)) {
        throw new HttpError(415, 'unsupported_media_type', 'body: send the CSV with Content-Type: text/csv');
      }
      const report = await importContractsCsv(deps, request.rawBody.toString('utf8'), actorOf(request), deps.clock());
      return { status: report.errors.length > 0 && report.recorded + report.unchanged === 0 ? 400 : 200, body: report };
    },
    'GET /tasks': async (request) => {
      const query = parseRequestPart(taskListQuerySchema, request.query, 'query');
      const page = await listTasks(deps, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.accountId ? { accountId: query.accountId } : {}),
        ...(query.dueBefore ? { dueBefore: dueBeforeInstant(query.dueBefore, deps.policy.timeZone) } : {}),
      });
      if (query.format === 'csv') {
        return {
          status: 200,
          text: tasksCsv(page.items),
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': 'attachment; filename="termwatch-tasks.csv"',
            ...(page.nextCursor ? { 'x-next-cursor': page.nextCursor } : {}),
          },
        };
      }
      return { status: 200, body: page };
    },
    'GET /tasks/{taskId}': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      return { status: 200, body: await readTask(deps, taskId) };
    },
    'GET /renewals': async (request) => {
      const query = parseRequestPart(renewalsQuerySchema, request.query, 'query');
      return { status: 200, body: await listRenewals(deps, { ...query, now: deps.clock() }) };
    },
    'GET /notifications': async (request) => {
      const query = parseRequestPart(notificationsQuerySchema, request.query, 'query');
      return { status: 200, body: await listNotifications(deps.store, query) };
    },
  };
}

function actorOf(request: { principal?: { actor: string } }): string {
  return request.principal?.actor ?? 'unknown';
}

/** `dueBefore` as a date means "before that day starts" in the business time zone. */
function dueBeforeInstant(value: string, timeZone: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? startOfLocalDay(value, timeZone).toISOString() : new Date(value).toISOString();
}

const sweepBodySchema = z
  .object({ now: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp' }).optional() })
  .strict();

/** Local-mode administration: run the daily sweep now, optionally as if at another time. */
export function adminHandlers(deps: ApiDeps): Partial<Record<RouteKey, RouteHandler>> {
  return {
    'POST /admin/sweep': async (request) => {
      const body = request.rawBody.byteLength === 0 ? {} : parseRequestPart(sweepBodySchema, request.json(), 'body');
      const now = body.now ? new Date(body.now) : deps.clock();
      return { status: 200, body: { now: now.toISOString(), ...(await runSweep(deps, now)) } };
    },
  };
}

/** The webhook route's handler: a thin adapter over receiveStripeEvent. */
export function webhookHandlers(deps: WebhookDeps): Partial<Record<RouteKey, RouteHandler>> {
  return {
    'POST /webhooks/stripe': async (request) => {
      const result = await receiveStripeEvent(
        { store: deps.store, queue: deps.queue, webhookSecret: deps.webhookSecret, now: deps.clock() },
        { rawBody: request.rawBody, signature: request.headers['stripe-signature'] },
      );
      return { status: 200, body: { received: true, ...result } };
    },
  };
}

/**
 * Binds the route list to handlers. Every route in `routes.ts` served by one of the given
 * function kinds must have a handler, and no handler may exist without a route.
 */
export function bindRoutes(
  handlers: Partial<Record<RouteKey, RouteHandler>>,
  serve: { fns: ReadonlyArray<ServedRoute['fn']>; includeLocalOnly: boolean },
): BoundRoute[] {
  const wanted = (routes as readonly RouteSpec[]).filter(
    (r) => serve.fns.includes(r.fn as ServedRoute['fn']) && (serve.includeLocalOnly || !r.localOnly),
  );
  const bound = wanted.map((spec) => {
    const handle = handlers[`${spec.method} ${spec.path}` as RouteKey];
    if (!handle) throw new Error(`route ${spec.method} ${spec.path} has no handler`);
    return { spec, handle };
  });
  for (const key of Object.keys(handlers)) {
    if (!(routes as readonly RouteSpec[]).some((r) => `${r.method} ${r.path}` === key)) {
      throw new Error(`handler ${key} has no route in routes.ts`);
    }
  }
  return bound;
}

export function createHttpApp(options: {
  handlers: Partial<Record<RouteKey, RouteHandler>>;
  fns: ReadonlyArray<ServedRoute['fn']>;
  includeLocalOnly: boolean;
  authenticate: Authenticator;
}) {
  return createRouter({
    routes: bindRoutes(options.handlers, { fns: options.fns, includeLocalOnly: options.includeLocalOnly }),
    authenticate: options.authenticate,
    mapError: mapDomainError,
  });
}
