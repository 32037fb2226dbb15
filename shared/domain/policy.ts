import * as z from '../zod.ts';
import { isUtcZone } from './zone.ts';
import { currencySchema, MAX_MONEY_ENTRY } from './money.ts';
import { APPROVAL_MODES } from './approval-modes.ts';

export { currencySchema } from './money.ts';

export const timeZoneSchema = z.string().check(
  z.refine(
    (tz) => {
      // UTC needs no check, and checking would initialise ICU's time-zone data (~20 ms of every
      // cold start) for a zone the date math computes without Intl (domain/zone.ts).
      if (isUtcZone(tz)) return true;
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as "Europe/Madrid"' },
  ),
);

/** Four eyes on terminations (domain/approval.ts): a second person, or one person alone. */
export const approvalModeSchema = z.enum(APPROVAL_MODES, { error: `must be ${APPROVAL_MODES.map((m) => `"${m}"`).join(' or ')}` });
export type ApprovalMode = z.infer<typeof approvalModeSchema>;

const wholeDays = z.number().check(z.int(), z.gte(0));
/** A whole number of at least one. */
const countingNumber = () => z.number().check(z.int(), z.gte(1));

/**
 * The watcher's policy: every threshold the domain rules use. Defaults are those of
 * `../shared/contract.md`; a policy file overrides any subset. Unknown keys are refused so a
 * typo never silently falls back to a default.
 */
export const policySchema = z.strictObject({
  /** Days after the due date (or finalisation) before an unpaid invoice counts as late. */
  graceDays: z._default(wholeDays, 3),
  latePayer: z._default(
    z.strictObject({
      windowDays: z._default(countingNumber(), 365),
      /** Flag when at least this many invoices in the window were late. */
      minLateInvoices: z._default(countingNumber(), 3),
      /** ...or when at least `lateShare` of at least `minInvoicesForShare` invoices were late. */
      minInvoicesForShare: z._default(countingNumber(), 4),
      lateShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
      /** ...or when any invoice is more than this many days overdue right now. */
      overdueDays: z._default(countingNumber(), 30),
    }),
    { windowDays: 365, minLateInvoices: 3, minInvoicesForShare: 4, lateShare: 0.5, overdueDays: 30 },
  ),
  /** Days before the notice deadline that a review opens. */
  reviewLeadDays: z._default(wholeDays, 14),
  /**
   * Minutes a review that Stripe events would open at once waits before it opens (the sweep
   * opens it), so a burst of late or out-of-order events cannot open a review that the next
   * event clears. Reviews opened by a person's action (contract, signal) open at once.
   */
  reviewSettleMinutes: z._default(z.number().check(z.int(), z.gte(0), z.lte(1440)), 60),
  /** Notice period when a contract gives none. */
  noticeDays: z._default(wholeDays, 30),
  reminderOffsetsDays: z._default(z.array(z.number().check(z.int(), z.gte(0))), [60, 30, 7]),
  profitability: z._default(
    z.strictObject({
      minMarginPct: z._default(z.number(), 0),
      minHistoryMonths: z._default(z.number().check(z.int(), z.gte(0)), 3),
      windowMonths: z._default(countingNumber(), 12),
      fixedMonthlyCosts: z._default(
        z.array(
          z
            .strictObject({
              accountId: z.optional(z.string().check(z.minLength(1))),
              plan: z.optional(z.string().check(z.minLength(1))),
              amount: z.number().check(z.int(), z.positive(), z.lte(MAX_MONEY_ENTRY)),
              currency: currencySchema,
              category: z._default(z.enum(['support', 'delivery', 'other']), 'other'),
            })
            .check(
              z.refine((c) => (c.accountId === undefined) !== (c.plan === undefined), {
                message: 'give exactly one of accountId or plan',
              }),
            ),
        ),
        [],
      ),
      /** Optional conversion for a labelled converted total; never used to sum currencies silently. */
      exchangeRates: z.optional(
        z.strictObject({
          date: z.iso.date(),
          base: currencySchema,
          /** Units of `base` per one unit of the keyed currency. */
          rates: z.record(currencySchema, z.number().check(z.positive())),
        }),
      ),
    }),
    { minMarginPct: 0, minHistoryMonths: 3, windowMonths: 12, fixedMonthlyCosts: [] },
  ),
  disputes: z._default(
    z.strictObject({
      windowDays: z._default(countingNumber(), 365),
      minDisputes: z._default(countingNumber(), 2),
    }),
    { windowDays: 365, minDisputes: 2 },
  ),
  /** Business time zone: every calendar date is read in it. */
  timeZone: z._default(timeZoneSchema, 'UTC'),
  forCause: z._default(
    z.strictObject({
      enabled: z._default(z.boolean(), false),
      /** Days an invoice may stay unpaid past due before a for-cause review opens. */
      cureDays: z._default(countingNumber(), 30),
    }),
    { enabled: false, cureDays: 30 },
  ),
  /** Four eyes: a termination needs a second person (an approver) unless `single`. */
  approvals: z._default(z.strictObject({ terminate: z._default(approvalModeSchema, 'two_person') }), { terminate: 'two_person' }),
  /** Who owns a new review, unless the account's overrides name someone. */
  owners: z._default(z.strictObject({ default: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))) }), {}),
  /** Local time of day (in `timeZone`) renewal reminders go out; on AWS the sweep runs hourly at its minute. */
  sweepAt: z._default(z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')), '06:00'),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** The built-in defaults, as the contract states them. */
export const defaultPolicy: Policy = policySchema.parse({});

/** Validates a policy object, naming every offending field. */
export function parsePolicy(input: unknown, source = 'policy'): Policy {
  const result = policySchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new PolicyError(`${source} is invalid: ${problems}`);
  }
  return result.data;
}
