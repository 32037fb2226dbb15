import * as z from '../zod.ts';

/** Invoice events whose object is an invoice; each one is an observation of the invoice's facts. */
export const invoiceEventTypes = [
  'invoice.finalized',
  'invoice.updated',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.overdue',
  'invoice.marked_uncollectible',
  'invoice.voided',
] as const;

export const customerEventTypes = ['customer.created', 'customer.updated', 'customer.deleted'] as const;

/** Events that carry contract terms: subscriptions, schedules, and the upcoming-renewal notice. */
export const subscriptionEventTypes = ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted'] as const;
export const scheduleEventTypes = [
  'subscription_schedule.created',
  'subscription_schedule.updated',
  'subscription_schedule.released',
  'subscription_schedule.canceled',
  'subscription_schedule.completed',
  'subscription_schedule.expiring',
] as const;
export const upcomingInvoiceEventTypes = ['invoice.upcoming'] as const;

/** Revenue: charges (whose customer a refund or dispute belongs to), refunds and disputes. */
export const chargeEventTypes = ['charge.succeeded', 'charge.refunded'] as const;
export const refundEventTypes = ['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated'] as const;
export const disputeEventTypes = [
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
] as const;

/** The allow-list: every other type is acknowledged and counted, never stored as a fact. */
export const handledEventTypes: ReadonlySet<string> = new Set<string>([
  ...invoiceEventTypes,
  ...customerEventTypes,
  ...subscriptionEventTypes,
  ...scheduleEventTypes,
  ...upcomingInvoiceEventTypes,
  ...chargeEventTypes,
  ...refundEventTypes,
  ...disputeEventTypes,
]);

/**
 * The envelope every Stripe snapshot event has, across API versions. The object inside is
 * validated by the domain module that reads it.
 */
export const stripeEventSchema = z.object({
  id: z.string().check(z.regex(/^evt_\w+$/, 'must be a Stripe event id (evt_…)')),
  object: z.literal('event'),
  type: z.string().check(z.minLength(1), z.maxLength(100)),
  created: z.number().check(z.int(), z.positive()),
  api_version: z.nullish(z.string()),
  livemode: z.optional(z.boolean()),
  data: z.object({
    object: z.looseObject({ object: z.string() }),
  }),
});

/** What travels on the queue: the envelope without `previous_attributes`, request details and the like. */
export const queuedEventSchema = z.pick(stripeEventSchema, { id: true, type: true, created: true, api_version: true, livemode: true, data: true });
export type QueuedEvent = z.infer<typeof queuedEventSchema>;

// Pure, and used by the domain's merges: defined there, kept importable from here.
export { observationInstant, observationVersion } from '../domain/observation.ts';
