import * as z from '../zod.ts';
import { calendarDateSchema } from '../domain/contract.ts';
import { taskStatusSchema } from '../domain/review.ts';
import { accountIdSchema, listQuerySchema } from './common.ts';

export const taskIdSchema = z.string().check(z.minLength(3), z.maxLength(300), z.regex(/^[A-Za-z0-9_\-.]+~(r|fc)\d+$/, 'is not a task id'));
export const taskPathSchema = z.object({ taskId: taskIdSchema });

/** Most rows one CSV export of the tasks holds (format=csv without a limit); beyond it the X-Next-Cursor header carries on. */
export const CSV_EXPORT_MAX_ROWS = 10_000;

export const taskListQuerySchema = z.strictObject({
  ...listQuerySchema.shape,
  status: z.optional(taskStatusSchema),
  accountId: z.optional(accountIdSchema),
  /** A calendar date (tasks due before its start) or an ISO timestamp. */
  dueBefore: z.optional(z.union([calendarDateSchema, z.iso.datetime({ offset: true })], { error: 'must be YYYY-MM-DD or an ISO 8601 timestamp' })),
  format: z._default(z.enum(['json', 'csv']), 'json'),
  /** A person's name, or `me` for the caller. */
  assignee: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});
