import { lightFormat, subMonths } from 'date-fns';
import * as z from '../zod.ts';
import { zonedDate } from './zone.ts';
import { addMoney, currencySchema, formatMoney, multiplyMoney, roundMoney } from './money.ts';
import { compareText } from './observation.ts';
import { disputeSignal, disputeSignalSchema, lostAt } from './dispute-signal.ts';
import { activeMonths, type FixedMonthlyCost } from './fixed-costs.ts';
import type { Policy } from './policy.ts';
import { costEntrySchema, type CostEntry } from './cost.ts';
import { disputeFactSchema, mergeDisputeObservations, mergeRefundObservations, refundFactSchema, type DisputeFact, type RefundFact } from './revenue.ts';

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

function toMs(now: Date | string): number {
  const ms = typeof now === 'string' ? Date.parse(now) : now.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`now is not a valid date: ${String(now)}`);
  return ms;
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

/** The trailing window at `now`, in the policy time zone. */
interface ProfitWindow {
  zone: string;
  nowMs: number;
  nowTz: Date;
  startMs: number;
  /** An instant in (start, now]. */
  has: (iso: string) => boolean;
  /** A calendar date after the window's first day and no later than today. */
  hasDate: (date: string) => boolean;
}

function placeWindow(policy: Policy, now: Date | string): ProfitWindow {
  const zone = policy.timeZone;
  const nowMs = toMs(now);
  const nowTz = zonedDate(nowMs, zone);
  const windowStart = subMonths(nowTz, policy.profitability.windowMonths);
  const startMs = windowStart.getTime();
  const firstDay = lightFormat(windowStart, 'yyyy-MM-dd');
  const today = lightFormat(nowTz, 'yyyy-MM-dd');
  return {
    zone,
    nowMs,
    nowTz,
    startMs,
    has: (iso) => {
      const t = Date.parse(iso);
      return t > startMs && t <= nowMs;
    },
    hasDate: (date) => date > firstDay && date <= today,
  };
}

/** The input with revenue observations merged by id and duplicate invoices and costs dropped. */
function distinctFacts(input: ProfitabilityInput) {
  return {
    invoices: dedupe(
      input.paidInvoices,
      (i) => i.invoiceId,
      (i) => JSON.stringify([i.paidAt, i.amountPaid, i.currency]),
    ),
    costs: dedupe(
      input.costs,
      (c) => c.costId,
      (c) => JSON.stringify([c.recordedAt, c.amount, c.currency, c.date, c.category, c.note ?? null]),
    ),
    refunds: [...mergeRefundObservations(input.refunds).values()],
    disputes: [...mergeDisputeObservations(input.disputes).values()],
  };
}
type DistinctFacts = ReturnType<typeof distinctFacts>;

/**
 * Adds up, per currency, paid invoices, succeeded refunds (per charge, never below Stripe's
 * aggregate), lost disputes (amount and fee), cost entries and fixed costs in the window; with
 * the refunds, disputes and costs that counted.
 */
function totalsByCurrency(facts: DistinctFacts, fixedMonthlyCosts: FixedMonthlyCost[], fixedCostMonths: number, window: ProfitWindow) {
  const totals = new Map<string, Totals>();
  const row = (currency: string): Totals => {
    let t = totals.get(currency);
    if (t === undefined) {
      t = { paid: 0, refunded: 0, disputesLost: 0, entries: 0, fixed: 0 };
      totals.set(currency, t);
    }
    return t;
  };

  for (const i of facts.invoices) {
    if (window.has(i.paidAt)) row(i.currency).paid = addMoney(row(i.currency).paid, i.amountPaid);
  }

  const refundEvidence: RefundFact[] = [];
  // Succeeded individual refunds per charge, whatever their date: what the aggregate overlaps.
  const individualByCharge = new Map<string, number>();
  for (const r of facts.refunds) {
    if (r.kind !== 'refund' || r.status !== 'succeeded') continue;
    if (r.chargeId !== undefined) {
      const key = `${r.chargeId}|${r.currency}`;
      individualByCharge.set(key, addMoney(individualByCharge.get(key) ?? 0, r.amount));
    }
    if (window.has(r.createdAt)) {
      row(r.currency).refunded = addMoney(row(r.currency).refunded, r.amount);
      refundEvidence.push(r);
    }
  }
  for (const r of facts.refunds) {
    if (r.kind !== 'charge_total' || r.status !== 'succeeded' || !window.has(r.createdAt)) continue;
    const seen = r.chargeId === undefined ? 0 : (individualByCharge.get(`${r.chargeId}|${r.currency}`) ?? 0);
    const unseen = r.amount - seen;
    if (unseen > 0) {
      row(r.currency).refunded = addMoney(row(r.currency).refunded, unseen);
      refundEvidence.push(r);
    }
  }

  const lostInWindow = facts.disputes.filter((d) => d.status === 'lost' && window.has(lostAt(d)));
  for (const d of lostInWindow) {
    row(d.currency).disputesLost = addMoney(row(d.currency).disputesLost, d.amount);
    row(d.feeCurrency).disputesLost = addMoney(row(d.feeCurrency).disputesLost, d.fee);
  }

  const costsInWindow = facts.costs.filter((c) => window.hasDate(c.date));
  for (const c of costsInWindow) row(c.currency).entries = addMoney(row(c.currency).entries, c.amount);
  for (const f of fixedMonthlyCosts) {
    if (fixedCostMonths > 0) row(f.currency).fixed = addMoney(row(f.currency).fixed, multiplyMoney(f.amount, fixedCostMonths));
  }
  return { totals, refundEvidence, lostInWindow, costsInWindow };
}

/** One row per currency with money in it, sorted by currency: revenue, cost, margin, against the minimum. */
function marginRows(totals: Map<string, Totals>, minMarginPct: number): ProfitabilityRow[] {
  return [...totals.entries()]
    .filter(([, t]) => t.paid !== 0 || t.refunded !== 0 || t.disputesLost !== 0 || t.entries !== 0 || t.fixed !== 0)
    .sort(([a], [b]) => compareText(a, b))
    .map(([currency, t]) => {
      const revenue = addMoney(addMoney(t.paid, -t.refunded), -t.disputesLost);
      const cost = addMoney(t.entries, t.fixed);
      const margin = addMoney(revenue, -cost);
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
}

/** The flag: a row below the minimum once history is long enough; and why, or why not yet. */
function judgeMargins(rows: ProfitabilityRow[], historyMonths: number, settings: Policy['profitability']) {
  const { windowMonths, minMarginPct, minHistoryMonths } = settings;
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
    reasons.push(`not flagged yet: only ${plural(historyMonths, 'month', 'months')} of history, at least ${minHistoryMonths} needed`);
  }
  return { unprofitable: below.length > 0 && enoughHistory, reasons };
}

/** The rows converted to the base currency, labelled with the rates' date; currencies without a rate left out. */
function convertedTotal(rows: ProfitabilityRow[], exchangeRates: Policy['profitability']['exchangeRates']): ConvertedTotal | undefined {
  if (exchangeRates === undefined) return undefined;
  let revenue = 0;
  let cost = 0;
  const skippedCurrencies: string[] = [];
  for (const r of rows) {
    const rate = r.currency === exchangeRates.base ? 1 : exchangeRates.rates[r.currency];
    if (rate === undefined) {
      skippedCurrencies.push(r.currency);
      continue;
    }
    revenue = addMoney(revenue, roundMoney(r.revenue * rate));
    cost = addMoney(cost, roundMoney(r.cost * rate));
  }
  return {
    currency: exchangeRates.base,
    revenue,
    cost,
    margin: addMoney(revenue, -cost),
    ratesDate: exchangeRates.date,
    skippedCurrencies,
  };
}

const byTime =
  <T extends { createdAt: string }>(id: (t: T) => string) =>
  (a: T, b: T) =>
    compareText(a.createdAt, b.createdAt) || compareText(id(a), id(b));

/**
 * Profitability of one account at `now`.
 *
 * Steps: place the window; merge revenue observations by id and drop duplicate invoices and
 * costs; find the history start and the months of fixed cost; add up, per currency, paid
 * invoices, succeeded refunds (per charge, never below Stripe's aggregate), lost disputes
 * (amount and fee), cost entries and fixed costs; compute margins and compare them with the
 * minimum once history is long enough; convert to the base currency when rates are given;
 * judge the dispute signal over its own window; collect the evidence, in an order that does
 * not depend on the input's.
 */
export function profitability(input: ProfitabilityInput): ProfitabilityResult {
  const { policy } = input;
  const settings = policy.profitability;
  const window = placeWindow(policy, input.now);
  const facts = distinctFacts(input);
  const { historyMonths, fixedCostMonths } = activeMonths(
    { firstActivityAt: input.firstActivityAt, paidAt: facts.invoices.map((i) => i.paidAt), costDates: facts.costs.map((c) => c.date) },
    window,
    settings.windowMonths,
  );
  const { totals, refundEvidence, lostInWindow, costsInWindow } = totalsByCurrency(facts, input.fixedMonthlyCosts, fixedCostMonths, window);
  const rows = marginRows(totals, settings.minMarginPct);
  const { unprofitable, reasons } = judgeMargins(rows, historyMonths, settings);
  const converted = convertedTotal(rows, settings.exchangeRates);
  const disputes = disputeSignal(facts.disputes, policy.disputes, window);

  const topCosts = [...costsInWindow].sort((a, b) => b.amount - a.amount || compareText(b.date, a.date) || compareText(a.costId, b.costId)).slice(0, 5);
  const disputeEvidence = dedupe(
    [...disputes.opened, ...lostInWindow],
    (d) => d.disputeId,
    () => '',
  ).sort(byTime((d) => d.disputeId));

  return {
    rows,
    unprofitable,
    historyMonths,
    reasons,
    windowStart: new Date(window.startMs).toISOString(),
    fixedCostMonths,
    evidence: {
      topCosts,
      refunds: refundEvidence.sort(byTime((r) => r.refundId)),
      disputes: disputeEvidence,
    },
    ...(converted !== undefined && { converted }),
    disputeSignal: disputes.signal,
  };
}
