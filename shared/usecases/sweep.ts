import type { Policy } from '../domain/policy.ts';
import { addUtcDays, DAY_MS, utcDay } from '../domain/days.ts';
import { logger } from '../powertools.ts';
import type { Store } from '../store/client.ts';
import { deferEvaluation, listAccountsDueForEvaluation } from '../store/account.ts';
import { listReviewsDueToOpen } from '../store/task.ts';
import { getSweepCheckpoint, saveSweepCheckpoint } from '../store/sweep-state.ts';
import { evaluateAccount } from './evaluate-account.ts';
import type { SweepResult } from '../schemas/admin.ts';
import { eachAtOnce } from '../concurrency.ts';

/** On a first run (no checkpoint) the sweep looks this many days back for due work. */
const FIRST_RUN_LOOKBACK_DAYS = 7;
/** A sweep that fell far behind catches up over several runs instead of one unbounded one. */
const MAX_DAYS_PER_RUN = 62;
/** Due accounts evaluated at once. */
const SWEEP_CONCURRENCY = 4;
/** Days whose index reads are in flight at once. */
const READ_AHEAD_DAYS = 8;
/** An account whose re-evaluation failed is tried again this long after (the next hourly run). */
const RETRY_FAILED_AFTER_MS = 3_600_000;

export type { SweepResult };

/**
 * The sweep (hourly on AWS, every five minutes locally).
 * 1. Read the checkpoint: the oldest day that may still hold due work.
 * 2. For each day from there to today, Query the due-work index for that day (never a Scan):
 *    its cost follows what is due, not how many accounts exist.
 * 3. Re-evaluate each account with work due: signals that change with time alone (an invoice
 *    crossing 30 days overdue with no new event), a scheduled review whose openAt has come,
 *    a notice deadline that passed (the term rolls). The evaluation opens the review, records
 *    its notification, and moves the account to its next due day.
 * 4. An account that fails is moved to be retried an hour on (still counted as a failure, so the
 *    run reports it and the function throws); advance the checkpoint to the oldest day that still
 *    holds work not done or deferred (or today).
 * Running it twice does nothing the second time: evaluated accounts are no longer due.
 */
export async function runSweep(deps: { store: Store; policy: Policy }, now: Date, options: { firstDay?: string } = {}): Promise<SweepResult> {
  const today = utcDay(now);
  const storedCheckpoint = await getSweepCheckpoint(deps.store);
  const checkpoint = storedCheckpoint ?? options.firstDay ?? utcDay(now.getTime() - FIRST_RUN_LOOKBACK_DAYS * DAY_MS);
  // biome-ignore lint/complexity/useMathMinMax: calendar days compared as YYYY-MM-DD strings
  let day = checkpoint < today ? checkpoint : today;
  let oldestPending: string | undefined;
  const result: SweepResult = { daysRead: 0, caughtUp: true, accountsReevaluated: 0, reviewsOpened: 0, notificationsRecorded: 0, failures: 0 };
  // The index reads of the days ahead go out together (a first run, or one after a pause, reads
  // several days: one round trip instead of one a day); each day's work is still done in order.
  const reads = new Map<string, Promise<[string[], Array<{ accountId: string }>]>>();
  const readDay = (d: string) => {
    let read = reads.get(d);
    if (!read) {
      read = Promise.all([listAccountsDueForEvaluation(deps.store, d, now.toISOString()), listReviewsDueToOpen(deps.store, d, now.toISOString())]);
      // Awaited in its turn; a failure of a day not reached (the run stopped) is not unhandled.
      read.catch(() => undefined);
      reads.set(d, read);
    }
    return read;
  };
  for (;;) {
    result.daysRead++;
    for (
      let ahead = day, n = result.daysRead;
      ahead <= today && n <= MAX_DAYS_PER_RUN && n < result.daysRead + READ_AHEAD_DAYS;
      ahead = addUtcDays(ahead, 1), n++
    )
      void readDay(ahead);
    const [accounts, reviews] = await readDay(day);
    // Opening a review is an evaluation too: the timing rule says "open" once openAt has passed,
    // and the evaluation writes the opening and its notification in one transaction.
    const due = [...new Set([...accounts, ...reviews.map((r) => r.accountId)])].sort();
    // A few accounts at once (each its own read and transaction; they share nothing).
    await eachAtOnce(due, SWEEP_CONCURRENCY, async (accountId) => {
      try {
        const evaluation = await evaluateAccount(deps, accountId, now);
        result.accountsReevaluated++;
        if (evaluation.reminderSent) result.notificationsRecorded++;
        for (const change of evaluation.reviewChanges) {
          const after = change.type === 'create' ? change.task : change.after;
          const before = change.type === 'create' ? undefined : change.before;
          if (after.status === 'open' && before?.status !== 'open') {
            result.reviewsOpened++;
            result.notificationsRecorded++;
          }
        }
      } catch (error) {
        result.failures++;
        logger.error('sweep could not re-evaluate account', { accountId, error: error as Error });
        // The account is retried an hour on, from today's part of the index, so one account that
        // keeps failing does not hold the checkpoint (and with it every other account's due work)
        // at its day. When even that write fails (the store itself is failing), the day stays pending.
        try {
          await deferEvaluation(deps.store, accountId, new Date(now.getTime() + RETRY_FAILED_AFTER_MS).toISOString());
        } catch (deferError) {
          oldestPending ??= day;
          logger.error('sweep could not defer the account either; its day stays pending', { accountId, error: deferError as Error });
        }
      }
    });
    if (day >= today) break;
    day = addUtcDays(day, 1);
    if (result.daysRead >= MAX_DAYS_PER_RUN) {
      oldestPending ??= day;
      result.caughtUp = false;
      break;
    }
  }
  // Never backwards: a sweep run as if in the past (local mode's `now`) reads its own day only,
  // and must not send the next run back over every day since.
  const next = oldestPending ?? today;
  await saveSweepCheckpoint(deps.store, storedCheckpoint !== undefined && storedCheckpoint > next ? storedCheckpoint : next, now.toISOString());
  return result;
}

/**
 * The sweep as if at `now` (local mode's `POST /admin/sweep`), run until it has caught up with
 * that day however far ahead it is, so everything due by then is opened and sent in one call.
 * With no checkpoint yet, it starts from `today` (the real one) rather than a week before `now`.
 */
export async function sweepUntil(deps: { store: Store; policy: Policy }, now: Date, today: Date): Promise<SweepResult> {
  const total: SweepResult = { daysRead: 0, caughtUp: false, accountsReevaluated: 0, reviewsOpened: 0, notificationsRecorded: 0, failures: 0 };
  // Each run advances the checkpoint by up to MAX_DAYS_PER_RUN days; the bound is a safety net.
  for (let run = 0; run < 1000 && !total.caughtUp; run++) {
    const result = await runSweep(deps, now, { firstDay: utcDay(today) });
    total.daysRead += result.daysRead;
    total.accountsReevaluated += result.accountsReevaluated;
    total.reviewsOpened += result.reviewsOpened;
    total.notificationsRecorded += result.notificationsRecorded;
    total.failures += result.failures;
    total.caughtUp = result.caughtUp;
    // A day that stays pending (the store failing) would be read again from the same place.
    if (result.failures > 0) break;
  }
  return total;
}
