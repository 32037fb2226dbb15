import * as z from '../zod.ts';
import { currencySchema } from './money.ts';
import { observationVersion } from '../stripe/events.ts';

/**
 * Revenue facts that reduce what an account brought in: refunds and disputes, read from Stripe
 * objects.
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
export const TERMINAL_DISPUTE_STATUSES: ReadonlySet<DisputeStatus> = new Set<DisputeStatus>([
  'won',
  'lost',
  'warning_closed',
  'prevented',
]);

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

export class InvalidStripeRevenueObjectError extends Error {
  override readonly name = 'InvalidStripeRevenueObjectError';
}

/** Merging facts of two different refunds or disputes is a programming error, never a data condition. */
export class RevenueFactMismatchError extends Error {
  override readonly name = 'RevenueFactMismatchError';
}

// --- Reading Stripe objects ----------------------------------------------------------------

/** The part of a Stripe event that an observation needs (`created` in epoch seconds). */
export const revenueEventRefSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  created: z.number().check(z.int(), z.gte(0), z.lte(999_999_999_999)),
});
export type RevenueEventRef = z.infer<typeof revenueEventRefSchema>;

/** What the caller may already know about the object's owner (e.g. from the charge it stored). */
export interface RevenueContext {
  customerId?: string | undefined;
  invoiceId?: string | undefined;
}

/** Stripe writes a related object either as its id or, when expanded, as the object. */
const stripeRefSchema = z.union([z.string().check(z.minLength(1)), z.looseObject({ id: z.string().check(z.minLength(1)) })]);
type StripeRef = z.infer<typeof stripeRefSchema>;

const stripeRefundSchema = z.looseObject({
  object: z.literal('refund'),
  id: z.string().check(z.minLength(1)),
  amount: z.number().check(z.int(), z.gte(0)),
  currency: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
  created: z.number().check(z.int(), z.gte(0)),
  charge: z.nullish(stripeRefSchema),
  customer: z.nullish(stripeRefSchema),
});

const stripeChargeSchema = z.looseObject({
  object: z.literal('charge'),
  id: z.string().check(z.minLength(1)),
  currency: z.string().check(z.minLength(1)),
  amount_refunded: z.nullish(z.number().check(z.int(), z.gte(0))),
  customer: z.nullish(stripeRefSchema),
  /** Older API versions only. */
  invoice: z.nullish(stripeRefSchema),
  /** Older API versions embed the refunds; the list may be partial (`has_more`). */
  refunds: z.nullish(z.looseObject({ data: z.nullish(z.array(z.unknown())) })),
});

const stripeBalanceTransactionSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  amount: z.nullish(z.number().check(z.int())),
  fee: z.nullish(z.number().check(z.int())),
  currency: z.string().check(z.minLength(1)),
  reporting_category: z.nullish(z.string()),
});

const stripeDisputeSchema = z.looseObject({
  object: z.literal('dispute'),
  id: z.string().check(z.minLength(1)),
  amount: z.number().check(z.int(), z.gte(0)),
  currency: z.string().check(z.minLength(1)),
  status: z.string(),
  created: z.number().check(z.int(), z.gte(0)),
  charge: stripeRefSchema,
  /** Not on the dispute itself in current API versions; read when a caller expanded it. */
  customer: z.nullish(stripeRefSchema),
  balance_transactions: z.nullish(z.array(z.unknown())),
});

/**
 * The part of a refund, charge or dispute object the observations above read, for keeping an
 * object while its owner is unknown: no billing details, card, e-mail or dispute evidence.
 * Observing the trimmed object gives the same facts as observing the whole one.
 */
export function revenueObjectForParking(object: Record<string, unknown>): Record<string, unknown> {
  const keep = (source: unknown, keys: readonly string[]): Record<string, unknown> => {
    const record = (source ?? {}) as Record<string, unknown>;
    return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]));
  };
  const ref = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const { id, customer } = value as { id?: unknown; customer?: unknown };
    return customer === undefined ? { id } : { id, customer: ref(customer) };
  };
  const refund = (value: unknown) => {
    const r = keep(value, ['object', 'id', 'amount', 'currency', 'status', 'created', 'charge', 'customer']);
    return { ...r, ...('charge' in r ? { charge: ref(r.charge) } : {}), ...('customer' in r ? { customer: ref(r.customer) } : {}) };
  };
  switch (object.object) {
    case 'refund':
      return refund(object);
    case 'charge': {
      const charge = keep(object, ['object', 'id', 'currency', 'amount_refunded', 'customer', 'invoice']);
      const refunds = object.refunds as { data?: unknown[] } | null | undefined;
      return {
        ...charge,
        ...('customer' in charge ? { customer: ref(charge.customer) } : {}),
        ...('invoice' in charge ? { invoice: ref(charge.invoice) } : {}),
        ...(refunds && Array.isArray(refunds.data) ? { refunds: { data: refunds.data.map(refund) } } : {}),
      };
    }
    case 'dispute': {
      const dispute = keep(object, ['object', 'id', 'amount', 'currency', 'status', 'created', 'charge', 'customer']);
      const transactions = object.balance_transactions;
      return {
        ...dispute,
        ...('charge' in dispute ? { charge: ref(dispute.charge) } : {}),
        ...('customer' in dispute ? { customer: ref(dispute.customer) } : {}),
        ...(Array.isArray(transactions)
          ? { balance_transactions: transactions.map((t) => (t !== null && typeof t === 'object' ? keep(t, ['id', 'amount', 'fee', 'currency', 'reporting_category']) : t)) }
          : {}),
      };
    }
    default:
      return keep(object, ['object', 'id']);
  }
}

function refId(ref: StripeRef | null | undefined): string | undefined {
  if (ref == null) return undefined;
  return typeof ref === 'string' ? ref : ref.id;
}

/** The customer of an expanded charge, when the charge is expanded. */
function expandedCustomer(ref: StripeRef | null | undefined): string | undefined {
  if (ref == null || typeof ref === 'string') return undefined;
  const customer = stripeRefSchema.safeParse(ref.customer);
  return customer.success ? refId(customer.data) : undefined;
}

function epochToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function parseEvent(event: RevenueEventRef): RevenueEventRef {
  const ev = revenueEventRefSchema.safeParse(event);
  if (!ev.success) {
    throw new InvalidStripeRevenueObjectError(`event reference is not usable: ${z.prettifyError(ev.error)}`, {
      cause: ev.error,
    });
  }
  return ev.data;
}

function parseOrThrow<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidStripeRevenueObjectError(`${what} is not usable: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function refundFromStripe(
  raw: unknown,
  ev: RevenueEventRef,
  inherited: { chargeId?: string | undefined; customerId?: string | undefined; invoiceId?: string | undefined },
): RefundFact {
  const refund = parseOrThrow(stripeRefundSchema, raw, `refund in event ${ev.id}`);
  // Stripe's schema allows a null status; not knowing it went through, do not count it as money
  // returned (the charge's aggregate still covers what was actually refunded).
  const status = refundStatusSchema.safeParse(refund.status ?? 'pending');
  if (!status.success) {
    // A status we do not know cannot be counted safely either way: surface it instead of guessing.
    throw new InvalidStripeRevenueObjectError(`refund ${refund.id} in event ${ev.id} has unknown status "${refund.status}"`, {
      cause: status.error,
    });
  }
  return parseOrThrow(
    refundFactSchema,
    compact({
      refundId: refund.id,
      kind: 'refund' as const,
      chargeId: refId(refund.charge) ?? inherited.chargeId,
      invoiceId: inherited.invoiceId,
      customerId: refId(refund.customer) ?? expandedCustomer(refund.charge) ?? inherited.customerId,
      amount: refund.amount,
      currency: refund.currency.toLowerCase(),
      status: status.data,
      createdAt: epochToIso(refund.created),
      version: observationVersion(ev),
    }),
    `refund ${refund.id} in event ${ev.id}`,
  );
}

/**
 * The refund facts one event tells: one per refund object seen, plus, for a charge, the
 * aggregate of its `amount_refunded`.
 *
 * Steps: validate the event reference; by the object's `object` field — a refund
 * (`refund.created|updated|failed`, `charge.refund.updated`) gives one fact; a charge
 * (`charge.refunded` and any other charge event) gives one fact per embedded refund (older API
 * versions) and the aggregate `charge-refund:<chargeId>` holding `amount_refunded` (even 0, so
 * a total that went down after a failed refund replaces the stale one); anything else gives
 * none. Throws `InvalidStripeRevenueObjectError` for a malformed object or an unknown status.
 */
export function observeRefunds(event: RevenueEventRef, object: unknown, context: RevenueContext = {}): RefundFact[] {
  const ev = parseEvent(event);
  const kind = z.looseObject({ object: z.string() }).safeParse(object);
  if (!kind.success) return [];
  if (kind.data.object === 'refund') {
    return [refundFromStripe(object, ev, context)];
  }
  if (kind.data.object !== 'charge') return [];

  const charge = parseOrThrow(stripeChargeSchema, object, `charge in event ${ev.id}`);
  const customerId = refId(charge.customer) ?? context.customerId;
  const invoiceId = refId(charge.invoice) ?? context.invoiceId;
  const facts: RefundFact[] = [];
  for (const embedded of charge.refunds?.data ?? []) {
    facts.push(refundFromStripe(embedded, ev, { chargeId: charge.id, customerId, invoiceId }));
  }
  if (charge.amount_refunded != null) {
    facts.push(
      parseOrThrow(
        refundFactSchema,
        compact({
          refundId: `${CHARGE_REFUND_PREFIX}${charge.id}`,
          kind: 'charge_total' as const,
          chargeId: charge.id,
          invoiceId,
          customerId,
          amount: charge.amount_refunded,
          currency: charge.currency.toLowerCase(),
          // Stripe's own total of what was refunded; individual statuses come from the refunds.
          status: 'succeeded' as const,
          createdAt: epochToIso(ev.created),
          version: observationVersion(ev),
        }),
        `charge ${charge.id} in event ${ev.id}`,
      ),
    );
  }
  return facts;
}

/**
 * One event's view of a dispute (`charge.dispute.created|updated|closed|funds_withdrawn|funds_reinstated`).
 *
 * Steps: validate the event reference and the dispute (throws `InvalidStripeRevenueObjectError`
 * when malformed or the status is unknown); read the customer from the dispute, its expanded
 * charge, or the caller's context; keep each expanded balance transaction's id, fee and
 * currency; sum the fees in the fee currency; mark funds withdrawn or reinstated from the event
 * type or the balance transactions; a closed status stamps `closedAt` with the event time.
 */
export function observeDispute(event: RevenueEventRef, object: unknown, context: RevenueContext = {}): DisputeFact {
  const ev = parseEvent(event);
  const dispute = parseOrThrow(stripeDisputeSchema, object, `dispute in event ${ev.id}`);
  const status = disputeStatusSchema.safeParse(dispute.status);
  if (!status.success) {
    throw new InvalidStripeRevenueObjectError(
      `dispute ${dispute.id} in event ${ev.id} has unknown status "${dispute.status}"`,
      { cause: status.error },
    );
  }
  const currency = dispute.currency.toLowerCase();
  const balanceTransactions: DisputeBalanceTransaction[] = [];
  let withdrawn = ev.type === 'charge.dispute.funds_withdrawn';
  let reinstated = ev.type === 'charge.dispute.funds_reinstated';
  for (const raw of dispute.balance_transactions ?? []) {
    // An unexpanded id tells no fee; skip it rather than fail the whole observation.
    const txn = stripeBalanceTransactionSchema.safeParse(raw);
    if (!txn.success) continue;
    const t = txn.data;
    balanceTransactions.push({ id: t.id, fee: t.fee ?? 0, currency: t.currency.toLowerCase() });
    const category = t.reporting_category ?? undefined;
    if (category === 'dispute' || (category === undefined && (t.amount ?? 0) < 0)) withdrawn = true;
    if (category === 'dispute_reversal' || (category === undefined && (t.amount ?? 0) > 0)) reinstated = true;
  }
  const version = observationVersion(ev);
  const sortedTxns = sortTransactions(balanceTransactions);
  return parseOrThrow(
    disputeFactSchema,
    compact({
      disputeId: dispute.id,
      chargeId: refId(dispute.charge),
      customerId: refId(dispute.customer) ?? expandedCustomer(dispute.charge) ?? context.customerId,
      amount: dispute.amount,
      currency,
      status: status.data,
      ...feeOf(sortedTxns, currency),
      balanceTransactions: sortedTxns,
      createdAt: epochToIso(dispute.created),
      closedAt: TERMINAL_DISPUTE_STATUSES.has(status.data) ? epochToIso(ev.created) : undefined,
      fundsWithdrawn: withdrawn,
      fundsReinstated: reinstated,
      version,
      statusVersion: version,
    }),
    `dispute ${dispute.id} in event ${ev.id}`,
  );
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

function compareText(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

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

/** The greater of two optional ids: an order-free choice for values Stripe never changes. */
function greatest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/** Earliest instant; equal instants written differently fall back to text order, so it stays a total order. */
function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const diff = Date.parse(a) - Date.parse(b);
  if (diff !== 0) return diff < 0 ? a : b;
  return a <= b ? a : b;
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

function sortTransactions(txns: DisputeBalanceTransaction[]): DisputeBalanceTransaction[] {
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
function feeOf(txns: DisputeBalanceTransaction[], disputeCurrency: string): { fee: number; feeCurrency: string } {
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
  const newer =
    (compareText(a.version, b.version) || compareText(disputeSnapshot(a), disputeSnapshot(b))) >= 0 ? a : b;
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

/** Drops undefined properties so equal facts are also structurally equal (and store cleanly). */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
