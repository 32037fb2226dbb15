import * as z from '../zod.ts';
import { accountFlagSchema } from '../domain/assessment.ts';
import { listQuerySchema } from './common.ts';

export const renewalsQuerySchema = z.strictObject({
  ...listQuerySchema.shape,
  withinDays: z._default(z.coerce.number().check(z.int('must be a whole number of days'), z.gte(0), z.lte(3650)), 90),
});

/** One item of GET /renewals (not the contract's renewal kind: that is `renewalSchema` in domain/contract.ts). */
export const renewalItemSchema = z.object({
  accountId: z.string(),
  name: z.optional(z.string()),
  noticeDeadline: z.string(),
  termEnd: z.string(),
  renewal: z.string(),
  /** Days from now to the end of the notice deadline's day. */
  daysLeft: z.int(),
  flags: z.array(accountFlagSchema),
  /** Higher is riskier to let roll. */
  riskRank: z.int(),
});
export type RenewalItem = z.infer<typeof renewalItemSchema>;
