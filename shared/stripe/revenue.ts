import * as z from '../zod.ts';
import {
  CHARGE_REFUND_PREFIX,
  disputeFactSchema,
  disputeStatusSchema,
  feeOf,
  refundFactSchema,
  refundStatusSchema,
  sortTransactions,
  TERMINAL_DISPUTE_STATUSES,
  type DisputeBalanceTransaction,
  type DisputeFact,
  type RefundFact,
} from '../domain/revenue.ts';
import { compact, observationVersion } from '../domain/observation.ts';
import { epochToIso, expandedCustomer, refId, stripeEventRefSchema, stripeRefSchema, type StripeEventRef } from './refs.ts';

/**
 * Reading Stripe's refund, charge and dispute objects into the revenue facts Termwatch keeps
 * (domain/revenue.ts): one event's view of them, an observation, for the domain's merge.
 * Only ids, amounts, currencies, statuses and times are kept: no billing details, no payment
 * method details, no evidence text.
 */

export class InvalidStripeRevenueObjectError extends Error {
  override readonly name = 'InvalidStripeRevenueObjectError';
}

/** What the caller may already know about the object's owner (e.g. from the charge it stored). */
export interface RevenueContext {
  customerId?: string | undefined;
  invoiceId?: string | undefined;
}

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
          ? {
              balance_transactions: transactions.map((t) =>
                t !== null && typeof t === 'object' ? keep(t, ['id', 'amount', 'fee', 'currency', 'reporting_category']) : t,
              ),
            }
          : {}),
      };
    }
    default:
      return keep(object, ['object', 'id']);
  }
}

function parseEvent(event: StripeEventRef): StripeEventRef {
  const ev = stripeEventRefSchema.safeParse(event);
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
  ev: StripeEventRef,
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
export function observeRefunds(event: StripeEventRef, object: unknown, context: RevenueContext = {}): RefundFact[] {
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
export function observeDispute(event: StripeEventRef, object: unknown, context: RevenueContext = {}): DisputeFact {
  const ev = parseEvent(event);
  const dispute = parseOrThrow(stripeDisputeSchema, object, `dispute in event ${ev.id}`);
  const status = disputeStatusSchema.safeParse(dispute.status);
  if (!status.success) {
    throw new InvalidStripeRevenueObjectError(`dispute ${dispute.id} in event ${ev.id} has unknown status "${dispute.status}"`, { cause: status.error });
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
