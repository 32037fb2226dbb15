import type { Policy } from '../domain/policy.ts';
import { sweepUntil } from '../usecases/sweep.ts';
import { dispatchNotifications } from '../usecases/dispatch-notifications.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { DeliveryResult } from '../usecases/deliver.ts';
import { contractBodySchema } from '../domain/contract.ts';
import { startOfLocalDay } from '../domain/timing.ts';
import { CSV_EXPORT_MAX_ROWS, taskListQuerySchema, taskPathSchema } from '../schemas/tasks.ts';
import { notificationsQuerySchema } from '../schemas/notifications.ts';
import { renewalsQuerySchema } from '../schemas/renewals.ts';
import { redriveBodySchema, sweepBodySchema } from '../schemas/admin.ts';
import { listNotifications } from '../store/notification.ts';
import { importContractsCsv, recordContract } from '../usecases/contracts.ts';
import { listTasks, listTasksUpTo } from '../usecases/read-tasks.ts';
import { listRenewals } from '../usecases/renewals.ts';
import { tasksCsv } from './csv.ts';
import { overridesBodySchema, signalBodySchema } from '../domain/account-inputs.ts';
import { getOverrides } from '../store/account-inputs.ts';
import { listAudit } from '../store/audit.ts';
import { addSignal, replaceOverrides } from '../usecases/account-inputs.ts';
import { answerTermination, approvalBodySchema, assignTask, assigneeBodySchema, decideTask, decisionBodySchema, taskAsShown } from '../usecases/decide.ts';
import type { Principal } from './auth/roles.ts';
import { checklistBodySchema, markChecklistStep, readTaskView, withNames } from '../usecases/task-view.ts';
import { costBodySchema } from '../domain/cost.ts';
import { auditQuerySchema } from '../schemas/audit.ts';
import { pageQuerySchema } from '../schemas/common.ts';
import { listCosts } from '../store/cost.ts';
import { addCost, importCostsCsv } from '../usecases/costs.ts';
import { accountListQuerySchema, accountPathSchema } from '../schemas/accounts.ts';
import type { Store } from '../store/client.ts';
import { checkTableReachable } from '../store/health.ts';
import { getAccountView, listFlaggedAccounts } from '../usecases/read-accounts.ts';
import { HttpError, parseRequestPart } from './errors.ts';
import type { RouteHandlers } from './app.ts';
import { openApiDocument } from './openapi.ts';
import { policyHandlers } from './policy-routes.ts';
import { calendarFeedBodySchema, calendarFeedPathSchema, calendarFilePathSchema, deliveryResendBodySchema } from '../schemas/delivery.ts';
import { resendDeadDelivery } from '../usecases/resend-delivery.ts';
import { CalendarFeedNotFoundError, deleteCalendarFeed, listCalendarFeeds } from '../store/calendar-feed.ts';
import { listDeliveryDeadLetters } from '../store/delivery.ts';
import { createCalendarFeed, renderCalendarFeed } from '../usecases/calendar-feed.ts';

export interface ApiDeps {
  store: Store;
  policy: Policy;
  clock: () => Date;
  /**
   * For this long after the store answered, `/health` answers 200 without asking it again (the
   * route is anonymous: a flood must not become DynamoDB reads). 0 (the default) checks every call.
   */
  healthCheckCacheMs?: number;
  /**
   * The dashboard's base URL (WATCHER_PUBLIC_URL), the start of a calendar feed's URL. Unset, the
   * request's own origin (Host and X-Forwarded-Proto), which is the API's.
   */
  publicUrl?: string;
}

/** Handlers of the routes served by the API function. */
export function apiHandlers(deps: ApiDeps): RouteHandlers {
  // Monotonic, not deps.clock: the cache is about this process's calls, not the business date.
  let storeAnsweredAt = Number.NEGATIVE_INFINITY;
  return {
    'GET /health': async () => {
      if (performance.now() - storeAnsweredAt >= (deps.healthCheckCacheMs ?? 0)) {
        // A keyed read proves the table answers with the function's own (read) permission.
        await checkTableReachable(deps.store);
        storeAnsweredAt = performance.now();
      }
      return { status: 200, body: { status: 'ok', time: deps.clock().toISOString() } };
    },
    'GET /openapi.json': async () => ({ status: 200, body: openApiDocument() }),
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
    'POST /accounts/{accountId}/costs': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const body = parseRequestPart(costBodySchema, request.json(), 'body');
      const result = await addCost(deps, { accountId, body, actor: actorOf(request), now: deps.clock() });
      return { status: result.replayed ? 200 : 201, body: { ...result.entry, replayed: result.replayed } };
    },
    'GET /accounts/{accountId}/costs': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const query = parseRequestPart(pageQuerySchema, request.query, 'query');
      return { status: 200, body: await listCosts(deps.store, accountId, query) };
    },
    'POST /costs/import': async (request) => {
      requireCsv(request.headers['content-type']);
      const report = await importCostsCsv(deps, request.rawBody.toString('utf8'), actorOf(request), deps.clock());
      return { status: report.errors.length > 0 && report.recorded + report.unchanged === 0 ? 400 : 200, body: report };
    },
    'POST /accounts/{accountId}/signals': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const body = parseRequestPart(signalBodySchema, request.json(), 'body');
      const result = await addSignal(deps, { accountId, body, actor: actorOf(request), now: deps.clock() });
      return { status: result.replayed ? 200 : 201, body: result };
    },
    'GET /accounts/{accountId}/overrides': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      return { status: 200, body: (await getOverrides(deps.store, accountId)) ?? overridesBodySchema.parse({}) };
    },
    'PUT /accounts/{accountId}/overrides': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const body = parseRequestPart(overridesBodySchema, request.json(), 'body');
      return { status: 200, body: await replaceOverrides(deps, { accountId, overrides: body, actor: actorOf(request), now: deps.clock() }) };
    },
    'GET /accounts/{accountId}/audit': async (request) => {
      const { accountId } = parseRequestPart(accountPathSchema, request.params, 'path');
      const query = parseRequestPart(auditQuerySchema, request.query, 'query');
      return { status: 200, body: await listAudit(deps.store, accountId, query) };
    },
    'POST /tasks/{taskId}/decision': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      const body = parseRequestPart(decisionBodySchema, request.json(), 'body');
      return { status: 200, body: await decideTask(deps, { taskId, body, actor: principalOf(request), now: deps.clock() }) };
    },
    'POST /tasks/{taskId}/approval': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      const body = parseRequestPart(approvalBodySchema, request.json(), 'body');
      return { status: 200, body: await answerTermination(deps, { taskId, body, actor: principalOf(request), now: deps.clock() }) };
    },
    'POST /tasks/{taskId}/assignee': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      const body = parseRequestPart(assigneeBodySchema, request.json(), 'body');
      return { status: 200, body: await assignTask(deps, { taskId, name: body.name, actor: principalOf(request), now: deps.clock() }) };
    },
    'GET /me': async (request) => {
      const me = principalOf(request);
      return { status: 200, body: { name: me.name, role: me.role } };
    },
    'POST /contracts/import': async (request) => {
      requireCsv(request.headers['content-type']);
      const report = await importContractsCsv(deps, request.rawBody.toString('utf8'), actorOf(request), deps.clock());
      return { status: report.errors.length > 0 && report.recorded + report.unchanged === 0 ? 400 : 200, body: report };
    },
    'GET /tasks': async (request) => {
      const query = parseRequestPart(taskListQuerySchema, request.query, 'query');
      const selection = {
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.accountId ? { accountId: query.accountId } : {}),
        ...(query.dueBefore ? { dueBefore: dueBeforeInstant(query.dueBefore, deps.policy.timeZone) } : {}),
        ...(query.assignee ? { assignee: query.assignee === 'me' ? principalOf(request).name : query.assignee } : {}),
      };
      // A spreadsheet export is the whole list (up to CSV_EXPORT_MAX_ROWS) unless the caller
      // pages it with an explicit limit: a person opening the file would not see a cursor header.
      const wholeList = query.format === 'csv' && request.query.limit === undefined;
      const page = wholeList ? await listTasksUpTo(deps, selection, CSV_EXPORT_MAX_ROWS) : await listTasks(deps, { ...selection, limit: query.limit });
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
      const now = deps.clock();
      return {
        status: 200,
        body: {
          ...page,
          items: await withNames(
            deps,
            page.items.map((t) => taskAsShown(t, now, deps.policy.timeZone)),
          ),
        },
      };
    },
    'GET /tasks/{taskId}': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      return { status: 200, body: taskAsShown(await readTaskView(deps, taskId), deps.clock(), deps.policy.timeZone) };
    },
    'POST /tasks/{taskId}/checklist': async (request) => {
      const { taskId } = parseRequestPart(taskPathSchema, request.params, 'path');
      const body = parseRequestPart(checklistBodySchema, request.json(), 'body');
      return { status: 200, body: await markChecklistStep(deps, { taskId, body, actor: actorOf(request), now: deps.clock() }) };
    },
    'GET /renewals': async (request) => {
      const query = parseRequestPart(renewalsQuerySchema, request.query, 'query');
      return { status: 200, body: await listRenewals(deps, { ...query, now: deps.clock() }) };
    },
    'GET /notifications': async (request) => {
      const query = parseRequestPart(notificationsQuerySchema, request.query, 'query');
      return { status: 200, body: await listNotifications(deps.store, query) };
    },
    ...policyHandlers(deps),
    'POST /calendar-feeds': async (request) => {
      const body = parseRequestPart(calendarFeedBodySchema, request.json(), 'body');
      const created = await createCalendarFeed(
        { store: deps.store, publicUrl: publicUrlOf(deps, request) },
        { name: body.name, actor: actorOf(request), now: deps.clock() },
      );
      return { status: 201, body: created };
    },
    'GET /calendar-feeds': async (request) => {
      const query = parseRequestPart(pageQuerySchema, request.query, 'query');
      return { status: 200, body: await listCalendarFeeds(deps.store, query) };
    },
    'DELETE /calendar-feeds/{feedId}': async (request) => {
      const { feedId } = parseRequestPart(calendarFeedPathSchema, request.params, 'path');
      await deleteCalendarFeed(deps.store, feedId);
      return { status: 204 };
    },
    'GET /calendar/{feedFile}': async (request) => {
      const { feedFile } = parseRequestPart(calendarFilePathSchema, request.params, 'path');
      // A malformed secret is answered like an unknown one: nothing tells a guesser which part is wrong.
      const token = /^([A-Za-z0-9_-]{43})\.ics$/.exec(feedFile)?.[1];
      if (!token) throw new CalendarFeedNotFoundError('calendar feed not found');
      const text = await renderCalendarFeed({ store: deps.store, policy: deps.policy, publicUrl: publicUrlOf(deps, request) }, token, deps.clock());
      return { status: 200, text, headers: { 'content-type': 'text/calendar; charset=utf-8', 'content-disposition': 'inline; filename="termwatch.ics"' } };
    },
    'GET /deliveries/dead-letters': async (request) => {
      const query = parseRequestPart(pageQuerySchema, request.query, 'query');
      return { status: 200, body: await listDeliveryDeadLetters(deps.store, query) };
    },
    'POST /deliveries/dead-letters/resend': async (request) => {
      const body = parseRequestPart(deliveryResendBodySchema, request.json(), 'body');
      return { status: 202, body: await resendDeadDelivery({ store: deps.store, now: deps.clock }, body) };
    },
  };
}

/** WATCHER_PUBLIC_URL, else the origin the request came to. */
function publicUrlOf(deps: ApiDeps, request: { headers: Readonly<Record<string, string | undefined>> }): string {
  if (deps.publicUrl) return deps.publicUrl;
  const host = request.headers.host ?? 'localhost';
  const proto = request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

function requireCsv(contentType: string | undefined): void {
  if (!/^text\/csv\b/i.test(contentType ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', 'body: send the CSV with Content-Type: text/csv');
  }
}

/** The authenticated person (the router checked credentials and role before the handler ran). */
function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw new HttpError(401, 'unauthorized', 'missing or invalid credentials');
  return request.principal;
}

/** The name every write records: the authenticated person's, never a header. */
function actorOf(request: { principal?: Principal }): string {
  return principalOf(request).name;
}

/** `dueBefore` as a date means "before that day starts" in the business time zone. */
function dueBeforeInstant(value: string, timeZone: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? startOfLocalDay(value, timeZone).toISOString() : new Date(value).toISOString();
}

/** The local queue's dead letters (on AWS: the SQS dead-letter queue, redriven with SQS's own move task). */
export interface DeadLetterQueue {
  deadLetters(): ReadonlyArray<{ id: string; body: string; receiveCount: number; deadAt: string }>;
  /** Puts every dead letter back on the queue; resolves to how many. */
  redrive(): Promise<number>;
}

/** The event id and type a dead letter carries, when its body is readable (nothing else of it). */
function deadLetterView(letter: { id: string; body: string; receiveCount: number; deadAt: string }) {
  let event: { id?: unknown; type?: unknown } = {};
  try {
    event = (JSON.parse(letter.body) as typeof event | null) ?? {};
  } catch {
    // An unreadable body is listed by its message id alone.
  }
  return {
    messageId: letter.id,
    ...(typeof event.id === 'string' ? { eventId: event.id } : {}),
    ...(typeof event.type === 'string' ? { eventType: event.type } : {}),
    receiveCount: letter.receiveCount,
    deadAt: letter.deadAt,
  };
}

/**
 * Local-mode administration: run the sweep now, optionally as if at another time; list and
 * redrive what the local queue dead-lettered.
 */
export function adminHandlers(
  deps: ApiDeps & {
    notifiers?: readonly Notifier[];
    /** What runs after the sweep (dispatch, the digest); without it, `notifiers` are dispatched to. */
    deliver?: () => Promise<DeliveryResult>;
    queue: DeadLetterQueue;
  },
): RouteHandlers {
  return {
    'GET /admin/dead-letters': async () => ({ status: 200, body: { items: deps.queue.deadLetters().map(deadLetterView) } }),
    'POST /admin/dead-letters/redrive': async (request) => {
      if (request.rawBody.byteLength > 0) parseRequestPart(redriveBodySchema, request.json(), 'body');
      return { status: 200, body: { redriven: await deps.queue.redrive() } };
    },
    'POST /admin/sweep': async (request) => {
      const body = request.rawBody.byteLength === 0 ? {} : parseRequestPart(sweepBodySchema, request.json(), 'body');
      const now = body.now ? new Date(body.now) : deps.clock();
      const result = await sweepUntil(deps, now, deps.clock());
      const delivered = deps.deliver
        ? await deps.deliver()
        : deps.notifiers
          ? { dispatched: await dispatchNotifications({ store: deps.store, notifiers: deps.notifiers, now: deps.clock }) }
          : undefined;
      return {
        status: 200,
        body: {
          now: now.toISOString(),
          ...result,
          ...(delivered ? { dispatched: delivered.dispatched.sent } : {}),
          ...(delivered?.digests ? { digests: delivered.digests } : {}),
        },
      };
    },
  };
}
