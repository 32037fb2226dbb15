import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DAY_MS } from '../shared/domain/days.ts';
import type { Policy } from '../shared/domain/policy.ts';
import { contractFromBody } from '../shared/domain/contract.ts';
import { reconcileReviews } from '../shared/domain/review.ts';
import { planReviews } from '../shared/domain/timing.ts';
import { accountKey, saveEvaluation, type Evaluation } from '../shared/store/account.ts';
import type { Store } from '../shared/store/client.ts';
import { reviewChangeItems, taskIdFor } from '../shared/store/task.ts';
import { runPool } from './ingest.ts';
import { random } from './mix.ts';

/**
 * Seeds "scheduled but not due" work into a table, fast (BatchWriteItem, in parallel), with
 * the items the product itself writes: each kind's items are produced once by the product's own
 * functions for a template (sentinel id and times), then copied with the id and times replaced.
 * So no key string is built here; a change of keys in shared/store follows automatically.
 *
 * Kinds (add one by adding a template):
 * - `review`: a scheduled review task (store/task.ts `reviewChangeItems`), opening at a future
 *   instant: on gsi2 `OPEN#<day>` and gsi1 `TASKS#scheduled`. Its slot item is left out: it
 *   sits in the account partition on no index, so the sweep can only read it for a due account.
 * - `account`: an evaluated account (store/account.ts `saveEvaluation`) whose next
 *   re-evaluation is in the future: on gsi2 `EVAL#<day>`.
 */
export type SeedKind = 'review' | 'account';

const SENTINEL = {
  account: 'cus_SEEDTEMPLATE000',
  at: '2999-01-02T03:04:05.678Z',
  atDay: '2999-01-02',
  due: '2998-06-07T08:09:10.123Z',
  dueDay: '2998-06-07',
} as const;

export interface SeedTemplate {
  kind: SeedKind;
  items: Array<Record<string, unknown>>;
}

/** A scheduled review as the evaluation creates it (timing rule → reconcile → store items). */
export function reviewTemplate(store: Store, policy: Policy, now: Date): SeedTemplate {
  const contract = contractFromBody({ endDate: '2999-12-31', noticeDays: 60, renewal: 'fixed' }, { source: 'manual', recordedAt: now.toISOString() });
  const plans = planReviews({ contract, signals: [{ reason: 'late_payer', at: now.toISOString() }], policy, now });
  const changes = reconcileReviews([], plans, {
    accountId: SENTINEL.account,
    now,
    evidence: sampleEvidence(),
    newId: (kind) => taskIdFor(SENTINEL.account, kind, 1),
  });
  const created = changes.find((c) => c.type === 'create');
  if (created?.type !== 'create' || created.task.status !== 'scheduled') {
    throw new Error('the timing rule no longer schedules a review for a far contract end: update bench/seed.ts');
  }
  const task = { ...created.task, openAt: SENTINEL.at, dueAt: SENTINEL.due };
  const items = reviewChangeItems(store, [{ type: 'create', task }], new Map(), () => {
    throw new Error('a scheduled review records no notification');
  })
    .map((write) => (write.Put as { Item?: Record<string, unknown> } | undefined)?.Item)
    .filter((item): item is Record<string, unknown> => item !== undefined && item.entity === 'task');
  return { kind: 'review', items };
}

/** An evaluated account, stored by `saveEvaluation` and read back; `summary` from a real evaluation. */
export async function accountTemplate(store: Store, summary: Evaluation['summary'], now: Date): Promise<SeedTemplate> {
  await saveEvaluation(store, SENTINEL.account, 0, [], {
    flags: [],
    flagSince: {},
    summary,
    evaluatedAt: now.toISOString(),
    nextEvalAt: SENTINEL.at,
  });
  const read = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: accountKey(SENTINEL.account), ConsistentRead: true }));
  if (!read.Item) throw new Error('template account was not stored');
  return { kind: 'account', items: [read.Item] };
}

/**
 * An evaluated account with no flag whose upcoming notice deadline is on the renewals index
 * (gsi1 `RENEWALS`), on the day of the instant it is instantiated at (and re-evaluated then).
 */
export async function renewalAccountTemplate(store: Store, summary: Evaluation['summary'], now: Date): Promise<SeedTemplate> {
  await saveEvaluation(store, SENTINEL.account, 0, [], {
    flags: [],
    flagSince: {},
    summary,
    evaluatedAt: now.toISOString(),
    nextEvalAt: SENTINEL.at,
    renewal: { noticeDeadline: SENTINEL.atDay },
  });
  const read = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: accountKey(SENTINEL.account), ConsistentRead: true }));
  if (!read.Item) throw new Error('template account was not stored');
  return { kind: 'account', items: [read.Item] };
}

/** The template's items for one account and instant (the due instant of a review is `at` + 14 days). */
export function instantiate(template: SeedTemplate, accountId: string, at: Date): Array<Record<string, unknown>> {
  const iso = at.toISOString();
  const due = new Date(at.getTime() + 14 * DAY_MS).toISOString();
  const text = JSON.stringify(template.items)
    .replaceAll(SENTINEL.at, iso)
    .replaceAll(SENTINEL.due, due)
    .replaceAll(SENTINEL.atDay, iso.slice(0, 10))
    .replaceAll(SENTINEL.dueDay, due.slice(0, 10))
    .replaceAll(SENTINEL.account, accountId);
  return JSON.parse(text) as Array<Record<string, unknown>>;
}

/**
 * When a not-due item falls due: a tenth later today (same day partition as today's due work,
 * after `now`, so a Query that read the whole day would pay for them), the rest over the
 * following year.
 */
export function notDueInstant(now: Date, rand: () => number): Date {
  const endOfDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - 1;
  if (rand() < 0.1) return new Date(now.getTime() + 1 + Math.floor(rand() * (endOfDay - now.getTime() - 1)));
  return new Date(endOfDay + 1 + Math.floor(rand() * 365 * DAY_MS));
}

/** Puts up to 25 items in one BatchWriteItem, sending again what DynamoDB leaves unprocessed (with backoff). */
export async function batchPut(store: Store, writes: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  let pending = writes.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    const result = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: pending } }));
    pending = (result.UnprocessedItems?.[store.tableName] ?? []) as typeof pending;
  }
}

/** Writes `count` copies of each template, for accounts `cus_seed<n>`, with BatchWriteItem on `concurrency` workers. */
export async function seedNotDue(
  store: Store,
  templates: readonly SeedTemplate[],
  options: { count: number; now: Date; seed: number; concurrency?: number; offset?: number; instant?: (now: Date, rand: () => number) => Date },
): Promise<{ items: number; ms: number }> {
  const rand = random(options.seed);
  const perBatch = Math.max(1, Math.floor(25 / templates.reduce((n, t) => n + t.items.length, 0)));
  const batches = Math.ceil(options.count / perBatch);
  let items = 0;
  const ms = await runPool(batches, options.concurrency ?? 16, async (b) => {
    const writes: Array<Record<string, unknown>> = [];
    for (let i = b * perBatch; i < Math.min(options.count, (b + 1) * perBatch); i++) {
      const accountId = `cus_seed${String((options.offset ?? 0) + i).padStart(7, '0')}`;
      for (const template of templates) writes.push(...instantiate(template, accountId, (options.instant ?? notDueInstant)(options.now, rand)));
    }
    items += writes.length;
    await batchPut(store, writes);
  });
  return { items, ms };
}

function sampleEvidence(): Record<string, unknown> {
  const late = [0, 1, 2].map((n) => ({
    invoiceId: `in_seedtemplate${n}`,
    number: `INV-000${n}`,
    dueAt: '2026-01-15T00:00:00.000Z',
    paidAt: '2026-01-27T00:00:00.000Z',
    daysLate: 12,
    status: 'paid',
    amountDue: 75_000,
    currency: 'usd',
  }));
  return { latePayment: { invoiceCount: 6, lateInvoices: late, maxDaysOverdue: 0, defaults: 0, reasons: ['3 invoices paid late in the last 365 days'] } };
}
