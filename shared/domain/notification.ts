import * as z from '../zod.ts';

export const notificationTypeSchema = z.enum(['renewal_reminder', 'review_opened']);

/** A notification as finance reads it (`GET /notifications`) and as channels carry it. */
export const notificationSchema = z.object({
  id: z.string(),
  type: notificationTypeSchema,
  accountId: z.string(),
  sentAt: z.string(),
  offsetDays: z.optional(z.number().check(z.int())),
  taskId: z.optional(z.string()),
  subject: z.string(),
  text: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type Notification = z.infer<typeof notificationSchema>;

/** Beside a notice deadline: the days left to it, or, once it has passed, to the decision before the term ends. */
export function daysLeftNote(passed: boolean, daysLeft: number | undefined): string {
  if (passed) return daysLeft === undefined ? ' (passed)' : ` (passed; ${daysLeft} days left to decide)`;
  return daysLeft === undefined ? '' : ` (${daysLeft} days left)`;
}
