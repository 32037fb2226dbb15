import { addMonths, differenceInMonths, lightFormat, subDays, subMonths } from 'date-fns';
import * as z from '../zod.ts';
import { zoneContext, zonedDate, zonedDayStart } from './zone.ts';
import { currencySchema } from './money.ts';
import type { Policy } from './policy.ts';
import { costEntrySchema, type CostEntry } from './cost.ts';
import {
  disputeFactSchema,
  mergeDisputeObservations,
  mergeRefundObservations,
  refundFactSchema,
  type DisputeFact,
  type RefundFact,
} from './revenue.ts';

/**
 * The profitability rule (domain.md, "Profitability"): a pure function of revenue facts, cost
 * entries, the policy and `now`.
 *
 * Decisions made here, so every caller reads them the same way:
 * - The window is the trailing `windowMonths` months: instants in (now − windowMonths, now],
 *   months counted in the policy time zone (clamped to month end). Cost entries carry calendar
 *   dates and count when dated after the window's first day and no later than today, both in
 *   that time zone. Facts after `now` are not counted yet.
 * - Each amount falls in the window by its own time: a paid invoice by `paidAt`, a refund by its
 *   creation, a lost dispute by when it was first seen closed (its creation if never seen so).
 * - Refunds: only `succeeded` ones count. Per charge, what counts is max(sum of its succeeded
 *   individual refunds, Stripe's aggregate `amount_refunded`), so a refund seen both on its own
 *   and through `charge.refunded` counts once. The part of the aggregate above the individual
 *   refunds (refunds we never saw one by one) is dated at the aggregate's observation. Refunds
 *   of every charge of the account count, invoice-linked or not: the current API no longer
 *   links a charge to its invoice.
 * - Disputes lost cost their amount (in the dispute's currency) plus Stripe's dispute fee (in
 *   the fee's settlement currency, a row of its own if different). Won disputes cost nothing here.
 * - Fixed monthly costs count once per month of the window the account was active in: each
 *   month begun since the history start (capped at the window) counts whole, the way a monthly
 *   fee is billed in advance.
 * - History runs from the earliest of `firstActivityAt`, any paid invoice and any cost entry;
 *   `historyMonths` is whole months elapsed since then.
 * - marginPct is null when revenue is 0 or negative (a percentage of a loss-making revenue
 *   means nothing). A row is below the minimum when revenue > 0 and margin/revenue × 100 <
 *   minMarginPct, or when revenue ≤ 0 and the margin is negative.
 * - Currencies are never added together. The optional converted total applies each rate to
 *   minor units directly: for currencies with different exponents (jpy vs usd) the configured
 *   rate must be per minor unit. Each converted amount is rounded half away from zero.
 * - Input may hold several observations of one refund or dispute; they are merged by id first.
 *   Duplicate invoices (by id) and cost entries (by costId) count once.
 */

const moneySchema = z.number().check(z.int());

export const paidInvoiceSchema = z.object({
  invoiceId: z.string().check(z.minLength(1)),
  currency: currencySchema,
  /** Integer minor units of `currency`. */
  amountPaid: moneySchema,
  paidAt: z.iso.datetime(),
});
export type PaidInvoice = z.infer<typeof paidInvoiceSchema>;

/** A fixed monthly cost of the policy, already selected for the account. */
export type FixedMonthlyCost = Pick<Policy['profitability']['fixedMonthlyCosts'][number], 'amount' | 'currency' | 'category'>;

export interface ProfitabilityInput {
  paidInvoices: PaidInvoice[];
  refunds: RefundFact[];
  disputes: DisputeFact[];
  costs: CostEntry[];
  fixedMonthlyCosts: FixedMonthlyCost[];
  /** When the account started (e.g. its first subscription); facts refine it when earlier. */
  firstActivityAt?: string | undefined;
  policy: Policy;
  now: Date | string;
}

export const profitabilityRowSchema = z.object({
  currency: currencySchema,
  /** paid − refunded − disputesLost. */
  revenue: moneySchema,
  /** Cost entries in the window plus fixed monthly costs. */
  cost: moneySchema,
  /** Of `cost`, the part from fixed monthly costs. */
  fixedCost: moneySchema,
  /** revenue − cost. */
  margin: moneySchema,
  /** margin / revenue × 100, two decimals; null when revenue ≤ 0. */
  marginPct: z.nullable(z.number()),
  paid: moneySchema,
  refunded: moneySchema,
  /** Amount plus fee of disputes lost. */
  disputesLost: moneySchema,
  /** Below `minMarginPct` (whether or not enough history exists to flag it). */
  belowMinimum: z.boolean(),
});
export type ProfitabilityRow = z.infer<typeof profitabilityRowSchema>;

export const convertedTotalSchema = z.object({
  currency: currencySchema,
  revenue: moneySchema,
  cost: moneySchema,
  margin: moneySchema,
  /** Date of the exchange rates used: the total is only as good as they are. */
  ratesDate: z.iso.date(),
  /** Currencies left out for want of a rate. */
  skippedCurrencies: z.array(currencySchema),
});
export type ConvertedTotal = z.infer<typeof convertedTotalSchema>;

export const disputeSignalSchema = z.object({
  flagged: z.boolean(),
  /** Disputes created in the dispute window. */
  count: z.number().check(z.int(), z.gte(0)),
  /** Disputes lost in the dispute window. */
  lost: z.number().check(z.int(), z.gte(0)),
  reasons: z.array(z.string()),
});
export type DisputeSignal = z.infer<typeof disputeSignalSchema>;

export const profitabilityResultSchema = z.object({
  /** One per currency, sorted by currency. */
  rows: z.array(profitabilityRowSchema),
  unprofitable: z.boolean(),
  historyMonths: z.number().check(z.int(), z.gte(0)),
  /** Why the flag holds, or why a loss is not flagged yet; empty when all is well. */
  reasons: z.array(z.string()),
  /** Start (exclusive) of the trailing window. */
  windowStart: z.iso.datetime(),
  /** Months of fixed costs charged. */
  fixedCostMonths: z.number().check(z.int(), z.gte(0)),
  evidence: z.object({
    /** The five largest cost entries in the window (amounts compared as numbers, whatever the currency). */
    topCosts: z.array(costEntrySchema),
    /** Refunds that reduced revenue in the window. */
    refunds: z.array(refundFactSchema),
    /** Disputes created in the dispute window or lost in the profitability window. */
    disputes: z.array(disputeFactSchema),
  }),
  converted: z.optional(convertedTotalSchema),
  disputeSignal: disputeSignalSchema,
});
export type ProfitabilityResult = z.infer<typeof profitabilityResultSchema>;

/** A sum left the range where integers are exact: the result would be wrong, so refuse it. */
export class MoneyOverflowError extends Error {
  override readonly name = 'MoneyOverflowError';
}

function add(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new MoneyOverflowError(`money sum ${a} + ${b} is not a safe integer`);
  return sum;
}

function times(amount: number, count: number): number {
  const product = amount * count;
  if (!Number.isSafeInteger(product)) throw new MoneyOverflowError(`money product ${amount} × ${count} is not a safe integer`);
  return product;
}

/** Half away from zero, and never −0. */
function roundMoney(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  if (!Number.isSafeInteger(r)) throw new MoneyOverflowError(`converted amount ${x} is not a safe integer`);
  return r === 0 ? 0 : r;
}

function toMs(now: Date | string): number {
  const ms = typeof now === 'string' ? Date.parse(now) : now.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`now is not a valid date: ${String(now)}`);
  return ms;
}

function compareText(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies); every other
 * currency's amounts are in hundredths. Stripe's list, not ICU's: Stripe writes ISK, HUF and IDR
 * amounts in hundredths where ICU gives them no decimals, and ICU's first currency formatter
 * costs about 45 ms of a cold start.
 */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Decimal places of a currency's minor unit in Stripe amounts (2 for usd, 0 for jpy, 3 for kwd). */
function minorDigits(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
}

/** For reasons only: money as people read it, e.g. "USD -1,500.00", exact (no float division). */
function formatMoney(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${currency.toUpperCase()} ${minor < 0 ? '-' : ''}${whole}${fraction}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One record per key, the greatest by `rank` text: the choice does not depend on input order. */
function dedupe<T>(items: T[], key: (t: T) => string, rank: (t: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const seen = byKey.get(key(item));
    if (seen === undefined || rank(item) > rank(seen)) byKey.set(key(item), item);
  }
  return [...byKey.values()];
}

interface Totals {
  paid: number;
  refunded: number;
  disputesLost: number;
  entries: number;
  fixed: number;
}

/**
 * Profitability of one account at `now`.
 *
 * Steps: place the window; merge revenue observations by id and drop duplicate invoices and
 * costs; find the history start and the months of fixed cost; add up, per currency, paid
 * invoices, succeeded refunds (per charge, never below Stripe's aggregate), lost disputes
 * (amount and fee), cost entries and fixed costs; compute margins and compare them with the
 * minimum once history is long enough; convert to the base currency when rates are given;
 * judge the dispute signal over its own window; collect the evidence.
 */
export function profitability(input: ProfitabilityInput): ProfitabilityResult {
  const { policy } = input;
  const { windowMonths, minMarginPct, minHistoryMonths, exchangeRates } = policy.profitability;
  const zone = policy.timeZone;
  const inZone = zoneContext(zone);
  const nowMs = toMs(input.now);
  const nowTz = zonedDate(nowMs, zone);
  const windowStart = subMonths(nowTz, windowMonths);
  const windowStartMs = windowStart.getTime();
  const inWindow = (iso: string): boolean => {
    const t = Date.parse(iso);
    return t > windowStartMs && t <= nowMs;
  };
  const firstDay = lightFormat(windowStart, 'yyyy-MM-dd');
  const today = lightFormat(nowTz, 'yyyy-MM-dd');
  const dateInWindow = (date: string): boolean => date > firstDay && date <= today;

  const invoices = dedupe(
    input.paidInvoices,
    (i) => i.invoiceId,
    (i) => JSON.stringify([i.paidAt, i.amountPaid, i.currency]),
  );
  const costs = dedupe(
    input.costs,
    (c) => c.costId,
    (c) => JSON.stringify([c.recordedAt, c.amount, c.currency, c.date, c.category, c.note ?? null]),
  );
  const refunds = [...mergeRefundObservations(input.refunds).values()];
  const disputes = [...mergeDisputeObservations(input.disputes).values()];

  // --- history and fixed-cost months
  const starts: number[] = [];
  if (input.firstActivityAt !== undefined) starts.push(Date.parse(input.firstActivityAt));
  for (const i of invoices) starts.push(Date.parse(i.paidAt));
  for (const c of costs) {
    const [y, m, d] = c.date.split('-').map(Number) as [number, number, number];
    starts.push(zonedDayStart(zone, y, m - 1, d));
  }
  const historyStartMs = starts.filter((t) => !Number.isNaN(t)).reduce((a, b) => Math.min(a, b), Infinity);
  const historyMonths =
    historyStartMs < nowMs ? Math.max(0, differenceInMonths(nowTz, zonedDate(historyStartMs, zone), { in: inZone })) : 0;
  let fixedCostMonths = 0;
  const coverStartMs = Math.max(historyStartMs, windowStartMs);
  if (Number.isFinite(historyStartMs) && coverStartMs < nowMs) {
    const coverStart = zonedDate(coverStartMs, zone);
    const whole = differenceInMonths(nowTz, coverStart, { in: inZone });
    const begun = addMonths(coverStart, whole, { in: inZone }).getTime() < nowMs ? whole + 1 : whole;
    fixedCostMonths = Math.min(windowMonths, Math.max(0, begun));
  }

  // --- totals per currency
  const totals = new Map<string, Totals>();
  const row = (currency: string): Totals => {
    let t = totals.get(currency);
    if (t === undefined) {
      t = { paid: 0, refunded: 0, disputesLost: 0, entries: 0, fixed: 0 };
      totals.set(currency, t);
    }
    return t;
  };

  for (const i of invoices) {
    if (inWindow(i.paidAt)) row(i.currency).paid = add(row(i.currency).paid, i.amountPaid);
  }

  const refundEvidence: RefundFact[] = [];
  // Succeeded individual refunds per charge, whatever their date: what the aggregate overlaps.
  const individualByCharge = new Map<string, number>();
  for (const r of refunds) {
    if (r.kind !== 'refund' || r.status !== 'succeeded') continue;
    if (r.chargeId !== undefined) {
      const key = `${r.chargeId}|${r.currency}`;
      individualByCharge.set(key, add(individualByCharge.get(key) ?? 0, r.amount));
    }
    if (inWindow(r.createdAt)) {
      row(r.currency).refunded = add(row(r.currency).refunded, r.amount);
      refundEvidence.push(r);
    }
  }
  for (const r of refunds) {
    if (r.kind !== 'charge_total' || r.status !== 'succeeded' || !inWindow(r.createdAt)) continue;
    const seen = r.chargeId === undefined ? 0 : (individualByCharge.get(`${r.chargeId}|${r.currency}`) ?? 0);
    const unseen = r.amount - seen;
    if (unseen > 0) {
      row(r.currency).refunded = add(row(r.currency).refunded, unseen);
      refundEvidence.push(r);
    }
  }

  const lostAt = (d: DisputeFact): string => d.closedAt ?? d.createdAt;
  const lostInWindow = disputes.filter((d) => d.status === 'lost' && inWindow(lostAt(d)));
  for (const d of lostInWindow) {
    row(d.currency).disputesLost = add(row(d.currency).disputesLost, d.amount);
    row(d.feeCurrency).disputesLost = add(row(d.feeCurrency).disputesLost, d.fee);
  }

  const costsInWindow = costs.filter((c) => dateInWindow(c.date));
  for (const c of costsInWindow) row(c.currency).entries = add(row(c.currency).entries, c.amount);
  for (const f of input.fixedMonthlyCosts) {
    if (fixedCostMonths > 0) row(f.currency).fixed = add(row(f.currency).fixed, times(f.amount, fixedCostMonths));
  }

  // --- rows and the flag
  const rows: ProfitabilityRow[] = [...totals.entries()]
    .filter(([, t]) => t.paid !== 0 || t.refunded !== 0 || t.disputesLost !== 0 || t.entries !== 0 || t.fixed !== 0)
    .sort(([a], [b]) => compareText(a, b))
    .map(([currency, t]) => {
      const revenue = add(add(t.paid, -t.refunded), -t.disputesLost);
      const cost = add(t.entries, t.fixed);
      const margin = add(revenue, -cost);
      const marginPct = revenue > 0 ? Math.round((margin * 10_000) / revenue) / 100 : null;
      // Cross-multiplied so the comparison does not hinge on a rounded percentage.
      const belowMinimum = revenue > 0 ? margin * 100 < minMarginPct * revenue : margin < 0;
      return {
        currency,
        revenue,
        cost,
        fixedCost: t.fixed,
        margin,
        marginPct: marginPct === 0 ? 0 : marginPct,
        paid: t.paid,
        refunded: t.refunded,
        disputesLost: t.disputesLost,
        belowMinimum,
      };
    });

  const within = `over the trailing ${plural(windowMonths, 'month', 'months')}`;
  const below = rows.filter((r) => r.belowMinimum);
  const enoughHistory = historyMonths >= minHistoryMonths;
  const reasons = below.map((r) =>
    r.marginPct === null
      ? `${r.currency}: cost ${formatMoney(r.cost, r.currency)} against revenue ${formatMoney(r.revenue, r.currency)} ${within}, ` +
        `a loss of ${formatMoney(-r.margin, r.currency)}`
      : `${r.currency}: margin ${formatMoney(r.margin, r.currency)} on revenue ${formatMoney(r.revenue, r.currency)} ` +
        `(${r.marginPct}%) ${within} is below the minimum of ${minMarginPct}%`,
  );
  if (below.length > 0 && !enoughHistory) {
    reasons.push(
      `not flagged yet: only ${plural(historyMonths, 'month', 'months')} of history, at least ${minHistoryMonths} needed`,
    );
  }
  const unprofitable = below.length > 0 && enoughHistory;

  // --- converted total, labelled with its rates
  let converted: ConvertedTotal | undefined;
  if (exchangeRates !== undefined) {
    let revenue = 0;
    let cost = 0;
    const skippedCurrencies: string[] = [];
    for (const r of rows) {
      const rate = r.currency === exchangeRates.base ? 1 : exchangeRates.rates[r.currency];
      if (rate === undefined) {
        skippedCurrencies.push(r.currency);
        continue;
      }
      revenue = add(revenue, roundMoney(r.revenue * rate));
      cost = add(cost, roundMoney(r.cost * rate));
    }
    converted = {
      currency: exchangeRates.base,
      revenue,
      cost,
      margin: add(revenue, -cost),
      ratesDate: exchangeRates.date,
      skippedCurrencies,
    };
  }

  // --- dispute signal, over its own window
  const { windowDays, minDisputes } = policy.disputes;
  const signalStartMs = subDays(nowTz, windowDays).getTime();
  const inSignalWindow = (iso: string): boolean => {
    const t = Date.parse(iso);
    return t > signalStartMs && t <= nowMs;
  };
  const opened = disputes.filter((d) => inSignalWindow(d.createdAt));
  const lostRecently = disputes.filter((d) => d.status === 'lost' && inSignalWindow(lostAt(d)));
  const signalReasons: string[] = [];
  const inDays = `in the last ${windowDays} days`;
  if (opened.length >= minDisputes) {
    signalReasons.push(`${plural(opened.length, 'dispute', 'disputes')} opened ${inDays} (threshold ${minDisputes})`);
  }
  if (lostRecently.length > 0) {
    signalReasons.push(`${plural(lostRecently.length, 'dispute', 'disputes')} lost ${inDays}`);
  }

  // --- evidence, in an order that does not depend on the input's
  const topCosts = [...costsInWindow]
    .sort((a, b) => b.amount - a.amount || compareText(b.date, a.date) || compareText(a.costId, b.costId))
    .slice(0, 5);
  const byTime = <T extends { createdAt: string }>(id: (t: T) => string) => (a: T, b: T) =>
    compareText(a.createdAt, b.createdAt) || compareText(id(a), id(b));
  const disputeEvidence = dedupe(
    [...opened, ...lostInWindow],
    (d) => d.disputeId,
    () => '',
  ).sort(byTime((d) => d.disputeId));

  return {
    rows,
    unprofitable,
    historyMonths,
    reasons,
    windowStart: new Date(windowStartMs).toISOString(),
    fixedCostMonths,
    evidence: {
      topCosts,
      refunds: refundEvidence.sort(byTime((r) => r.refundId)),
      disputes: disputeEvidence,
    },
    ...(converted !== undefined && { converted }),
    disputeSignal: {
      flagged: signalReasons.length > 0,
      count: opened.length,
      lost: lostRecently.length,
      reasons: signalReasons,
    },
  };
}

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
export function selectFixedMonthlyCosts(
  policy: Policy,
  account: { accountId: string; plans?: readonly string[] | undefined },
): FixedMonthlyCost[] {
  const plans = new Set(account.plans ?? []);
  return policy.profitability.fixedMonthlyCosts
    .filter((c) => c.accountId === account.accountId || (c.plan !== undefined && plans.has(c.plan)))
    .map(({ amount, currency, category }) => ({ amount, currency, category }));
}
