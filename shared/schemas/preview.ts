import * as z from '../zod.ts';
import { policySchema } from '../config/policy.ts';
import { calendarDateSchema } from '../domain/contract.ts';
import { plannedStatusSchema } from '../domain/timing.ts';
import { accountFlagSchema } from './accounts.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';

/**
 * `POST /policy/preview`: the proposed policy, with the schema, defaults and validation of the
 * `WATCHER_POLICY` file (shared/config/policy.ts), so a key left out takes its default exactly
 * as it would in the file, and an unknown key or bad value is a 400 naming it.
 */
export const previewBodySchema = z.strictObject({ policy: policySchema });

export const previewQuerySchema = z.strictObject({
  ...listQuerySchema.shape,
  /** Every account, not only those whose flags would change. */
  all: z.optional(z.enum(['true', 'false'], { message: 'must be true or false' })),
});

const countSchema = z.number().check(z.int(), z.gte(0));

export const previewSummarySchema = z.object({
  /** Accounts examined, from the first page to this one (all of them on the last page). */
  accounts: countSchema,
  /** ...carrying at least one flag under the policy in force. */
  flaggedNow: countSchema,
  /** ...carrying at least one flag under the proposed policy. */
  flaggedUnderPreview: countSchema,
  /** ...with no flag now and at least one under the proposal. */
  newlyFlagged: countSchema,
  /** ...with a flag now and none under the proposal. */
  cleared: countSchema,
});
export type PreviewSummary = z.infer<typeof previewSummarySchema>;

/** The term-end review the timing rule would plan for a newly flagged account under the proposal. */
export const previewReviewSchema = z.object({
  status: plannedStatusSchema,
  /** The term end the decision lands on; absent with no contract on record (the review asks for one). */
  targetEnd: z.optional(calendarDateSchema),
  noticeDeadline: z.optional(calendarDateSchema),
  openAt: z.iso.datetime(),
  dueAt: z.iso.datetime(),
  reasons: z.array(z.string()),
});

export const previewAccountSchema = z.object({
  id: accountIdSchema,
  name: z.optional(z.string()),
  /** The flags under the policy in force, derived from the stored facts at `asOf` (what the account page shows). */
  flagsNow: z.array(accountFlagSchema),
  /** The flags an evaluation under the proposed policy would store at `asOf`. */
  flagsUnderPreview: z.array(accountFlagSchema),
  /** Why the flags hold under the proposal (late-payment and profitability reasons). */
  reasonsUnderPreview: z.array(z.string()),
  reviewUnderPreview: z.optional(previewReviewSchema),
});
export type PreviewAccount = z.infer<typeof previewAccountSchema>;

export const previewResponseSchema = z.object({
  /** The instant every account was assessed at: the first page's, carried by the cursor. */
  asOf: z.iso.datetime(),
  /** The proposed policy with its defaults filled in, as assessed. */
  policy: policySchema,
  summary: previewSummarySchema,
  accounts: z.array(previewAccountSchema),
  nextCursor: z.optional(z.string()),
});
export type PolicyPreview = z.infer<typeof previewResponseSchema>;

/** `GET /policy`: the policy in force (it holds thresholds only, never a secret) and the built-in defaults. */
export const policyResponseSchema = z.object({ policy: policySchema, defaults: policySchema });
export type PolicyAnswer = z.infer<typeof policyResponseSchema>;
