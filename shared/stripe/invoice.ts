import * as z from '../zod.ts';
import { collectionMethodSchema, invoiceFactsSchema, type InvoiceFacts } from '../domain/invoice.ts';
import { compact, earliestOf } from '../domain/observation.ts';
import { epochToIso, refId, stripeEventRefSchema, stripeRefSchema, type StripeEventRef } from './refs.ts';

/**
 * Reading Stripe's invoice object into the invoice facts Termwatch keeps (domain/invoice.ts):
 * one event's view of an invoice, an observation, for the domain's merge to combine.
 */

export class InvalidStripeObjectError extends Error {
  override readonly name = 'InvalidStripeObjectError';
}

const epochSecondsSchema = z.nullish(z.number().check(z.int()));
const amountSchema = z.nullish(z.number().check(z.int()));

/**
 * Only the fields we read, in both the current API shape and older ones; everything else
 * passes through untouched so a new Stripe field never breaks ingestion.
 */
const stripeInvoiceSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  customer: stripeRefSchema,
  currency: z.string().check(z.minLength(1)),
  status: z.nullish(z.string()),
  collection_method: z.nullish(z.string()),
  due_date: epochSecondsSchema,
  number: z.nullish(z.string()),
  amount_due: amountSchema,
  amount_paid: amountSchema,
  amount_remaining: amountSchema,
  total: amountSchema,
  attempt_count: z.nullish(z.number().check(z.int())),
  attempted: z.nullish(z.boolean()),
  /** Set while Stripe has another charge attempt scheduled, i.e. after a failed one. */
  next_payment_attempt: epochSecondsSchema,
  /** Older API versions only. */
  paid: z.nullish(z.boolean()),
  paid_out_of_band: z.nullish(z.boolean()),
  /** Older API versions; the current one moved it under `parent.subscription_details`. */
  subscription: z.nullish(stripeRefSchema),
  parent: z.nullish(
    z.looseObject({
      subscription_details: z.nullish(z.looseObject({ subscription: z.nullish(stripeRefSchema) })),
    }),
  ),
  status_transitions: z.nullish(
    z.looseObject({
      finalized_at: epochSecondsSchema,
      paid_at: epochSecondsSchema,
      voided_at: epochSecondsSchema,
      marked_uncollectible_at: epochSecondsSchema,
    }),
  ),
});

/**
 * Lifecycle stage of a snapshot. Part of the version so that, when two events carry the same
 * `created` second (an invoice created and finalised at once), the later stage wins instead of
 * whichever event id happens to sort last.
 */
const STAGE: Record<string, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };

/**
 * One event's view of an invoice.
 *
 * Steps: validate the event reference and the invoice (throws `InvalidStripeObjectError` when
 * id, customer or currency is missing or a read field has the wrong type); read the transition
 * times, falling back to the event's `created` as an upper bound when the status says a
 * transition happened but its time is missing; infer a failed payment attempt; stamp the
 * observation's version.
 */
export function observeInvoice(event: StripeEventRef, invoice: unknown): InvoiceFacts {
  const ev = stripeEventRefSchema.safeParse(event);
  if (!ev.success) {
    throw new InvalidStripeObjectError(`event reference is not usable: ${z.prettifyError(ev.error)}`, {
      cause: ev.error,
    });
  }
  const parsed = stripeInvoiceSchema.safeParse(invoice);
  if (!parsed.success) {
    throw new InvalidStripeObjectError(`invoice in event ${event.id} is not a usable Stripe invoice: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const inv = parsed.data;
  const eventAt = epochToIso(ev.data.created);
  const transitions = inv.status_transitions ?? {};
  const status = inv.status ?? undefined;

  const isPaid = status === 'paid' || (status === undefined && inv.paid === true);
  const paidAt = epochToIso(transitions.paid_at) ?? (isPaid ? eventAt : undefined);
  const voidedAt = epochToIso(transitions.voided_at) ?? (status === 'void' ? eventAt : undefined);
  const uncollectibleAt = epochToIso(transitions.marked_uncollectible_at) ?? (status === 'uncollectible' ? eventAt : undefined);
  const pastDraft = (status !== undefined && status !== 'draft') || paidAt !== undefined || voidedAt !== undefined || uncollectibleAt !== undefined;
  // Paid, voided and uncollectible all follow finalisation, so any of them bounds it.
  const finalizedAt = epochToIso(transitions.finalized_at) ?? (pastDraft ? earliestOf([paidAt, voidedAt, uncollectibleAt, eventAt]) : undefined);

  const attempts = inv.attempt_count ?? 0;
  const attempted = inv.attempted === true && attempts >= 1;
  let firstFailedAt: string | undefined;
  if (ev.data.type === 'invoice.payment_failed') {
    firstFailedAt = eventAt;
  } else if (!isPaid && attempted && (status === 'uncollectible' || status === 'void')) {
    // Attempted, then given up on: an attempt failed no later than this event.
    firstFailedAt = eventAt;
  } else if (!isPaid && attempted && status === 'open' && (attempts >= 2 || inv.next_payment_attempt != null)) {
    // Attempted, still open, and retrying: an attempt failed no later than this event. An open
    // invoice attempted once with no retry scheduled is a bank debit (ACH, SEPA) still
    // processing, which takes days and is not a failure.
    firstFailedAt = eventAt;
  } else if (isPaid && (attempts >= 2 || (inv.paid_out_of_band === true && attempted))) {
    // Paid on a retry, or settled outside Stripe after an automatic charge: the first attempt
    // failed before the payment. This is what lets a backfill of paid history see failures.
    firstFailedAt = paidAt;
  }

  const amountDue = inv.amount_due ?? 0;
  const amountPaid = inv.amount_paid ?? 0;
  const collectionMethod = collectionMethodSchema.safeParse(inv.collection_method);
  const stage = STAGE[status ?? ''] ?? (isPaid ? 3 : pastDraft ? 1 : 0);

  const facts = compact({
    invoiceId: inv.id,
    customerId: refId(inv.customer),
    currency: inv.currency.toLowerCase(),
    collectionMethod: collectionMethod.success ? collectionMethod.data : undefined,
    subscriptionId: refId(inv.parent?.subscription_details?.subscription) ?? refId(inv.subscription),
    number: inv.number ?? undefined,
    dueDate: epochToIso(inv.due_date),
    finalizedAt,
    paidAt,
    voidedAt,
    uncollectibleAt,
    firstFailedAt,
    amountDue,
    amountPaid,
    amountRemaining: inv.amount_remaining ?? amountDue - amountPaid,
    total: inv.total ?? amountDue,
    version: `${String(ev.data.created).padStart(12, '0')}#${stage}#${ev.data.id}`,
  });
  const checked = invoiceFactsSchema.safeParse(facts);
  if (!checked.success) {
    throw new InvalidStripeObjectError(`invoice ${inv.id} in event ${event.id} has unusable values: ${z.prettifyError(checked.error)}`, {
      cause: checked.error,
    });
  }
  return checked.data;
}
