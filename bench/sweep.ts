import { DAY_MS, utcDay } from '../shared/domain/days.ts';
import { defaultPolicy } from '../shared/domain/policy.ts';
import { deferEvaluation, getAccount } from '../shared/store/account.ts';
import type { Store } from '../shared/store/client.ts';
import { applyStripeEvent } from '../shared/usecases/apply-stripe-event.ts';
import { saveSweepCheckpoint } from '../shared/store/sweep-state.ts';
import { runSweep, type SweepResult } from '../shared/usecases/sweep.ts';
import { epoch, fixture, invoiceEvents, stripeEvent } from '../test/support/stripe-events.ts';
import { createBenchStore } from './dynamo.ts';
import { DynamoMeter } from './meter.ts';
import type { StripeEnvelope } from './mix.ts';
import { accountTemplate, reviewTemplate, seedNotDue } from './seed.ts';

export interface SweepRun {
  /** Scheduled-but-not-due reviews, and accounts whose re-evaluation is scheduled (a tenth as many). */
  notDueReviews: number;
  notDueAccounts: number;
  seededItems: number;
  seedMs: number;
  sweepMs: number;
  readUnits: number;
  reads: number;
  writes: number;
  scans: number;
  result: SweepResult;
}

export interface SweepBenchResult {
  dueAccounts: number;
  small: SweepRun;
  large: SweepRun;
  readRatio: number;
  scans: number;
  sameDueSet: boolean;
}

/** The instant the sweep runs as if at: noon UTC today, so "later today" has room either side. */
export function sweepInstant(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 12));
}

export interface PreparedSweep {
  store: Store;
  notDueReviews: number;
  notDueAccounts: number;
  seededItems: number;
  seedMs: number;
  sweepNow: Date;
}

/**
 * A table holding the due set (accounts whose facts came through the processor eight days
 * before the sweep, so their weekly re-evaluation is due; half of them late payers whose
 * scheduled review opens two days before the sweep) and `notDue` scheduled-but-not-due reviews,
 * with a tenth as many accounts whose re-evaluation is scheduled later.
 */
export async function prepareSweep(
  endpoint: string,
  options: { notDue: number; dueAccounts: number; now: Date; checkpoint?: 'none' | 'hourly' },
): Promise<PreparedSweep> {
  const sweepNow = sweepInstant(options.now);
  const store = await createBenchStore(endpoint, `sweep${options.notDue}`);
  const deps = { store, policy: defaultPolicy };
  const appliedAt = new Date(sweepNow.getTime() - 8 * DAY_MS);
  for (const event of dueSetEvents(options.dueAccounts, sweepNow, appliedAt)) await applyStripeEvent(deps, event, appliedAt);

  const sample = await getAccount(store, 'cus_due0');
  if (!sample?.summary) throw new Error('the due set left cus_due0 unevaluated');
  const reviews = await seedNotDue(store, [reviewTemplate(store, defaultPolicy, sweepNow)], { count: options.notDue, now: sweepNow, seed: 7 });
  const notDueAccounts = Math.ceil(options.notDue / 10);
  const accounts = await seedNotDue(store, [await accountTemplate(store, sample.summary, sweepNow)], { count: notDueAccounts, now: sweepNow, seed: 8 });
  // An hourly run: the earlier runs did everything due until a minute ago and left their
  // checkpoint on today; since then both due accounts came due again (their next evaluation a
  // minute ago, where a settle time or a weekly check puts it). The late payer's review, due to
  // open two days ago, opens with its account's evaluation. Without this, the run is the first
  // after a deployment: no checkpoint, a week read back.
  if (options.checkpoint === 'hourly') {
    const dueAt = new Date(options.now.getTime() - 60_000).toISOString();
    for (let n = 0; n < options.dueAccounts; n++) await deferEvaluation(store, `cus_due${n}`, dueAt);
    await saveSweepCheckpoint(store, dueAt.slice(0, 10), dueAt);
  }
  return {
    store,
    notDueReviews: options.notDue,
    notDueAccounts,
    seededItems: reviews.items + accounts.items,
    seedMs: reviews.ms + accounts.ms,
    sweepNow,
  };
}

/** Runs the sweep once on a prepared table, counting its requests, read units and Scan calls. */
export async function sweepOnce(prepared: PreparedSweep): Promise<SweepRun> {
  const { store } = prepared;
  try {
    const meter = new DynamoMeter().attach(store);
    const started = performance.now();
    const result = await meter.run('sweep', () => runSweep({ store, policy: defaultPolicy }, prepared.sweepNow));
    const sweepMs = performance.now() - started;
    const totals = meter.totals();
    return {
      notDueReviews: prepared.notDueReviews,
      notDueAccounts: prepared.notDueAccounts,
      seededItems: prepared.seededItems,
      seedMs: prepared.seedMs,
      sweepMs,
      readUnits: totals.readUnits,
      reads: totals.reads,
      writes: totals.writes,
      scans: totals.scans,
      result,
    };
  } finally {
    store.doc.destroy();
  }
}

/** The sweep's read units with `large` not-due items against `small`, for the same due set. */
export function compareSweeps(small: SweepRun, large: SweepRun, dueAccounts: number): SweepBenchResult {
  return {
    dueAccounts,
    small,
    large,
    readRatio: large.readUnits / small.readUnits,
    scans: small.scans + large.scans,
    sameDueSet:
      small.result.accountsReevaluated === large.result.accountsReevaluated &&
      small.result.reviewsOpened === large.result.reviewsOpened &&
      small.result.failures === 0 &&
      large.result.failures === 0,
  };
}

/**
 * Per due account: a customer, and six invoices over the last half year. Even-numbered accounts
 * have a fixed-term contract in the customer's metadata whose review opens two days before the
 * sweep, and pay three invoices twelve days late (late payers, so the review is scheduled);
 * odd-numbered ones pay on time (re-evaluated for the weekly profitability check only).
 */
function dueSetEvents(count: number, sweepNow: Date, appliedAt: Date): StripeEnvelope[] {
  const events: StripeEnvelope[] = [];
  const policy = defaultPolicy;
  for (let n = 0; n < count; n++) {
    const customer = `cus_due${n}`;
    const late = n % 2 === 0;
    // Review opens at the start of (deadline − reviewLeadDays); deadline = end − notice.
    const endDate = utcDay(sweepNow.getTime() + (30 + policy.reviewLeadDays - 2) * DAY_MS);
    const metadata = late ? { contract_end_date: endDate, notice_period_days: '30', renewal: 'fixed' } : {};
    events.push(stripeEvent('customer.created', { ...fixture('customer'), id: customer, name: `Due ${n}`, metadata }, epoch(appliedAt) - 200 * 86_400));
    for (let m = 0; m < 6; m++) {
      const finalizedAt = new Date(appliedAt.getTime() - (190 - m * 30) * DAY_MS);
      const dueAt = new Date(finalizedAt.getTime() + 30 * DAY_MS);
      const paidAt = new Date(dueAt.getTime() + (late && m < 3 ? 12 : -5) * DAY_MS);
      events.push(...invoiceEvents({ customer, invoiceId: `in_due${n}x${m}`, amount: 80_000, finalizedAt, dueAt, paidAt }));
    }
  }
  return events.filter((e) => e.created * 1000 < appliedAt.getTime()).sort((a, b) => a.created - b.created);
}
