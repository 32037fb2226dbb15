import * as z from '../zod.ts';
import { currencySchema } from './money.ts';
import { DAY_MS, wholeDaysBetween } from './days.ts';
import type { Policy } from './policy.ts';
import { invoiceStatus, invoiceStatusSchema, mergeObservations, type InvoiceFacts, type InvoiceStatus } from './invoice.ts';

/**
 * The late-payer rule (domain.md, "Late payment"): a pure function of stored invoice facts,
 * the policy and `now`.
 *
 * Decisions made here, so every caller reads them the same way:
 * - Days are whole elapsed 24-hour days from the due instant: floor((t − due) / 86,400,000).
 *   Stripe's `due_date` is an instant, not a calendar date. An invoice is late when it was paid,
 *   or is still unpaid, more than `graceDays` whole days after its due reference (so with 3
 *   grace days, paid 3 days 23 hours after due is on time, 4 days after is late), and overdue
 *   "more than 30 days" means at least 31 whole days.
 * - The due reference is `dueDate`, or `finalizedAt` when there is no due date.
 * - The window holds invoices whose due reference is later than now − windowDays, once they can
 *   be judged: an open invoice not yet due is left out until its due date (it can be neither late
 *   nor on time yet, and counting it would let every new invoice dilute the late share: 2 late of
 *   4 flags, and a fifth just issued would clear the flag for its whole payment term). One paid
 *   early counts (on time), as does one marked uncollectible early (a default). Drafts never count.
 * - Invoices with nothing to pay (`amountDue` ≤ 0: zero totals, or covered by credit) are left
 *   out: they cannot be paid late and would only dilute the late share.
 * - Stored facts are taken as known even if stamped after `now` (clock skew, or a sweep run as if
 *   in the past); `now` only measures elapsed time and places the window.
 * - Facts may hold several observations of one invoice; they are merged by invoice id first.
 */

export const latePaymentEvidenceSchema = z.object({
  invoiceId: z.string().check(z.minLength(1)),
  number: z.optional(z.string()),
  currency: currencySchema,
  amountDue: z.number().check(z.int()),
  /** Still owed now (0 once paid). */
  amountRemaining: z.number().check(z.int()),
  dueDate: z.optional(z.iso.datetime()),
  finalizedAt: z.iso.datetime(),
  /** Whole days past the due reference: until payment, voiding, or now while unpaid. */
  daysLate: z.number().check(z.int(), z.gte(0)),
  status: invoiceStatusSchema,
  /** Marked uncollectible (and not paid since) or voided while overdue. */
  default: z.boolean(),
  /** False for an invoice older than the window that is listed because it is still unpaid. */
  inWindow: z.boolean(),
});
export type LatePaymentEvidence = z.infer<typeof latePaymentEvidenceSchema>;

export const latePaymentProfileSchema = z.object({
  /** Invoices in the window, voided ones left out (except defaults). */
  invoiceCount: z.number().check(z.int(), z.gte(0)),
  lateInvoices: z.number().check(z.int(), z.gte(0)),
  /** Largest whole days past the due reference among invoices unpaid now, whatever their age. */
  maxDaysOverdue: z.number().check(z.int(), z.gte(0)),
  defaults: z.number().check(z.int(), z.gte(0)),
  latePayer: z.boolean(),
  /** Why the flag holds; empty when it does not. */
  reasons: z.array(z.string()),
  evidence: z.array(latePaymentEvidenceSchema),
  /** Earliest instant after `now` at which time alone changes this profile. */
  nextChangeAt: z.optional(z.iso.datetime()),
});
export type LatePaymentProfile = z.infer<typeof latePaymentProfileSchema>;

/** One invoice judged at `now`. */
interface Assessment {
  facts: InvoiceFacts;
  status: InvoiceStatus;
  refMs: number;
  /** Counts in invoiceCount when in the window. */
  counted: boolean;
  late: boolean;
  isDefault: boolean;
  daysLate: number;
  /** Whole days past due while unpaid now, when it counts toward maxDaysOverdue. */
  overdueDays: number | undefined;
  /** Unpaid and judged against `now`: its days change at every whole-day boundary. */
  ticking: boolean;
}

function assess(f: InvoiceFacts, graceDays: number, nowMs: number): Assessment | undefined {
  if (f.finalizedAt === undefined || f.amountDue <= 0) return undefined;
  const status = invoiceStatus(f);
  const refMs = Date.parse(f.dueDate ?? f.finalizedAt);
  // Without a due date the invoice is charged automatically: being slow is the card's doing
  // unless an attempt failed (being marked uncollectible implies one did).
  const accountable = f.dueDate !== undefined || f.firstFailedAt !== undefined || f.uncollectibleAt !== undefined;
  // Paid and voided invoices are settled: nothing about them moves with time.
  const settled = { facts: f, status, refMs, overdueDays: undefined, ticking: false };
  const base = { facts: f, status, refMs };
  switch (status) {
    case 'paid': {
      const days = Math.max(0, wholeDaysBetween(refMs, Date.parse(f.paidAt as string)));
      const late = accountable && days > graceDays;
      return { ...settled, counted: true, late, isDefault: false, daysLate: accountable ? days : 0 };
    }
    case 'void': {
      const days = Math.max(0, wholeDaysBetween(refMs, Date.parse(f.voidedAt as string)));
      const overdue = accountable && days > graceDays;
      // Voiding is usually a correction and is left out; voiding a debt already overdue is a write-off.
      return { ...settled, counted: overdue, late: overdue, isDefault: overdue, daysLate: overdue ? days : 0 };
    }
    case 'uncollectible': {
      const days = wholeDaysBetween(refMs, nowMs);
      return {
        ...base,
        counted: true,
        late: true,
        isDefault: true,
        daysLate: Math.max(0, days),
        overdueDays: nowMs > refMs ? days : undefined,
        ticking: true,
      };
    }
    case 'open': {
      const days = wholeDaysBetween(refMs, nowMs);
      return {
        ...base,
        counted: true,
        late: accountable && days > graceDays,
        isDefault: false,
        daysLate: accountable ? Math.max(0, days) : 0,
        overdueDays: accountable && nowMs > refMs ? days : undefined,
        ticking: accountable,
      };
    }
    case 'draft':
      return undefined;
  }
}

/** Open and before its due reference: not judged yet (see the decisions above). */
function notYetDue(a: Assessment, nowMs: number): boolean {
  return a.status === 'open' && a.refMs > nowMs;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function toMs(now: Date | string): number {
  const ms = typeof now === 'string' ? Date.parse(now) : now.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`now is not a valid date: ${String(now)}`);
  return ms;
}

/**
 * The late-payment profile of one account at `now`.
 *
 * Steps: merge observations per invoice; judge each finalised invoice (late, default, days);
 * count those in the window; take the largest days-overdue among invoices unpaid now, whatever
 * their age; apply the three flag conditions; list the evidence; find the next instant at
 * which time alone changes the result (an unpaid invoice's day count ticking over, which moves
 * it past its grace period or past `overdueDays`, an invoice entering the window at its due date,
 * or one leaving it).
 */
export function latePaymentProfile(invoices: InvoiceFacts[], policy: Policy, now: Date | string): LatePaymentProfile {
  const nowMs = toMs(now);
  const { graceDays } = policy;
  const { windowDays, minLateInvoices, minInvoicesForShare, lateShare, overdueDays } = policy.latePayer;
  const windowStartMs = nowMs - windowDays * DAY_MS;

  const assessed: Array<Assessment & { inWindow: boolean }> = [];
  for (const f of mergeObservations(invoices).values()) {
    const a = assess(f, graceDays, nowMs);
    if (a !== undefined) assessed.push({ ...a, inWindow: a.refMs > windowStartMs && !notYetDue(a, nowMs) });
  }
  // Input order must not matter: everything below reads the invoices in this order.
  assessed.sort((x, y) => x.refMs - y.refMs || (x.facts.invoiceId < y.facts.invoiceId ? -1 : 1));

  let invoiceCount = 0;
  let lateInvoices = 0;
  let defaults = 0;
  let maxDaysOverdue = 0;
  let mostOverdue: InvoiceFacts | undefined;
  let nextChangeMs = Infinity;
  const evidence: LatePaymentEvidence[] = [];

  for (const a of assessed) {
    // Open and not yet due: it enters the counts at its due reference.
    if (notYetDue(a, nowMs)) nextChangeMs = Math.min(nextChangeMs, a.refMs);
    if (a.counted && a.inWindow) {
      invoiceCount += 1;
      if (a.late) lateInvoices += 1;
      if (a.isDefault) defaults += 1;
      // It leaves the window when refMs is no longer later than now − windowDays.
      nextChangeMs = Math.min(nextChangeMs, a.refMs + windowDays * DAY_MS);
    }
    if (a.overdueDays !== undefined && a.overdueDays > maxDaysOverdue) {
      maxDaysOverdue = a.overdueDays;
      mostOverdue = a.facts;
    }
    if (a.ticking) {
      // Next whole-day boundary after now; before the due reference the first change is day 1.
      const k = Math.max(1, wholeDaysBetween(a.refMs, nowMs) + 1);
      nextChangeMs = Math.min(nextChangeMs, a.refMs + k * DAY_MS);
    }
    const unpaid = a.status === 'open' || a.status === 'uncollectible';
    if (a.late && (a.inWindow || unpaid)) {
      const f = a.facts;
      evidence.push({
        invoiceId: f.invoiceId,
        ...(f.number !== undefined && { number: f.number }),
        currency: f.currency,
        amountDue: f.amountDue,
        amountRemaining: unpaid ? f.amountRemaining : 0,
        ...(f.dueDate !== undefined && { dueDate: f.dueDate }),
        finalizedAt: f.finalizedAt as string,
        daysLate: a.daysLate,
        status: a.status,
        default: a.isDefault,
        inWindow: a.inWindow,
      });
    }
  }

  const reasons: string[] = [];
  const inDays = `in the last ${windowDays} days`;
  if (lateInvoices >= minLateInvoices) {
    reasons.push(`${plural(lateInvoices, 'late invoice', 'late invoices')} ${inDays} (threshold ${minLateInvoices})`);
  }
  // Division, not lateShare × count: 3/10 >= 0.3 holds, 3 >= 0.3 × 10 does not in floating point.
  if (invoiceCount >= minInvoicesForShare && lateInvoices / invoiceCount >= lateShare) {
    reasons.push(
      `${lateInvoices} of ${plural(invoiceCount, 'invoice', 'invoices')} late ${inDays} ` +
        `(${Math.round((lateInvoices / invoiceCount) * 100)}%, threshold ${Math.round(lateShare * 100)}% of at least ${minInvoicesForShare})`,
    );
  }
  if (maxDaysOverdue > overdueDays && mostOverdue !== undefined) {
    reasons.push(`invoice ${mostOverdue.number ?? mostOverdue.invoiceId} is ${maxDaysOverdue} days overdue (more than ${overdueDays})`);
  }
  const latePayer = reasons.length > 0;
  if (latePayer && defaults > 0) {
    reasons.push(`${plural(defaults, 'invoice', 'invoices')} ${inDays} defaulted (marked uncollectible or voided while overdue)`);
  }

  return {
    invoiceCount,
    lateInvoices,
    maxDaysOverdue,
    defaults,
    latePayer,
    reasons,
    evidence,
    ...(Number.isFinite(nextChangeMs) && { nextChangeAt: new Date(nextChangeMs).toISOString() }),
  };
}

export const paymentHistoryEntrySchema = z.object({
  invoiceId: z.string(),
  number: z.optional(z.string()),
  currency: currencySchema,
  amountDue: z.number().check(z.int()),
  /** The due reference: the due date, or finalisation for an invoice charged automatically. */
  dueAt: z.iso.datetime(),
  paidAt: z.optional(z.iso.datetime()),
  /** Whole days past the due reference (paid, voided, or now while unpaid); 0 when early or on time. */
  daysLate: z.number().check(z.int(), z.gte(0)),
  status: invoiceStatusSchema,
  late: z.boolean(),
});
export type PaymentHistoryEntry = z.infer<typeof paymentHistoryEntrySchema>;

/**
 * Every finalised invoice whose due reference falls in the last `months` months (voided ones
 * included), oldest first, judged exactly as the late-payment profile judges them: the data
 * behind the dashboard's payment-history chart.
 */
export function paymentHistory(invoices: InvoiceFacts[], policy: Policy, now: Date | string, months = 13): PaymentHistoryEntry[] {
  const nowMs = toMs(now);
  const fromMs = nowMs - Math.round(months * 30.44) * DAY_MS;
  const out: PaymentHistoryEntry[] = [];
  for (const f of mergeObservations(invoices).values()) {
    const a = assess(f, policy.graceDays, nowMs);
    if (a === undefined || a.refMs < fromMs) continue;
    out.push({
      invoiceId: f.invoiceId,
      ...(f.number !== undefined && { number: f.number }),
      currency: f.currency,
      amountDue: f.amountDue,
      dueAt: new Date(a.refMs).toISOString(),
      ...(f.paidAt !== undefined && a.status === 'paid' && { paidAt: f.paidAt }),
      daysLate: a.daysLate,
      status: a.status,
      late: a.late,
    });
  }
  return out.sort((x, y) => (x.dueAt < y.dueAt ? -1 : x.dueAt > y.dueAt ? 1 : x.invoiceId < y.invoiceId ? -1 : 1));
}
