import * as z from '../zod.ts';

/** What the webhook did with a verified event. */
export const receiveOutcomeSchema = z.object({
  outcome: z.enum(['queued', 'duplicate', 'ignored']),
  eventId: z.string(),
  type: z.string(),
});
export type ReceiveOutcome = z.infer<typeof receiveOutcomeSchema>;

export const webhookResponseSchema = z.object({ received: z.literal(true), ...receiveOutcomeSchema.shape });

export const stripeSignatureHeaderSchema = z.object({
  'Stripe-Signature': z.string().check(z.describe('`t=<unix seconds>,v1=<hex HMAC-SHA256>`, made with the endpoint secret (whsec_…)')),
});
