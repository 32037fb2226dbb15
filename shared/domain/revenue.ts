import * as z from '../zod.ts';
import { currencySchema } from './money.ts';
import { compact, compareText, earlier, greatest } from './observation.ts';

/**
 * Revenue facts that reduce what an account brought in: refunds and disputes, read from Stripe
 * objects (shared/stripe/revenue.ts).
 *
 * As with invoices, each event becomes an *observation* and observations combine with a merge
 * that is commutative, associative and idempotent, so the same events in any order, with any
 * duplicates, give the same stored facts. Only ids, amounts, currencies, statuses and times are
 * kept: no billing details, no payment method details, no evidence text.
 *
 * Refunds are identified by their refund id, never counted per event. Newer API versions no
 * longer embed `refunds` in a charge; a charge observation then still tells us Stripe's own
 * total, `amount_refunded`, which is kept as an *aggregate* fact keyed `charge-refund:<chargeId>`.
 * Profitability counts, per charge, max(sum of succeeded individual refunds, the aggregate), so
 * a refund seen both on its own and through its charge is counted once (see profitability.ts).
 */

const timestampSchema = z.iso.datetime();

/** `created` zero-padded to 12 digits, then the event id (`observationVersion`): sorts as text. */
const VERSION_PATTERN = /^\d{12}#.+$/;
const versionSchema = z.string().check(z.regex(VERSION_PATTERN, 'must look like "001700000000#evt_…"'));

/** Prefix of the aggregate refund fact of a charge. */
export const CHARGE_REFUND_PREFIX = 'charge-refund:';

export const refundStatusSchema = z.enum(['succeeded', 'pending', 'failed', 'canceled', 'requires_action']);
export type RefundStatus = z.infer<typeof refundStatusSchema>;

export const refundFactSchema = z.object({
  /** Stripe refund id, or `charge-refund:<chargeId>` for a charge's aggregate. */
  refundId: z.string().check(z.minLength(1)),
  /** `refund`: one Stripe refund. `charge_total`: the charge's `amount_refunded`, a lower bound of its refunds. */
  kind: z.enum(['refund', 'charge_total']),
  chargeId: z.optional(z.string().check(z.minLength(1))),
  invoiceId: z.optional(z.string().check(z.minLength(1))),
  /** Stripe customer id: the account id. */
  customerId: z.optional(z.string().check(z.minLength(1))),
  /** Integer minor units of `currency`. */
  amount: z.number().check(z.int(), z.gte(0)),
  currency: currencySchema,
  status: refundStatusSchema,
  /** The refund's creation; for an aggregate, the time of the observation that reported the total. */
  createdAt: timestampSchema,
  version: versionSchema,
});
export type RefundFact = z.infer<typeof refundFactSchema>;

export const disputeStatusSchema = z.enum([
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'prevented',
]);
export type DisputeStatus = z.infer<typeof disputeStatusSchema>;

/** A dispute in one of these states is over: no later, non-terminal observation may reopen it. */
export const TERMINAL_DISPUTE_STATUSES: ReadonlySet<DisputeStatus> = new Set<DisputeStatus>(['won', 'lost', 'warning_closed', 'prevented']);

export const disputeBalanceTransactionSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** Integer minor units of `currency`; a reinstatement may carry a negative fee (fee returned). */
  fee: z.number().check(z.int()),
  currency: currencySchema,
});
export type DisputeBalanceTransaction = z.infer<typeof disputeBalanceTransactionSchema>;

export const disputeFactSchema = z.object({
  disputeId: z.string().check(z.minLength(1)),
  chargeId: z.string().check(z.minLength(1)),
  customerId: z.optional(z.string().check(z.minLength(1))),
  /** Disputed amount, integer minor units of `currency`. */
  amount: z.number().check(z.int(), z.gte(0)),
  currency: currencySchema,
  status: disputeStatusSchema,
  /**
   * Sum of `fee` over the dispute's balance transactions in `feeCurrency`; 0 when Stripe has
   * reported none. No typical fee is assumed: the amount charged varies by country and network.
   */
  fee: z.number().check(z.int()),
  /** The balance (settlement) currency of the fee, which may differ from the dispute's. */
  feeCurrency: currencySchema,
  /** Every balance transaction seen, by id: a union, so a late observation never loses a fee. */
  balanceTransactions: z.array(disputeBalanceTransactionSchema),
  createdAt: timestampSchema,
  /** Earliest time it was seen closed (won, lost, warning_closed, prevented). */
  closedAt: z.optional(timestampSchema),
  fundsWithdrawn: z.boolean(),
  fundsReinstated: z.boolean(),
  /** Newest observation merged in: `amount`, `currency` and `createdAt` come from it. */
  version: versionSchema,
  /** Version of the observation `status` comes from (terminal statuses win over newer open ones). */
  statusVersion: versionSchema,
});
export type DisputeFact = z.infer<typeof disputeFactSchema>;

/** Merging facts of two different refunds or disputes is a programming error, never a data condition. */
export class RevenueFactMismatchError extends Error {
  override readonly name = 'RevenueFactMismatchError';
}

// --- Merging observations ----------------------------------------------------------------------

/**
 * Order of refund statuses within one second: Stripe can send `refund.created` (pending) and
 * `refund.updated` (succeeded) with the same `created`, and the event ids alone would then pick
 * either. A refund can fail after succeeding, so failure ranks last.
 */
const REFUND_STAGE: Record<RefundStatus, number> = { requires_action: 0, pending: 1, succeeded: 2, canceled: 3, failed: 3 };

const DISPUTE_STAGE: Record<DisputeStatus, number> = {
  warning_needs_response: 0,
  warning_under_review: 1,
  needs_response: 2,
  under_review: 3,
  warning_closed: 4,
  prevented: 4,
  won: 4,
  lost: 4,
};

/** The `created` part of a version (12 digits, so text order is numeric order). */
function versionSecond(version: string): string {
  return version.slice(0, version.indexOf('#'));
}

function refundSnapshot(f: RefundFact): string {
  return JSON.stringify([f.kind, f.amount, f.currency, f.status, f.createdAt]);
}

/** Total order on refund observations: second, status stage, version, then snapshot text. */
function compareRefundObservations(a: RefundFact, b: RefundFact): number {
  return (
    compareText(versionSecond(a.version), versionSecond(b.version)) ||
    REFUND_STAGE[a.status] - REFUND_STAGE[b.status] ||
    compareText(a.version, b.version) ||
    compareText(refundSnapshot(a), refundSnapshot(b))
  );
}

/**
 * The join of two observations of the same refund: commutative, associative, idempotent.
 * Amount, status and time come whole from the newer observation (by version, with the status
 * stage breaking a same-second tie); the ids Stripe never changes take the greatest value seen.
 */
export function mergeRefundFacts(a: RefundFact, b: RefundFact): RefundFact {
  if (a.refundId !== b.refundId) {
    throw new RevenueFactMismatchError(`cannot merge refund ${a.refundId} with refund ${b.refundId}`);
  }
  const newer = compareRefundObservations(a, b) >= 0 ? a : b;
  return compact({
    refundId: a.refundId,
    kind: newer.kind,
    chargeId: greatest(a.chargeId, b.chargeId),
    invoiceId: greatest(a.invoiceId, b.invoiceId),
    customerId: greatest(a.customerId, b.customerId),
    amount: newer.amount,
    currency: newer.currency,
    status: newer.status,
    createdAt: newer.createdAt,
    version: newer.version,
  });
}

function disputeSnapshot(f: DisputeFact): string {
  return JSON.stringify([f.amount, f.currency, f.createdAt]);
}

/** Terminal before open; then second, stage, version, status text: a total order on status claims. */
function compareDisputeStatus(a: DisputeFact, b: DisputeFact): number {
  const terminal = Number(TERMINAL_DISPUTE_STATUSES.has(a.status)) - Number(TERMINAL_DISPUTE_STATUSES.has(b.status));
  return (
    terminal ||
    compareText(versionSecond(a.statusVersion), versionSecond(b.statusVersion)) ||
    DISPUTE_STAGE[a.status] - DISPUTE_STAGE[b.status] ||
    compareText(a.statusVersion, b.statusVersion) ||
    compareText(a.status, b.status)
  );
}

export function sortTransactions(txns: DisputeBalanceTransaction[]): DisputeBalanceTransaction[] {
  return [...txns].sort((x, y) => compareText(x.id, y.id) || compareText(JSON.stringify(x), JSON.stringify(y)));
}

/** Union by id; two different records under one id (Stripe never sends them) keep the greater text. */
function unionTransactions(a: DisputeBalanceTransaction[], b: DisputeBalanceTransaction[]): DisputeBalanceTransaction[] {
  const byId = new Map<string, DisputeBalanceTransaction>();
  for (const t of [...a, ...b]) {
    const seen = byId.get(t.id);
    if (seen === undefined || JSON.stringify(t) > JSON.stringify(seen)) byId.set(t.id, { id: t.id, fee: t.fee, currency: t.currency });
  }
  return sortTransactions([...byId.values()]);
}

/**
 * The fee in one currency: the dispute's own when a balance transaction is in it, else the
 * first settlement currency by name. A dispute's balance transactions all settle in one
 * currency in practice, so no fee is ever dropped; two currencies are never summed.
 */
export function feeOf(txns: DisputeBalanceTransaction[], disputeCurrency: string): { fee: number; feeCurrency: string } {
  const currencies = [...new Set(txns.map((t) => t.currency))].sort();
  const feeCurrency = currencies.includes(disputeCurrency) ? disputeCurrency : (currencies[0] ?? disputeCurrency);
  const fee = txns.filter((t) => t.currency === feeCurrency).reduce((sum, t) => sum + t.fee, 0);
  return { fee, feeCurrency };
}

/**
 * The join of two observations of the same dispute: commutative, associative, idempotent.
 * - status: a closed status (won, lost, warning_closed, prevented) beats an open one whatever
 *   the versions, so a late `updated` event never reopens a closed dispute; between two closed
 *   (or two open) statuses the newer observation wins.
 * - balance transactions: union by id, so the fee only ever grows with what Stripe reported.
 * - funds withdrawn / reinstated: once seen, true. `closedAt`: the earliest seen.
 * - amount, currency, created: from the newest observation. Ids: the greatest value seen.
 */
export function mergeDisputeFacts(a: DisputeFact, b: DisputeFact): DisputeFact {
  if (a.disputeId !== b.disputeId) {
    throw new RevenueFactMismatchError(`cannot merge dispute ${a.disputeId} with dispute ${b.disputeId}`);
  }
  const newer = (compareText(a.version, b.version) || compareText(disputeSnapshot(a), disputeSnapshot(b))) >= 0 ? a : b;
  const statusFrom = compareDisputeStatus(a, b) >= 0 ? a : b;
  const balanceTransactions = unionTransactions(a.balanceTransactions, b.balanceTransactions);
  return compact({
    disputeId: a.disputeId,
    chargeId: greatest(a.chargeId, b.chargeId) as string,
    customerId: greatest(a.customerId, b.customerId),
    amount: newer.amount,
    currency: newer.currency,
    status: statusFrom.status,
    ...feeOf(balanceTransactions, newer.currency),
    balanceTransactions,
    createdAt: newer.createdAt,
    closedAt: earlier(a.closedAt, b.closedAt),
    fundsWithdrawn: a.fundsWithdrawn || b.fundsWithdrawn,
    fundsReinstated: a.fundsReinstated || b.fundsReinstated,
    version: newer.version,
    statusVersion: statusFrom.statusVersion,
  });
}

/** Folds refund observations: one merged fact per refund id. */
export function mergeRefundObservations(observations: Iterable<RefundFact>): Map<string, RefundFact> {
  const byId = new Map<string, RefundFact>();
  for (const o of observations) {
    const seen = byId.get(o.refundId);
    byId.set(o.refundId, seen === undefined ? o : mergeRefundFacts(seen, o));
  }
  return byId;
}

/** Folds dispute observations: one merged fact per dispute id. */
export function mergeDisputeObservations(observations: Iterable<DisputeFact>): Map<string, DisputeFact> {
  const byId = new Map<string, DisputeFact>();
  for (const o of observations) {
    const seen = byId.get(o.disputeId);
    byId.set(o.disputeId, seen === undefined ? o : mergeDisputeFacts(seen, o));
  }
  return byId;
}
