import * as z from '../zod.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';
import { latePaymentEvidenceSchema, paymentHistoryEntrySchema } from '../domain/late-payment.ts';
import { humanSignalSchema, overridesBodySchema } from '../domain/account-inputs.ts';
import { monthlyProfitRowSchema } from '../domain/monthly-profit.ts';

import { accountFlagSchema } from '../domain/assessment.ts';

export { accountFlagSchema, type AccountFlag } from '../domain/assessment.ts';

export const latePaymentViewSchema = z.object({
  invoiceCount: z.number().check(z.int()),
  lateInvoices: z.number().check(z.int()),
  maxDaysOverdue: z.number().check(z.int()),
  defaults: z.number().check(z.int()),
  reasons: z.array(z.string()),
});

export const profitabilityRowSchema = z.object({
  currency: z.string(),
  revenue: z.number().check(z.int()),
  cost: z.number().check(z.int()),
  margin: z.number().check(z.int()),
  marginPct: z.optional(z.nullable(z.number())),
});

export const contractViewSchema = z.object({
  endDate: z.string(),
  noticeDays: z.number().check(z.int()),
  renewal: z.enum(['auto', 'fixed', 'evergreen']),
  renewalTermMonths: z.optional(z.number().check(z.int())),
  /** The contract's cure period for non-payment, when it gives one (the for-cause track). */
  cureDays: z.optional(z.number().check(z.int())),
  source: z.string(),
  /**
   * The notice deadline (E − N) of the upcoming term, rolled forward for auto and evergreen terms;
   * for a fixed term whose deadline has passed, that passed deadline.
   */
  noticeDeadline: z.string(),
  /** True only for a fixed term whose notice deadline has passed (it ends at `endDate` unless renewed). */
  noticeDeadlinePassed: z.boolean(),
  /** The term end `noticeDeadline` belongs to; null once a fixed term's deadline has passed. */
  upcomingTermEnd: z.nullable(z.string()),
});

/**
 * What an evaluation keeps on the account item for lists (`GET /accounts?flag=`, `GET /renewals`),
 * so they need no recomputation: the late-payment counts, profitability by currency, and the
 * contract view when there is a contract.
 */
export const evaluationSummarySchema = z.object({
  latePayment: latePaymentViewSchema,
  profitability: z.array(profitabilityRowSchema),
  contract: z.optional(contractViewSchema),
});
export type EvaluationSummary = z.infer<typeof evaluationSummarySchema>;

export const accountViewSchema = z.object({
  id: accountIdSchema,
  name: z.optional(z.string()),
  deleted: z.optional(z.boolean()),
  flags: z.array(accountFlagSchema),
  latePayment: z.extend(latePaymentViewSchema, {
    evidence: z.optional(z.array(latePaymentEvidenceSchema)),
  }),
  profitability: z.array(profitabilityRowSchema),
  /**
   * The last 12 calendar months (policy zone), per currency, never summed across currencies:
   * revenue from paid invoices by payment month, cost from entries by date plus fixed monthly costs.
   */
  monthly: z.optional(
    z
      .array(monthlyProfitRowSchema)
      .check(z.describe('Revenue (paid invoices) against cost per calendar month and currency, last 12 months, integer minor units; currencies never summed')),
  ),
  /** Why the profitability flags hold: top costs, refunds and disputes in the window. */
  profitabilityEvidence: z.optional(z.record(z.string(), z.unknown())),
  /** Human signals in force (recorded in the late-payer window, not excluded). */
  signals: z.optional(z.array(humanSignalSchema)),
  overrides: z.optional(overridesBodySchema),
  contract: z.optional(contractViewSchema),
  /** Each invoice of the last 13 months with its days late (the dashboard's payment-history chart). */
  paymentHistory: z.optional(z.array(paymentHistoryEntrySchema)),
  /** The policy's grace days, the line the chart draws. */
  graceDays: z.optional(z.number().check(z.int())),
  openTasks: z.optional(z.array(z.string())),
  evaluatedAt: z.optional(z.string()),
});
export type AccountView = z.infer<typeof accountViewSchema>;

export const accountSummarySchema = z.extend(z.omit(accountViewSchema, { latePayment: true }), { latePayment: latePaymentViewSchema });

export const accountPathSchema = z.object({ accountId: accountIdSchema });
export const accountListQuerySchema = z.strictObject({ ...listQuerySchema.shape, flag: accountFlagSchema });
