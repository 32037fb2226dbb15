import * as z from '../zod.ts';

/** Local-mode administration: the manual sweep and the local queue's dead letters. */
export const sweepBodySchema = z.strictObject({ now: z.optional(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp' })) });

export const redriveBodySchema = z.strictObject({});

/** What one sweep run did (the scheduled function logs it; POST /admin/sweep answers it). */
export const sweepResultSchema = z.object({
  daysRead: z.int(),
  /** False when the run stopped at MAX_DAYS_PER_RUN before today: the next run carries on. */
  caughtUp: z.boolean(),
  accountsReevaluated: z.int(),
  reviewsOpened: z.int(),
  notificationsRecorded: z.int(),
  failures: z.int(),
});
export type SweepResult = z.infer<typeof sweepResultSchema>;

export const sweepResponseSchema = z.object({
  now: z.iso.datetime(),
  ...sweepResultSchema.shape,
  /** Notifications handed to the channels after the sweep (local mode: log lines). */
  dispatched: z.optional(z.int()),
  /** The email digest, per recipient, when it is configured. */
  digests: z.optional(z.record(z.string(), z.enum(['sent', 'nothing_to_say', 'already_claimed', 'dead_lettered']))),
});

/** A dead-lettered event, as the local queue reports it: enough to find it in Stripe, nothing more. */
export const deadLetterSchema = z.object({
  messageId: z.string(),
  eventId: z.optional(z.string()),
  eventType: z.optional(z.string()),
  receiveCount: z.int(),
  deadAt: z.iso.datetime(),
});
export const deadLettersResponseSchema = z.object({ items: z.array(deadLetterSchema) });
export const redriveResponseSchema = z.object({ redriven: z.int() });
