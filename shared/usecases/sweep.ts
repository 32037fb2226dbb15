import type { Policy } from '../config/policy.ts';
import { logger } from '../powertools.ts';
import type { Store } from '../store/client.ts';
import { listAccountsDueForEvaluation } from '../store/account.ts';
import { getSweepCheckpoint, saveSweepCheckpoint } from '../store/sweep-state.ts';
import { evaluateAccount } from './evaluate-account.ts';

/** On a first run (no checkpoint) the sweep looks this many days back for due work. */
const FIRST_RUN_LOOKBACK_DAYS = 7;
const DAY_MS = 86_400_000;

export interface SweepResult {
  daysRead: number;
  accountsReevaluated: number;
  failures: number;
}

/**
 * The daily sweep.
 * 1. Read the checkpoint: the oldest day that may still hold due work.
 * 2. For each day from there to today, Query the due-work index for that day (never a Scan):
 *    its cost follows what is due, not how many accounts exist.
 * 3. Re-evaluate each account whose signals change with time alone (an invoice crossing
 *    30 days overdue with no new event); the evaluation moves it to its next due day.
 * 4. Advance the checkpoint to the oldest day that still had a failure (or today).
 * Running it twice does nothing the second time: evaluated accounts are no longer due.
 */
export async function runSweep(deps: { store: Store; policy: Policy }, now: Date): Promise<SweepResult> {
  const today = dayOf(now);
  const checkpoint = (await getSweepCheckpoint(deps.store)) ?? dayOf(new Date(now.getTime() - FIRST_RUN_LOOKBACK_DAYS * DAY_MS));
  let day = checkpoint < today ? checkpoint : today;
  let oldestPending: string | undefined;
  const result: SweepResult = { daysRead: 0, accountsReevaluated: 0, failures: 0 };
  for (;;) {
    result.daysRead++;
    const due = await listAccountsDueForEvaluation(deps.store, day, now.toISOString());
    for (const accountId of due) {
      try {
        await evaluateAccount(deps, accountId, now);
        result.accountsReevaluated++;
      } catch (error) {
        result.failures++;
        oldestPending ??= day;
        logger.error('sweep could not re-evaluate account', { accountId, error: error as Error });
      }
    }
    if (day >= today) break;
    day = dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS));
  }
  await saveSweepCheckpoint(deps.store, oldestPending ?? today, now.toISOString());
  return result;
}

/** The due-work index is keyed by UTC day (an instant's day, not a business calendar date). */
function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
