import type Stripe from 'stripe';
import type { Policy } from '../domain/policy.ts';
import { InvalidStripeObjectError, observeInvoice } from '../stripe/invoice.ts';
import { startOfLocalDay } from '../domain/timing.ts';
import { logger } from '../powertools.ts';
import {
  addEvaluationCounts,
  clearTouchedMany,
  finishBackfillRun,
  getBackfillRun,
  getEvaluationCounts,
  listCheckpoints,
  listTouched,
  markTouchedMany,
  saveCheckpoint,
  startBackfillRun,
  type EvaluationCounters,
  type ResourceCheckpoint,
} from '../store/backfill.ts';
import type { Store } from '../store/client.ts';
import { factMerge, mergeFacts, type FactMerge } from '../store/facts.ts';
import { invoiceFacts } from '../store/invoice.ts';
import { customerEventTypes, invoiceEventTypes, type QueuedEvent } from '../stripe/events.ts';
import { backfillEvents, customerOf, UnsupportedBackfillObjectError } from '../stripe/backfill-events.ts';
import { customerObservation, recordCustomerEvents, recordStripeEvent, UnreadableEventError } from './apply-stripe-event.ts';
import { mergeAndEvaluate } from './merge-and-evaluate.ts';
import { eachAtOnce } from '../concurrency.ts';

/**
 * The Stripe lists the backfill reads, in order: customers first (names, contract metadata),
 * then what carries contract terms, then the facts. `since` limits only the facts: a contract
 * signed years ago still governs the next renewal, so subscriptions and schedules are read whole.
 */
export const BACKFILL_RESOURCES = ['customers', 'subscriptions', 'subscription_schedules', 'invoices', 'refunds', 'disputes'] as const;
export type BackfillResource = (typeof BACKFILL_RESOURCES)[number];

type StripeObject = Record<string, unknown> & { id: string; created?: number };

const invoiceTypes: ReadonlySet<string> = new Set(invoiceEventTypes);
const customerTypes: ReadonlySet<string> = new Set(customerEventTypes);

export interface BackfillOptions {
  /** Only invoices, refunds and disputes created on or after this day (policy time zone). */
  since?: string;
  /** Only this customer's objects. */
  customer?: string;
  /** Read and convert everything, write nothing. */
  dryRun?: boolean;
  /** Continue the interrupted run with the same `since` and `customer`. */
  resume?: boolean;
  /** Objects applied at once (facts of different objects are independent). */
  concurrency?: number;
  /** Checkpoint after this many objects. */
  checkpointEvery?: number;
  /** Objects per Stripe list request (Stripe's maximum, 100, unless testing pagination). */
  pageSize?: number;
}

export interface BackfillDeps {
  store: Store;
  policy: Policy;
  stripe: Stripe;
  now: Date;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  phase: BackfillResource | 'evaluate';
  resources: Record<string, ResourceCheckpoint>;
  /** Share of the current list's time span covered (0–1), when it can be known. */
  fraction?: number;
  evaluation: { done: number; total: number };
}

export interface BackfillSummary {
  scope: string;
  dryRun: boolean;
  resumed: boolean;
  resources: Record<string, ResourceCheckpoint>;
  /** Facts written (objects whose observation changed something). */
  factsWritten: number;
  accounts: number;
  evaluation: EvaluationCounters;
  /** Objects that could not be read, with why (at most 20 listed). */
  skipped: Array<{ id: string; reason: string }>;
}

export class BackfillOptionsError extends Error {
  override readonly name = 'BackfillOptionsError';
}

/** A Stripe or store failure stopped the run; its checkpoints let `--resume` continue. */
export class BackfillInterruptedError extends Error {
  override readonly name = 'BackfillInterruptedError';
  constructor(
    readonly resource: string,
    readonly checkpoint: ResourceCheckpoint | undefined,
    options: { cause: unknown },
  ) {
    super(`backfill stopped while reading ${resource}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
  }
}

/** The run's identity: the options that decide what is read. */
export function backfillScope(options: Pick<BackfillOptions, 'since' | 'customer'>): string {
  return `since=${options.since ?? 'all'},customer=${options.customer ?? 'all'}`;
}

function emptyCheckpoint(resource: string): ResourceCheckpoint {
  return { resource, read: 0, applied: 0, unchanged: 0, skipped: 0, done: false };
}

/** One Stripe list as an async iterable, with the SDK's auto-pagination from `startingAfter`. */
function listObjects(
  stripe: Stripe,
  resource: BackfillResource,
  params: { created?: { gte: number }; customer?: string; startingAfter?: string; pageSize: number },
): AsyncIterable<StripeObject> {
  const page = { limit: params.pageSize, ...(params.startingAfter ? { starting_after: params.startingAfter } : {}) };
  const created = params.created ? { created: params.created } : {};
  const customer = params.customer ? { customer: params.customer } : {};
  switch (resource) {
    case 'customers':
      if (params.customer) return singleCustomer(stripe, params.customer);
      return stripe.customers.list({ ...page }) as AsyncIterable<StripeObject>;
    case 'subscriptions':
      return stripe.subscriptions.list({ ...page, ...customer, status: 'all' }) as AsyncIterable<StripeObject>;
    case 'subscription_schedules':
      return stripe.subscriptionSchedules.list({ ...page, ...customer }) as AsyncIterable<StripeObject>;
    case 'invoices':
      return stripe.invoices.list({ ...page, ...customer, ...created }) as AsyncIterable<StripeObject>;
    // Neither list filters by customer; with --customer the charge's owner is checked here.
    case 'refunds':
      return stripe.refunds.list({ ...page, ...created, expand: ['data.charge'] }) as AsyncIterable<StripeObject>;
    case 'disputes':
      return stripe.disputes.list({ ...page, ...created, expand: ['data.charge'] }) as AsyncIterable<StripeObject>;
  }
}

async function* singleCustomer(stripe: Stripe, id: string): AsyncIterable<StripeObject> {
  const customer = (await stripe.customers.retrieve(id)) as unknown as StripeObject;
  if (customer.deleted !== true) yield customer;
}

/**
 * Imports an existing Stripe account's history.
 * 1. Start (or, with `resume`, continue) the run for this scope.
 * 2. For each list, newest first from its checkpoint: turn each object into the event a webhook
 *    would carry for it and record its facts exactly as the processor does; mark its account
 *    touched; checkpoint every batch.
 * 3. Evaluate every touched account once (flags, reviews, reminders), as the sweep would.
 */
export async function runBackfill(deps: BackfillDeps, options: BackfillOptions = {}): Promise<BackfillSummary> {
  const scope = backfillScope(options);
  const nowIso = deps.now.toISOString();
  const dryRun = options.dryRun === true;
  if (dryRun && options.resume) throw new BackfillOptionsError('--dry-run writes nothing, so there is nothing to --resume');
  let checkpoints = new Map<string, ResourceCheckpoint>();
  if (options.resume) {
    const run = await getBackfillRun(deps.store, scope);
    if (!run) throw new BackfillOptionsError(`no backfill to resume for ${scope}; run without --resume`);
    if (run.finishedAt) throw new BackfillOptionsError(`the backfill for ${scope} finished at ${run.finishedAt}; run without --resume to read again`);
    checkpoints = await listCheckpoints(deps.store, scope);
  } else if (!dryRun) {
    await startBackfillRun(deps.store, {
      scope,
      startedAt: nowIso,
      options: { ...(options.since ? { since: options.since } : {}), ...(options.customer ? { customer: options.customer } : {}) },
    });
  }

  const sinceSeconds = options.since ? Math.floor(startOfLocalDay(options.since, deps.policy.timeZone).getTime() / 1000) : undefined;
  const resources: Record<string, ResourceCheckpoint> = {};
  for (const name of BACKFILL_RESOURCES) resources[name] = checkpoints.get(name) ?? emptyCheckpoint(name);
  const skipped: BackfillSummary['skipped'] = [];
  const touched = new Set<string>();
  const evaluation = { done: 0, total: 0 };
  let oldestCustomer: number | undefined;
  const report = (phase: BackfillProgress['phase'], fraction?: number) =>
    deps.onProgress?.({ phase, resources, ...(fraction !== undefined ? { fraction } : {}), evaluation });

  const concurrency = Math.max(1, options.concurrency ?? 8);
  const pageSize = Math.min(100, Math.max(1, options.pageSize ?? 100));
  const checkpointEvery = Math.max(concurrency, options.checkpointEvery ?? 100);

  for (const resource of BACKFILL_RESOURCES) {
    const checkpoint = resources[resource] as ResourceCheckpoint;
    if (checkpoint.done) continue;
    const isFactList = resource === 'invoices' || resource === 'refunds' || resource === 'disputes';
    // Progress runs over the time span from the list's newest object back to `since` or, without
    // it, to the oldest customer (nothing of a customer predates the customer).
    const floor = isFactList ? (sinceSeconds ?? oldestCustomer) : oldestCustomer;
    const fractionOf = (created: number | undefined) =>
      created === undefined || checkpoint.firstCreated === undefined || floor === undefined || checkpoint.firstCreated <= floor
        ? undefined
        : Math.min(1, Math.max(0, (checkpoint.firstCreated - created) / (checkpoint.firstCreated - floor)));
    report(resource, fractionOf(checkpoint.lastCreated));

    const skip = (object: StripeObject, error: unknown) => {
      if (!(error instanceof UnreadableEventError || error instanceof InvalidStripeObjectError || error instanceof UnsupportedBackfillObjectError)) throw error;
      checkpoint.skipped++;
      if (skipped.length < 20) skipped.push({ id: object.id, reason: error.message });
      logger.warn('backfill skipped an object', { resource, objectId: object.id, reason: error.message });
    };
    /**
     * Invoices (most of any account's history) a batch at a time: one BatchGetItem of their
     * stored facts, a few transactions of merged facts with their accounts' revision bumps
     * (mergeFacts: the same conditions and outcome as recording each alone), one BatchWriteItem of
     * the accounts touched. Customers go a batch at a time too (applyCustomers); other objects
     * are recorded one by one (applyObject).
     */
    const applyInvoices = async (objects: StripeObject[]): Promise<void> => {
      const merges: FactMerge[] = [];
      for (const object of objects) {
        if (options.customer && customerOf(object) !== options.customer) continue;
        checkpoint.read++;
        try {
          const events = backfillEvents(object, deps.now);
          const event = events.at(-1);
          if (events.length !== 1 || !event || !invoiceTypes.has(event.type))
            throw new UnsupportedBackfillObjectError(`invoice ${object.id} did not read as one invoice event`);
          const observed = observeInvoice(event, event.data.object);
          if (dryRun) touched.add(observed.customerId);
          else merges.push(factMerge(invoiceFacts, observed.customerId, observed));
        } catch (error) {
          skip(object, error);
        }
      }
      if (merges.length === 0) return;
      const changed = await mergeFacts(deps.store, merges, { concurrency });
      for (const c of changed) {
        if (c) checkpoint.applied++;
        else checkpoint.unchanged++;
      }
      for (const m of merges) await touch(m.accountId);
    };

    /**
     * Customers a batch at a time (recordCustomerEvents): their account items read and written
     * together, the Stripe terms recomputed only where a customer's metadata can move them.
     */
    const applyCustomers = async (objects: StripeObject[]): Promise<void> => {
      const events: QueuedEvent[] = [];
      for (const object of objects) {
        if (options.customer && customerOf(object) !== options.customer) continue;
        checkpoint.read++;
        if (typeof object.created === 'number') oldestCustomer = Math.min(oldestCustomer ?? object.created, object.created);
        try {
          const read = backfillEvents(object, deps.now);
          const event = read.at(-1);
          if (read.length !== 1 || !event || !customerTypes.has(event.type))
            throw new UnsupportedBackfillObjectError(`customer ${object.id} did not read as one customer event`);
          const { accountId } = customerObservation(event);
          if (dryRun) touched.add(accountId);
          else events.push(event);
        } catch (error) {
          skip(object, error);
        }
      }
      if (events.length === 0) return;
      for (const result of await recordCustomerEvents(deps, events, { concurrency })) {
        if (result.outcome === 'applied') checkpoint.applied++;
        else checkpoint.unchanged++;
        await touch(result.accountId);
      }
    };

    const applyObject = async (object: StripeObject): Promise<void> => {
      const owner = customerOf(object);
      if (options.customer && owner !== options.customer) return;
      checkpoint.read++;
      if (resource === 'customers' && typeof object.created === 'number') oldestCustomer = Math.min(oldestCustomer ?? object.created, object.created);
      try {
        const events = backfillEvents(object, deps.now);
        if (dryRun) {
          if (owner) touched.add(owner);
          return;
        }
        let changed = false;
        for (const event of events) {
          const result = await recordStripeEvent(deps, event);
          // A refund's or dispute's charge only tells whose it is: the object's own event is the fact.
          if (event === events.at(-1)) changed = result.outcome === 'applied';
          if (result.outcome !== 'ignored') await touch(result.accountId);
        }
        if (changed) checkpoint.applied++;
        else checkpoint.unchanged++;
      } catch (error) {
        skip(object, error);
      }
    };
    // Accounts first touched in the batch being applied: marked together at the batch's end,
    // before its checkpoint (a resumed run evaluates every account marked).
    let toMark = new Set<string>();
    const touch = async (accountId: string) => {
      if (!touched.has(accountId)) toMark.add(accountId);
    };

    let batch: StripeObject[] = [];
    let sinceCheckpoint = 0;
    // One batch is applied while the list reads on (the SDK fetches the next page meanwhile, at
    // the limiter's pace); batches are applied one after another, so checkpoints only move forward.
    let applying: Promise<void> = Promise.resolve();
    const flush = async (objects: StripeObject[]) => {
      if (resource === 'invoices') await applyInvoices(objects);
      else if (resource === 'customers') await applyCustomers(objects);
      else for (let i = 0; i < objects.length; i += concurrency) await Promise.all(objects.slice(i, i + concurrency).map(applyObject));
      const marks = [...toMark];
      toMark = new Set();
      await markTouchedMany(deps.store, scope, marks, nowIso);
      for (const id of marks) touched.add(id);
      const last = objects.at(-1);
      sinceCheckpoint += objects.length;
      if (last) {
        checkpoint.lastId = last.id;
        if (typeof last.created === 'number') checkpoint.lastCreated = last.created;
      }
      if (!dryRun && sinceCheckpoint >= checkpointEvery) {
        await saveCheckpoint(deps.store, scope, checkpoint, nowIso);
        sinceCheckpoint = 0;
      }
      report(resource, fractionOf(checkpoint.lastCreated));
    };
    try {
      const list = listObjects(deps.stripe, resource, {
        ...(isFactList && sinceSeconds !== undefined ? { created: { gte: sinceSeconds } } : {}),
        ...(options.customer ? { customer: options.customer } : {}),
        ...(checkpoint.lastId ? { startingAfter: checkpoint.lastId } : {}),
        pageSize,
      });
      // Lists recorded a batch at a time go ten pages a batch: a batch's requests depend on each
      // other (read, write, marks, checkpoint), so larger batches mean fewer round trips in a row.
      const batchSize = Math.max(concurrency * 4, resource === 'invoices' || resource === 'customers' ? pageSize * 10 : pageSize);
      const startFlush = async () => {
        const objects = batch;
        batch = [];
        await applying;
        const started = flush(objects);
        started.catch(() => undefined);
        applying = started;
      };
      // A Stripe failure stops the reading, not what was read: that is applied and checkpointed
      // first, so a resumed run continues after the last object read (batches span many pages).
      let readFailure: { cause: unknown } | undefined;
      const objects = list[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<StripeObject>;
        try {
          step = await objects.next();
        } catch (cause) {
          readFailure = { cause };
          break;
        }
        if (step.done) break;
        const object = step.value;
        if (checkpoint.firstCreated === undefined && typeof object.created === 'number') checkpoint.firstCreated = object.created;
        batch.push(object);
        if (batch.length >= batchSize) await startFlush();
      }
      await startFlush();
      await applying;
      if (readFailure) {
        if (!dryRun && sinceCheckpoint > 0) await saveCheckpoint(deps.store, scope, checkpoint, nowIso);
        throw readFailure.cause;
      }
    } catch (cause) {
      // The batch being applied finishes first (or fails), so the checkpoint reported is settled.
      await applying.catch(() => undefined);
      throw new BackfillInterruptedError(resource, dryRun ? undefined : checkpoint, { cause });
    }
    checkpoint.done = true;
    if (!dryRun) await saveCheckpoint(deps.store, scope, checkpoint, nowIso);
    report(resource, 1);
  }

  if (!dryRun) {
    // Accounts touched before an interruption are marked in the store; evaluate them all.
    const accounts = await listTouched(deps.store, scope);
    evaluation.total = accounts.length;
    report('evaluate');
    // Accounts a chunk at a time (concurrency at once); the chunk's counts are added in one
    // update and its touched marks cleared in BatchWriteItem requests, after its evaluations (a
    // run stopped between the two evaluates those accounts again, which writes nothing).
    const chunk = Math.max(concurrency, 100);
    for (let i = 0; i < accounts.length; i += chunk) {
      const ids = accounts.slice(i, i + chunk);
      const counts: EvaluationCounters = { evaluated: 0, flagged: 0, reviewsOpened: 0, reviewsScheduled: 0, reminders: 0 };
      await eachAtOnce(ids, concurrency, async (accountId) => {
        // As evaluateAccount, with the writes of the accounts in flight sharing transactions.
        const { evaluation: result } = await mergeAndEvaluate(deps, accountId, [], deps.now);
        const opened = result.reviewChanges.filter(
          (c) => (c.type === 'create' ? c.task : c.after).status === 'open' && (c.type === 'create' || c.before.status !== 'open'),
        );
        const scheduled = result.reviewChanges.filter((c) => c.type === 'create' && c.task.status === 'scheduled');
        counts.evaluated++;
        counts.flagged += result.flags.length > 0 ? 1 : 0;
        counts.reviewsOpened += opened.length;
        counts.reviewsScheduled += scheduled.length;
        counts.reminders += result.reminderSent ? 1 : 0;
        evaluation.done++;
      });
      await addEvaluationCounts(deps.store, scope, counts, nowIso);
      await clearTouchedMany(deps.store, scope, ids);
      report('evaluate');
    }
    await finishBackfillRun(deps.store, scope, new Date().toISOString());
  }

  const all = Object.values(resources);
  return {
    scope,
    dryRun,
    resumed: options.resume === true,
    resources,
    factsWritten: all.reduce((n, r) => n + r.applied, 0),
    accounts: dryRun ? touched.size : evaluation.total,
    evaluation: dryRun ? { evaluated: 0, flagged: 0, reviewsOpened: 0, reviewsScheduled: 0, reminders: 0 } : await getEvaluationCounts(deps.store, scope),
    skipped,
  };
}
