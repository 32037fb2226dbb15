import * as z from '../zod.ts';
import { calendarFeedSchema } from '../store/calendar-feed.ts';
import { deliveryClaimSchema } from '../store/delivery.ts';

/** `POST /calendar-feeds`: a name people recognise the feed by (it appears in no calendar). */
export const calendarFeedBodySchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
});

/** The answer to a create: the only time the secret URL is shown. */
export const calendarFeedCreatedSchema = z.object({ id: z.string(), name: z.string(), url: z.string(), createdAt: z.iso.datetime() });

export const calendarFeedPathSchema = z.strictObject({
  feedId: z.string().check(z.regex(/^cf_[0-9a-f]{32}$/, 'is not a calendar feed id')),
});

/** `<secret>.ics`: 43 base64url characters (256 bits); anything else is a 404 like an unknown secret. */
export const calendarFilePathSchema = z.strictObject({
  feedFile: z.string().check(z.maxLength(200)),
});

export const calendarFeedListSchema = z.object({ items: z.array(calendarFeedSchema), nextCursor: z.optional(z.string()) });

export const deliveryDeadLetterListSchema = z.object({ items: z.array(deliveryClaimSchema), nextCursor: z.optional(z.string()) });

/** `POST /deliveries/dead-letters/resend`: one dead-lettered Slack message, by its key (the notification id). */
export const deliveryResendBodySchema = z.strictObject({
  channel: z.literal('slack').check(z.describe('Slack only: a digest needs no resend, the next one covers what a dead one held')),
  messageKey: z.string().check(z.minLength(1), z.maxLength(512)),
});
export type DeliveryResendBody = z.infer<typeof deliveryResendBodySchema>;

export const deliveryResendQueuedSchema = z.object({ channel: z.literal('slack'), messageKey: z.string(), queuedAt: z.iso.datetime() });
