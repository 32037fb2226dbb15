import * as z from 'zod';
import { accountFlagSchema } from '../store/account.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';
import { latePaymentEvidenceSchema } from '../domain/late-payment.ts';
import { humanSignalSchema, overridesBodySchema } from '../domain/account-inputs.ts';

export const latePaymentViewSchema = z.object({
  invoiceCount: z.number().int(),
  lateInvoices: z.number().int(),
  maxDaysOverdue: z.number().int(),
  defaults: z.number().int(),
  reasons: z.array(z.string()),
});

export const profitabilityRowSchema = z.object({
  currency: z.string(),
  revenue: z.number().int(),
  cost: z.number().int(),
  margin: z.number().int(),
  marginPct: z.number().nullable().optional(),
});

export const contractViewSchema = z.object({
  endDate: z.string(),
  noticeDays: z.number().int(),
  renewal: z.enum(['auto', 'fixed', 'evergreen']),
  renewalTermMonths: z.number().int().optional(),
  source: z.string(),
  /** The notice deadline of the upcoming term (rolled forward for auto and evergreen terms). */
  noticeDeadline: z.string().nullable(),
  upcomingTermEnd: z.string().nullable(),
});

export const accountViewSchema = z.object({
  id: accountIdSchema,
  name: z.string().optional(),
  deleted: z.boolean().optional(),
  flags: z.array(accountFlagSchema),
  latePayment: latePaymentViewSchema.extend({
    evidence: z.array(latePaymentEvidenceSchema).optional(),
  }),
  profitability: z.array(profitabilityRowSchema),
  /** Why the profitability flags hold: top costs, refunds and disputes in the window. */
  profitabilityEvidence: z.record(z.string(), z.unknown()).optional(),
  /** Human signals in force (recorded in the late-payer window, not excluded). */
  signals: z.array(humanSignalSchema).optional(),
  overrides: overridesBodySchema.optional(),
  contract: contractViewSchema.optional(),
  openTasks: z.array(z.string()).optional(),
  evaluatedAt: z.string().optional(),
});
export type AccountView = z.infer<typeof accountViewSchema>;

export const accountSummarySchema = accountViewSchema.omit({ latePayment: true }).extend({ latePayment: latePaymentViewSchema });

export const accountPathSchema = z.object({ accountId: accountIdSchema });
export const accountListQuerySchema = listQuerySchema.extend({ flag: accountFlagSchema });
