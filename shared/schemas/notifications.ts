import * as z from '../zod.ts';
import { notificationTypeSchema } from '../domain/notification.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';

export const notificationsQuerySchema = z.strictObject({
  ...listQuerySchema.shape,
  accountId: z.optional(accountIdSchema),
  type: z.optional(notificationTypeSchema),
});
