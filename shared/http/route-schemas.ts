import * as z from '../zod.ts';
import { humanSignalSchema, overridesBodySchema, signalBodySchema } from '../domain/account-inputs.ts';
import { contractBodySchema } from '../domain/contract.ts';
import { costBodySchema, costEntrySchema } from '../domain/cost.ts';
import { notificationSchema } from '../domain/notification.ts';
import { taskSchema } from '../domain/review.ts';
import { accountListQuerySchema, accountPathSchema, accountSummarySchema, accountViewSchema, contractViewSchema } from '../schemas/accounts.ts';
import {
  deadLettersResponseSchema,
  redriveBodySchema,
  redriveResponseSchema,
  sweepBodySchema,
  sweepResponseSchema,
  type SweepResult,
} from '../schemas/admin.ts';
import { importReportSchema, type ImportReport } from '../schemas/imports.ts';
import { notificationsQuerySchema } from '../schemas/notifications.ts';
import { renewalItemSchema, renewalsQuerySchema } from '../schemas/renewals.ts';
import { stripeSignatureHeaderSchema, webhookResponseSchema, type ReceiveOutcome } from '../schemas/webhook.ts';
import { listResponseSchema, pageQuerySchema } from '../schemas/common.ts';
import { policyResponseSchema, previewBodySchema, previewQuerySchema, previewResponseSchema } from '../schemas/preview.ts';
import type { previewPolicy } from '../usecases/policy-preview.ts';
import { CSV_EXPORT_MAX_ROWS, taskListQuerySchema, taskPathSchema } from '../schemas/tasks.ts';
import { stripeEventSchema } from '../stripe/events.ts';
import type { AuditRecord } from '../store/audit.ts';
import type { addSignal } from '../usecases/account-inputs.ts';
import type { recordContract } from '../usecases/contracts.ts';
import { approvalBodySchema, assigneeBodySchema, decisionBodySchema } from '../usecases/decide.ts';
import { principalSchema } from './auth/roles.ts';
import { checklistBodySchema, taskListItemSchema, taskViewSchema } from '../usecases/task-view.ts';
import type { listFlaggedAccounts } from '../usecases/read-accounts.ts';
import type { listRenewals } from '../usecases/renewals.ts';
import {
  calendarFeedBodySchema,
  calendarFeedCreatedSchema,
  calendarFeedListSchema,
  calendarFeedPathSchema,
  calendarFilePathSchema,
  deliveryDeadLetterListSchema,
  deliveryResendBodySchema,
  deliveryResendQueuedSchema,
} from '../schemas/delivery.ts';
import type { routes } from './routes.ts';
import { auditQuerySchema, auditRecordSchema } from '../schemas/audit.ts';

/**
 * For every route of `routes.ts`, the zod schemas its handler validates with (path, query,
 * headers, body) and the shapes it answers with. `openapi.ts` turns this table into the
 * OpenAPI document, so the document is generated from the very schemas that validate requests.
 * The table is keyed by every route of routes.ts: a route added without an entry here fails `tsc`.
 */
export type MediaType = 'application/json' | 'text/csv' | 'text/calendar';

export interface RouteBodyDoc {
  readonly contentType: MediaType;
  readonly schema: z.ZodMiniType;
  readonly required: boolean;
  readonly description?: string;
}

export interface RouteResponseDoc {
  readonly description: string;
  readonly content?: Partial<Record<MediaType, z.ZodMiniType>>;
  readonly headers?: Readonly<Record<string, { description: string; schema: z.ZodMiniType; required?: boolean }>>;
}

/** Error answers beyond the ones `openapi.ts` derives (400 for any input, 401 for finance, 413 for a body, 503 when the store is used). */
export type ExtraErrorStatus = 404 | 409 | 415;

export interface RouteSchemas {
  readonly params?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  /** Request headers the handler reads (names as documented; HTTP matches them case-insensitively). */
  readonly headers?: z.ZodMiniObject;
  readonly body?: RouteBodyDoc;
  /** The handler's own answers, by status (an error status given here replaces the generic error). */
  readonly responses: Readonly<Record<number, RouteResponseDoc>>;
  readonly errors?: readonly ExtraErrorStatus[];
  /** The route answers without DynamoDB, so it never answers 503. */
  readonly storeless?: boolean;
  readonly description?: string;
}

/** `METHOD /path` of each route in routes.ts, as literal types (app.ts's RouteKey is a pattern, too wide to demand an entry per route). */
export type ListedRouteKey = (typeof routes)[number] extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

export type RouteSchemaTable = { readonly [K in ListedRouteKey]: RouteSchemas };

// Response shapes the handlers build in place; their types are checked against the handlers' below.
export const healthResponseSchema = z.object({ status: z.literal('ok'), time: z.iso.datetime() });

/** The document is its own schema's subject: only its fixed top-level fields are pinned. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/**
 * Present (true) when a person's write went in but other writers kept changing the account through
 * the re-evaluation after it: they evaluate it with this write, and so does the next sweep.
 */
const evaluationPendingSchema = z.optional(z.literal(true));

export const contractRecordedSchema = z.object({
  accountId: z.string(),
  /** `kept` when the terms were identical to the ones on record (nothing written). */
  outcome: z.enum(['changed', 'kept']),
  contract: contractViewSchema,
  evaluationPending: evaluationPendingSchema,
});

export const costRecordedSchema = z.extend(costEntrySchema, {
  /** True when the idempotencyKey was seen before: the first entry is returned, nothing written. */
  replayed: z.boolean(),
  evaluationPending: evaluationPendingSchema,
});

export const signalRecordedSchema = z.extend(humanSignalSchema, {
  /** True when an idempotencyKey was sent again with the same body: the first signal, nothing recorded. */
  replayed: z.boolean(),
  /** What the re-evaluation did to the account's reviews (an abusive signal opens one now). */
  reviewChanges: z.array(z.object({ type: z.enum(['create', 'update', 'move']), taskId: z.string() })),
  evaluationPending: evaluationPendingSchema,
});

const csvText = z.string();
const json = (schema: z.ZodMiniType) => ({ 'application/json': schema });

export const routeSchemas: RouteSchemaTable = {
  'GET /health': {
    responses: { 200: { description: 'The store answered', content: json(healthResponseSchema) } },
  },
  'GET /openapi.json': {
    storeless: true,
    responses: { 200: { description: 'This document (OpenAPI 3.1)', content: json(openApiDocumentSchema) } },
  },
  'POST /webhooks/stripe': {
    description:
      'Verifies the Stripe signature over the raw body before anything else; a bad, stale or missing signature or a malformed event is a 400 and stores nothing. Event types outside the allow-list are acknowledged (200, outcome "ignored").',
    headers: stripeSignatureHeaderSchema,
    body: { contentType: 'application/json', schema: stripeEventSchema, required: true, description: 'The Stripe event, byte for byte as Stripe sent it' },
    responses: {
      200: { description: 'Accepted (queued), already received (duplicate) or not a type the watcher uses (ignored)', content: json(webhookResponseSchema) },
    },
  },
  'GET /accounts': {
    query: accountListQuerySchema,
    responses: { 200: { description: 'Accounts carrying the flag', content: json(listResponseSchema(accountSummarySchema)) } },
  },
  'GET /accounts/{accountId}': {
    params: accountPathSchema,
    responses: { 200: { description: 'The account, derived from its stored facts now', content: json(accountViewSchema) } },
    errors: [404],
  },
  'PUT /accounts/{accountId}/contract': {
    params: accountPathSchema,
    body: { contentType: 'application/json', schema: contractBodySchema, required: true },
    responses: { 200: { description: 'The contract on record, with its upcoming notice deadline', content: json(contractRecordedSchema) } },
    errors: [409],
  },
  'POST /accounts/{accountId}/costs': {
    params: accountPathSchema,
    body: { contentType: 'application/json', schema: costBodySchema, required: true },
    responses: {
      201: { description: 'Recorded', content: json(costRecordedSchema) },
      200: { description: 'A retry with the same idempotencyKey and body: the first entry, nothing written', content: json(costRecordedSchema) },
    },
    errors: [409],
  },
  'GET /accounts/{accountId}/costs': {
    params: accountPathSchema,
    query: pageQuerySchema,
    responses: { 200: { description: "The account's cost entries", content: json(listResponseSchema(costEntrySchema)) } },
  },
  'POST /accounts/{accountId}/signals': {
    params: accountPathSchema,
    body: { contentType: 'application/json', schema: signalBodySchema, required: true },
    responses: {
      201: { description: 'Recorded (audited); the account re-evaluated', content: json(signalRecordedSchema) },
      200: { description: 'A retry with the same idempotencyKey and body: the first signal, nothing recorded', content: json(signalRecordedSchema) },
    },
    errors: [409],
  },
  'GET /accounts/{accountId}/overrides': {
    params: accountPathSchema,
    responses: { 200: { description: 'The overrides on record (empty ones when none)', content: json(overridesBodySchema) } },
  },
  'PUT /accounts/{accountId}/overrides': {
    params: accountPathSchema,
    body: { contentType: 'application/json', schema: overridesBodySchema, required: true },
    responses: { 200: { description: 'The overrides now on record; the account re-evaluated', content: json(overridesBodySchema) } },
    errors: [409],
  },
  'GET /accounts/{accountId}/audit': {
    params: accountPathSchema,
    query: auditQuerySchema,
    responses: { 200: { description: 'Audit records, oldest first or newest first (order)', content: json(listResponseSchema(auditRecordSchema)) } },
  },
  'POST /tasks/{taskId}/decision': {
    params: taskPathSchema,
    body: { contentType: 'application/json', schema: decisionBodySchema, required: true },
    responses: { 200: { description: 'The task, decided, with the decision appended to its history', content: json(taskSchema) } },
    errors: [404, 409],
  },
  'POST /tasks/{taskId}/approval': {
    description:
      "Four eyes (`approvals.terminate: two_person`, the default): an approver or admin who is not the requester answers a pending termination. `approve: true` decides it (the decision's `by` is the requester, `approvedBy` the approver); `approve: false` opens the task again, the rejection kept in `history`. The requester answering their own request is a 403 and nothing is written; a task with nothing pending is a 409.",
    params: taskPathSchema,
    body: { contentType: 'application/json', schema: approvalBodySchema, required: true },
    responses: { 200: { description: 'The task, decided or open again', content: json(taskSchema) } },
    errors: [404, 409],
  },
  'POST /tasks/{taskId}/assignee': {
    params: taskPathSchema,
    body: { contentType: 'application/json', schema: assigneeBodySchema, required: true },
    responses: { 200: { description: 'The task with its new assignee', content: json(taskSchema) } },
    errors: [404, 409],
  },
  'GET /me': {
    // No store read, but an OIDC issuer that does not answer is a 503 too.
    responses: { 200: { description: 'The name every write by these credentials records, and their role', content: json(principalSchema) } },
  },
  'POST /tasks/{taskId}/checklist': {
    params: taskPathSchema,
    body: { contentType: 'application/json', schema: checklistBodySchema, required: true },
    responses: { 200: { description: 'The task with the step marked done or not done, by whom and when', content: json(taskViewSchema) } },
    errors: [404, 409],
  },
  'POST /costs/import': {
    body: {
      contentType: 'text/csv',
      schema: csvText,
      required: true,
      description: 'Header `accountId,amount,currency,date,category[,note][,idempotencyKey]`, one cost per row',
    },
    responses: {
      200: { description: 'Good rows recorded; bad rows listed with line and reason', content: json(importReportSchema) },
      400: { description: 'No row could be recorded', content: json(importReportSchema) },
    },
    errors: [415],
  },
  'POST /contracts/import': {
    body: {
      contentType: 'text/csv',
      schema: csvText,
      required: true,
      description: 'Header `accountId,endDate,noticeDays,renewal,renewalTermMonths`, one contract per account',
    },
    responses: {
      200: { description: 'Good rows recorded; bad rows listed with line and reason', content: json(importReportSchema) },
      400: { description: 'No row could be recorded', content: json(importReportSchema) },
    },
    errors: [415],
  },
  'GET /tasks': {
    query: taskListQuerySchema,
    responses: {
      200: {
        description: `Review tasks: JSON, or with format=csv a spreadsheet of the whole list (up to ${CSV_EXPORT_MAX_ROWS} rows; with an explicit limit, one page), the next page cursor in X-Next-Cursor`,
        content: { 'application/json': listResponseSchema(taskListItemSchema), 'text/csv': csvText },
        headers: { 'X-Next-Cursor': { description: 'format=csv only: the cursor of the rest, when there is more', schema: z.string() } },
      },
    },
  },
  'GET /tasks/{taskId}': {
    params: taskPathSchema,
    responses: { 200: { description: 'The task with evidence, the customer name, checklist progress and decision history', content: json(taskViewSchema) } },
    errors: [404],
  },
  'GET /renewals': {
    query: renewalsQuerySchema,
    responses: { 200: { description: 'Renewals by notice deadline', content: json(listResponseSchema(renewalItemSchema)) } },
  },
  'GET /notifications': {
    query: notificationsQuerySchema,
    responses: {
      200: {
        description:
          "Notifications, newest first; with accountId, that account's in the order of their ids (renewal reminders by term end and offset, then reviews opened, by review)",
        content: json(listResponseSchema(notificationSchema)),
      },
    },
  },
  'GET /policy': {
    responses: {
      200: {
        description: 'The policy in force and the built-in defaults (a preview fills left-out keys from the defaults)',
        content: json(policyResponseSchema),
      },
    },
  },
  'POST /policy/preview': {
    description:
      'Re-assesses every account under the proposed policy with the rules evaluations use, writing and sending nothing. Lists the accounts whose flags would change (every account with all=true) in a stable order; the summary covers every account examined up to this page (all of them on the last). A page examines at most 1,000 accounts, so it may list fewer than `limit` and still carry a nextCursor; pass the same body with the cursor.',
    query: previewQuerySchema,
    body: {
      contentType: 'application/json',
      schema: previewBodySchema,
      required: true,
      description: 'A partial policy: the policy file schema, its defaults for keys left out',
    },
    responses: { 200: { description: 'The preview page', content: json(previewResponseSchema) } },
  },
  'POST /calendar-feeds': {
    description: 'The answer is the only place the secret URL appears (the store keeps its SHA-256). Subscribe a calendar app to `url`.',
    body: { contentType: 'application/json', schema: calendarFeedBodySchema, required: true },
    responses: { 201: { description: 'The feed, with its secret URL', content: json(calendarFeedCreatedSchema) } },
  },
  'GET /calendar-feeds': {
    query: pageQuerySchema,
    responses: { 200: { description: 'Calendar feeds, oldest first, without secrets', content: json(calendarFeedListSchema) } },
  },
  'DELETE /calendar-feeds/{feedId}': {
    params: calendarFeedPathSchema,
    responses: { 204: { description: 'Revoked: its URL answers 404 from now on' } },
    errors: [404],
  },
  'GET /calendar/{feedFile}': {
    description:
      "`<secret>.ics`, the URL a create answered. RFC 5545: one all-day event per contract's upcoming notice deadline, with alarms at the policy's reminder offsets, and one per open or scheduled review's due day; UIDs stay the same across fetches. An unknown, malformed or revoked secret is a 404.",
    params: calendarFilePathSchema,
    responses: { 200: { description: 'The calendar', content: { 'text/calendar': z.string() } } },
    errors: [404],
  },
  'GET /deliveries/dead-letters': {
    description:
      'Each Slack message or email digest given up on after its retries (the log has each attempt), oldest first. Never silently dropped: a dead letter stays listed.',
    query: pageQuerySchema,
    responses: { 200: { description: 'Dead-lettered deliveries', content: json(deliveryDeadLetterListSchema) } },
  },
  'POST /deliveries/dead-letters/resend': {
    description:
      "Puts one dead-lettered Slack message back in the outbox for Slack alone, once the channel is fixed: the next sweep sends it as a first send (no 'possible duplicate' line), and it leaves the dead-letter list now. 404 when no such dead letter exists (or it was sent again already).",
    body: { contentType: 'application/json', schema: deliveryResendBodySchema, required: true },
    responses: { 202: { description: 'Queued for the next sweep', content: json(deliveryResendQueuedSchema) } },
    errors: [404, 409],
  },
  'POST /admin/sweep': {
    description: 'Runs the sweep now, or as if at `now`: what it opens and sends is real.',
    body: { contentType: 'application/json', schema: sweepBodySchema, required: false },
    responses: { 200: { description: 'What the sweep did', content: json(sweepResponseSchema) } },
  },
  'GET /admin/dead-letters': {
    description: 'Each event the local queue gave up on after `maxReceives` failed attempts (the log has each failure), oldest first.',
    responses: { 200: { description: 'Dead-lettered events', content: json(deadLettersResponseSchema) } },
  },
  'POST /admin/dead-letters/redrive': {
    description: 'Once the cause is fixed: every dead-lettered event goes back on the queue and is processed again (idempotently).',
    body: { contentType: 'application/json', schema: redriveBodySchema, required: false },
    responses: { 200: { description: 'How many events went back on the queue', content: json(redriveResponseSchema) } },
  },
};

/** Compile-time: what a use case returns must be a value of the schema documenting it. */
type Documents<Schema extends z.ZodMiniType, Actual extends z.output<Schema>> = Actual;
export type DocumentedShapes = [
  Documents<typeof importReportSchema, ImportReport>,
  Documents<typeof webhookResponseSchema, ReceiveOutcome & { received: true }>,
  Documents<typeof contractRecordedSchema, { accountId: string } & Awaited<ReturnType<typeof recordContract>>>,
  Documents<ReturnType<typeof listResponseSchema<typeof renewalItemSchema>>, Awaited<ReturnType<typeof listRenewals>>>,
  Documents<ReturnType<typeof listResponseSchema<typeof accountSummarySchema>>, Awaited<ReturnType<typeof listFlaggedAccounts>>>,
  Documents<typeof sweepResponseSchema, SweepResult & { now: string }>,
  Documents<typeof signalRecordedSchema, Awaited<ReturnType<typeof addSignal>>>,
  Documents<typeof auditRecordSchema, AuditRecord>,
  Documents<typeof previewResponseSchema, Awaited<ReturnType<typeof previewPolicy>>>,
];
