import * as z from '../zod.ts';
import { currencySchema } from './money.ts';
import { compact, earlier } from './observation.ts';

/**
 * What Termwatch keeps about one Stripe invoice, and how observations of it combine.
 *
 * Stripe delivers events more than once and out of order, so every event is turned into an
 * *observation* (`observeInvoice`, shared/stripe/invoice.ts) and observations are combined with `mergeInvoiceFacts`, a
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

/** Merging facts of two different invoices is a programming error, never a data condition. */
export class InvoiceMismatchError extends Error {
  override readonly name = 'InvoiceMismatchError';
}

// --- Merging observations ----------------------------------------------------------------------

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
