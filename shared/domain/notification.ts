import * as z from 'zod';

export const notificationTypeSchema = z.enum(['renewal_reminder', 'review_opened']);

/** A notification as finance reads it (`GET /notifications`) and as channels carry it. */
export const notificationSchema = z.object({
  id: z.string(),
  type: notificationTypeSchema,
  accountId: z.string(),
  sentAt: z.string(),
  offsetDays: z.number().int().optional(),
  taskId: z.string().optional(),
  subject: z.string(),
  text: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type Notification = z.infer<typeof notificationSchema>;
