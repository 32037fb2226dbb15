import * as z from 'zod';
import { calendarDateSchema } from '../domain/contract.ts';
import { notificationTypeSchema } from '../domain/notification.ts';
import { taskStatusSchema } from '../domain/review.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';

export const taskIdSchema = z.string().min(3).max(300).regex(/^[A-Za-z0-9_\-.]+~(r|fc)\d+$/, 'is not a task id');
export const taskPathSchema = z.object({ taskId: taskIdSchema });

export const taskListQuerySchema = listQuerySchema
  .extend({
    status: taskStatusSchema.optional(),
    accountId: accountIdSchema.optional(),
    /** A calendar date (tasks due before its start) or an ISO timestamp. */
    dueBefore: z.union([calendarDateSchema, z.iso.datetime({ offset: true })], { error: 'must be YYYY-MM-DD or an ISO 8601 timestamp' }).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export const renewalsQuerySchema = listQuerySchema
  .extend({ withinDays: z.coerce.number().int('must be a whole number of days').min(0).max(3650).default(90) })
  .strict();

export const notificationsQuerySchema = listQuerySchema
  .extend({ accountId: accountIdSchema.optional(), type: notificationTypeSchema.optional() })
  .strict();
