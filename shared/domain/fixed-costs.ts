import { addMonths, differenceInMonths } from 'date-fns';
import type { Policy } from './policy.ts';
import { zoneContext, zonedDate, zonedDayStart } from './zone.ts';

/** Fixed monthly costs (domain.md, "Profitability"): which apply to an account, and for how many months. */

/** A fixed monthly cost of the policy, already selected for the account. */
export type FixedMonthlyCost = Pick<Policy['profitability']['fixedMonthlyCosts'][number], 'amount' | 'currency' | 'category'>;

/** What fixed monthly costs by plan are selected by, from one Stripe subscription object. */
export interface SubscriptionPlans {
  /** Whether the customer is on it now: a live status and not deleted. */
  live: boolean;
  /** Its price, product and (legacy) plan ids, each of its items and its top-level plan. */
  planIds: string[];
}

/**
 * The policy's fixed monthly costs that apply to an account: those naming it, and those of any
 * plan it is on (its live subscriptions' price, product or plan ids: `subscriptionPlans`).
 */
export function selectFixedMonthlyCosts(policy: Policy, account: { accountId: string; plans?: readonly string[] | undefined }): FixedMonthlyCost[] {
  const plans = new Set(account.plans ?? []);
  return policy.profitability.fixedMonthlyCosts
    .filter((c) => c.accountId === account.accountId || (c.plan !== undefined && plans.has(c.plan)))
    .map(({ amount, currency, category }) => ({ amount, currency, category }));
}

/**
 * How long an account has been active at `now` (in the policy time zone; `window` is the
 * profitability window): whole months of history, from the earliest of `firstActivityAt`, any
 * paid invoice and any cost entry; and the months of fixed cost, each month of the window begun
 * since the history start counting whole, the way a monthly fee is billed in advance.
 */
export function activeMonths(
  starts: { firstActivityAt: string | undefined; paidAt: readonly string[]; costDates: readonly string[] },
  window: { zone: string; nowMs: number; nowTz: Date; startMs: number },
  windowMonths: number,
): { historyMonths: number; fixedCostMonths: number } {
  const { zone, nowMs, nowTz } = window;
  const inZone = zoneContext(zone);
  const instants: number[] = [];
  if (starts.firstActivityAt !== undefined) instants.push(Date.parse(starts.firstActivityAt));
  for (const paidAt of starts.paidAt) instants.push(Date.parse(paidAt));
  for (const date of starts.costDates) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    instants.push(zonedDayStart(zone, y, m - 1, d));
  }
  const historyStartMs = instants.filter((t) => !Number.isNaN(t)).reduce((a, b) => Math.min(a, b), Infinity);
  const historyMonths = historyStartMs < nowMs ? Math.max(0, differenceInMonths(nowTz, zonedDate(historyStartMs, zone), { in: inZone })) : 0;
  let fixedCostMonths = 0;
  const coverStartMs = Math.max(historyStartMs, window.startMs);
  if (Number.isFinite(historyStartMs) && coverStartMs < nowMs) {
    const coverStart = zonedDate(coverStartMs, zone);
    const whole = differenceInMonths(nowTz, coverStart, { in: inZone });
    const begun = addMonths(coverStart, whole, { in: inZone }).getTime() < nowMs ? whole + 1 : whole;
    fixedCostMonths = Math.min(windowMonths, Math.max(0, begun));
  }
  return { historyMonths, fixedCostMonths };
}
