import * as z from '../zod.ts';
import { currencySchema } from './money.ts';

/**
 * What Termwatch keeps about one Stripe invoice, and how observations of it combine.
 *
 * Stripe delivers events more than once and out of order, so every event is turned into an
 * *observation* (`observeInvoice`) and observations are combined with `mergeInvoiceFacts`, a
 * join: the same observations in any order, with any duplicates, give the same stored facts.
 * No personal data is kept (no customer name, email, address, card).
 */

const timestampSchema = z.iso.datetime();

/** `created` zero-padded to 12 digits, the lifecycle stage, then the event id: sorts as text. */
const VERSION_PATTERN = /^\d{12}#\d#.+$/;

export const collectionMethodSchema = z.enum(['charge_automatically', 'send_invoice']);
export type CollectionMethod = z.infer<typeof collectionMethodSchema>;

export const invoiceStatusSchema = z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']);
export type InvoiceStatus = z.infer<typeof invoiceStatusSchema>;

export const invoiceFactsSchema = z.object({
  invoiceId: z.string().check(z.minLength(1)),
  /** Stripe customer id: the account id. */
  customerId: z.string().check(z.minLength(1)),
  currency: currencySchema,
  collectionMethod: z.optional(collectionMethodSchema),
  subscriptionId: z.optional(z.string().check(z.minLength(1))),
  /** Human invoice number; Stripe assigns it at finalisation. */
  number: z.optional(z.string().check(z.minLength(1))),
  /** From Stripe's `due_date` (an instant, epoch seconds); absent for most auto-charged invoices. */
  dueDate: z.optional(timestampSchema),
  // Transitions that happen once: merged by taking the earliest value seen.
  finalizedAt: z.optional(timestampSchema),
  paidAt: z.optional(timestampSchema),
  voidedAt: z.optional(timestampSchema),
  uncollectibleAt: z.optional(timestampSchema),
  /** A payment attempt failed no later than this (exact when seen on `invoice.payment_failed`). */
  firstFailedAt: z.optional(timestampSchema),
  // Integer minor units of `currency`.
  amountDue: z.number().check(z.int()),
  amountPaid: z.number().check(z.int()),
  amountRemaining: z.number().check(z.int()),
  total: z.number().check(z.int()),
  /** Orders observations: the mutable fields above come from the greatest version. */
  version: z.string().check(z.regex(VERSION_PATTERN, 'must look like "000001700000000#1#evt_…"')),
});
export type InvoiceFacts = z.infer<typeof invoiceFactsSchema>;


export class InvalidStripeObjectError extends Error {
  override readonly name = 'InvalidStripeObjectError';
}

/** Merging facts of two different invoices is a programming error, never a data condition. */
export class InvoiceMismatchError extends Error {
  override readonly name = 'InvoiceMismatchError';
}

// --- Reading Stripe's invoice object --------------------------------------------------------

/** Stripe writes a related object either as its id or, when expanded, as the object. */
const stripeRefSchema = z.union([z.string().check(z.minLength(1)), z.looseObject({ id: z.string().check(z.minLength(1)) })]);
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

/** The part of a Stripe event that an observation needs (`created` in epoch seconds). */
export const invoiceEventRefSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  created: z.number().check(z.int(), z.gte(0), z.lte(999_999_999_999)),
});
export type InvoiceEventRef = z.infer<typeof invoiceEventRefSchema>;

/**
 * Lifecycle stage of a snapshot. Part of the version so that, when two events carry the same
 * `created` second (an invoice created and finalised at once), the later stage wins instead of
 * whichever event id happens to sort last.
 */
const STAGE: Record<string, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };

function refId(ref: z.infer<typeof stripeRefSchema> | null | undefined): string | undefined {
  if (ref == null) return undefined;
  return typeof ref === 'string' ? ref : ref.id;
}

function epochToIso(seconds: number | null | undefined): string | undefined {
  return seconds == null ? undefined : new Date(seconds * 1000).toISOString();
}

/**
 * One event's view of an invoice.
 *
 * Steps: validate the event reference and the invoice (throws `InvalidStripeObjectError` when
 * id, customer or currency is missing or a read field has the wrong type); read the transition
 * times, falling back to the event's `created` as an upper bound when the status says a
 * transition happened but its time is missing; infer a failed payment attempt; stamp the
 * observation's version.
 */
export function observeInvoice(event: InvoiceEventRef, invoice: unknown): InvoiceFacts {
  const ev = invoiceEventRefSchema.safeParse(event);
  if (!ev.success) {
    throw new InvalidStripeObjectError(`event reference is not usable: ${z.prettifyError(ev.error)}`, {
      cause: ev.error,
    });
  }
  const parsed = stripeInvoiceSchema.safeParse(invoice);
  if (!parsed.success) {
    throw new InvalidStripeObjectError(
      `invoice in event ${event.id} is not a usable Stripe invoice: ${z.prettifyError(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  const inv = parsed.data;
  const eventAt = epochToIso(ev.data.created) as string;
  const transitions = inv.status_transitions ?? {};
  const status = inv.status ?? undefined;

  const isPaid = status === 'paid' || (status === undefined && inv.paid === true);
  const paidAt = epochToIso(transitions.paid_at) ?? (isPaid ? eventAt : undefined);
  const voidedAt = epochToIso(transitions.voided_at) ?? (status === 'void' ? eventAt : undefined);
  const uncollectibleAt =
    epochToIso(transitions.marked_uncollectible_at) ?? (status === 'uncollectible' ? eventAt : undefined);
  const pastDraft =
    (status !== undefined && status !== 'draft') ||
    paidAt !== undefined ||
    voidedAt !== undefined ||
    uncollectibleAt !== undefined;
  // Paid, voided and uncollectible all follow finalisation, so any of them bounds it.
  const finalizedAt =
    epochToIso(transitions.finalized_at) ??
    (pastDraft ? earliestOf([paidAt, voidedAt, uncollectibleAt, eventAt]) : undefined);

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
    throw new InvalidStripeObjectError(
      `invoice ${inv.id} in event ${event.id} has unusable values: ${z.prettifyError(checked.error)}`,
      { cause: checked.error },
    );
  }
  return checked.data;
}

// --- Merging observations ----------------------------------------------------------------------

/** Earliest instant; equal instants written differently fall back to text order, so it stays a total order. */
function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const diff = Date.parse(a) - Date.parse(b);
  if (diff !== 0) return diff < 0 ? a : b;
  return a <= b ? a : b;
}

function earliestOf(values: Array<string | undefined>): string | undefined {
  return values.reduce<string | undefined>((acc, v) => earlier(acc, v), undefined);
}

/** The snapshot fields that Stripe may change over an invoice's life, in a fixed order. */
function mutableSnapshot(f: InvoiceFacts): string {
  return JSON.stringify([
    f.customerId,
    f.currency,
    f.collectionMethod ?? null,
    f.dueDate ?? null,
    f.number ?? null,
    f.amountDue,
    f.amountPaid,
    f.amountRemaining,
    f.total,
  ]);
}

/**
 * Total order on observations: by version, then (only for two different snapshots claiming
 * the same version, which Stripe never sends) by snapshot text, so merge stays commutative.
 */
function compareObservations(a: InvoiceFacts, b: InvoiceFacts): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  const sa = mutableSnapshot(a);
  const sb = mutableSnapshot(b);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

/**
 * The join of two observations of the same invoice: commutative, associative, idempotent.
 * Once-only transitions take the earliest value seen; the mutable snapshot comes whole from
 * the newer observation; `subscriptionId`, which Stripe never changes, takes the greatest
 * value seen (any order-free choice would do; only one value ever exists in practice).
 */
export function mergeInvoiceFacts(a: InvoiceFacts, b: InvoiceFacts): InvoiceFacts {
  if (a.invoiceId !== b.invoiceId) {
    throw new InvoiceMismatchError(`cannot merge facts of invoice ${a.invoiceId} with those of ${b.invoiceId}`);
  }
  const newer = compareObservations(a, b) >= 0 ? a : b;
  const subscriptionId =
    a.subscriptionId === undefined
      ? b.subscriptionId
      : b.subscriptionId === undefined || a.subscriptionId >= b.subscriptionId
        ? a.subscriptionId
        : b.subscriptionId;
  return compact({
    invoiceId: a.invoiceId,
    customerId: newer.customerId,
    currency: newer.currency,
    collectionMethod: newer.collectionMethod,
    subscriptionId,
    number: newer.number,
    dueDate: newer.dueDate,
    finalizedAt: earlier(a.finalizedAt, b.finalizedAt),
    paidAt: earlier(a.paidAt, b.paidAt),
    voidedAt: earlier(a.voidedAt, b.voidedAt),
    uncollectibleAt: earlier(a.uncollectibleAt, b.uncollectibleAt),
    firstFailedAt: earlier(a.firstFailedAt, b.firstFailedAt),
    amountDue: newer.amountDue,
    amountPaid: newer.amountPaid,
    amountRemaining: newer.amountRemaining,
    total: newer.total,
    version: newer.version,
  });
}

/** Folds observations grouped by invoice: one merged facts record per invoice id. */
export function mergeObservations(observations: Iterable<InvoiceFacts>): Map<string, InvoiceFacts> {
  const byId = new Map<string, InvoiceFacts>();
  for (const o of observations) {
    const seen = byId.get(o.invoiceId);
    byId.set(o.invoiceId, seen === undefined ? o : mergeInvoiceFacts(seen, o));
  }
  return byId;
}

/**
 * Status from the facts alone. Paid wins over everything (an uncollectible invoice can still be
 * paid); void over uncollectible (an uncollectible invoice can be voided); any transition over
 * open; draft until finalised.
 */
export function invoiceStatus(f: InvoiceFacts): InvoiceStatus {
  if (f.paidAt !== undefined) return 'paid';
  if (f.voidedAt !== undefined) return 'void';
  if (f.uncollectibleAt !== undefined) return 'uncollectible';
  if (f.finalizedAt !== undefined) return 'open';
  return 'draft';
}

/** Drops undefined properties so equal facts are also structurally equal (and store cleanly). */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
