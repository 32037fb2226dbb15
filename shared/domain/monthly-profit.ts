import * as z from '../zod.ts';
import { currencySchema } from './money.ts';
import type { CostEntry } from './cost.ts';
import type { FixedMonthlyCost } from './fixed-costs.ts';
import type { PaidInvoice } from './profitability.ts';
import { localDate } from './timing.ts';

/**
 * Revenue against cost month by month, per currency (never summed across currencies): what the
 * account page draws beside the trailing-window totals of `profitability`.
 * - Months are calendar months in the policy's time zone, the last `months` of them up to the
 *   one holding `now`; facts after `now` are not counted.
 * - Revenue is what paid invoices brought in, by the month of `paidAt`. Refunds and lost
 *   disputes are left to the window's totals (a refund's month is not the sale's).
 * - Cost is the cost entries by their date, plus each fixed monthly cost in every month from the
 *   one the account's history starts in (its first activity or first paid invoice or cost).
 */
export const monthlyProfitRowSchema = z.object({
  /** `YYYY-MM`, in the policy's time zone. */
  month: z.string().check(z.regex(/^\d{4}-\d{2}$/)),
  currency: currencySchema,
  /** Integer minor units: paid invoices in the month. */
  revenue: z.number().check(z.int()),
  /** Integer minor units: cost entries dated in the month plus fixed monthly costs. */
  cost: z.number().check(z.int()),
});
export type MonthlyProfitRow = z.infer<typeof monthlyProfitRowSchema>;

export interface MonthlyProfitInput {
  paidInvoices: readonly PaidInvoice[];
  costs: readonly CostEntry[];
  fixedMonthlyCosts: readonly FixedMonthlyCost[];
  firstActivityAt?: string | undefined;
  timeZone: string;
  months: number;
  now: Date;
}

/** The `count` months up to and including `last` (`YYYY-MM`), oldest first. */
function monthsUpTo(last: string, count: number): string[] {
  const [y, m] = last.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const index = y * 12 + (m - 1) - (count - 1 - i);
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

export function monthlyRevenueAndCost(input: MonthlyProfitInput): MonthlyProfitRow[] {
  const today = localDate(input.now, input.timeZone);
  const months = monthsUpTo(today.slice(0, 7), input.months);
  const shown = new Set(months);
  const cells = new Map<string, { revenue: number; cost: number }>();
  const cell = (currency: string, month: string) => {
    const key = `${currency} ${month}`;
    const found = cells.get(key);
    if (found) return found;
    const made = { revenue: 0, cost: 0 };
    cells.set(key, made);
    return made;
  };
  const nowMs = input.now.getTime();
  const starts: string[] = [];
  if (input.firstActivityAt) starts.push(localDate(input.firstActivityAt, input.timeZone));
  for (const invoice of input.paidInvoices) {
    if (Date.parse(invoice.paidAt) > nowMs) continue;
    const day = localDate(invoice.paidAt, input.timeZone);
    starts.push(day);
    if (shown.has(day.slice(0, 7))) cell(invoice.currency, day.slice(0, 7)).revenue += invoice.amountPaid;
  }
  for (const cost of input.costs) {
    if (cost.date > today) continue;
    starts.push(cost.date);
    if (shown.has(cost.date.slice(0, 7))) cell(cost.currency, cost.date.slice(0, 7)).cost += cost.amount;
  }
  const historyStart = starts.sort()[0]?.slice(0, 7);
  if (historyStart) {
    for (const fixed of input.fixedMonthlyCosts) {
      for (const month of months) if (month >= historyStart) cell(fixed.currency, month).cost += fixed.amount;
    }
  }
  const currencies = [...new Set([...cells.keys()].map((k) => k.slice(0, k.indexOf(' '))))].sort();
  return currencies.flatMap((currency) => months.map((month) => ({ month, currency, ...(cells.get(`${currency} ${month}`) ?? { revenue: 0, cost: 0 }) })));
}
