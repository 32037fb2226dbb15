import { logger } from '../powertools.ts';
import type { EventQueue } from '../ports/event-queue.ts';
import type { Store } from '../store/client.ts';
import { recordEventReceipt } from '../store/stripe-event.ts';
import { handledEventTypes, stripeEventSchema, type QueuedEvent } from '../stripe/events.ts';
import { verifyStripeSignature } from '../stripe/webhook-signature.ts';
import type { ReceiveOutcome } from '../schemas/webhook.ts';

/** Stripe's own default: a signature older than five minutes is refused (replay protection). */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** Stripe events are a few kilobytes; anything this large is refused before it is parsed. */
export const MAX_WEBHOOK_BYTES = 512 * 1024;

export class WebhookRejectedError extends Error {
  override readonly name = 'WebhookRejectedError';
  constructor(
    readonly code: 'missing_signature' | 'invalid_signature' | 'malformed_event' | 'payload_too_large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReceiveStripeEventDeps {
  store: Store;
  queue: EventQueue;
  /** The `whsec_…` secret (from Secrets Manager on AWS, cached). */
  webhookSecret: () => Promise<string>;
  now: Date;
  toleranceSeconds?: number;
}

export type { ReceiveOutcome };

/**
 * Accepts one Stripe webhook delivery.
 * 1. Refuse oversize bodies, then verify the signature over the raw bytes (nothing is parsed before).
 * 2. Validate the event envelope.
 * 3. Acknowledge types outside the allow-list without storing anything.
 * 4. Queue it for the processor (if that fails: 500, nothing recorded, Stripe retries).
 * 5. Record the event id once (conditional write); a redelivery is answered `duplicate`.
 */
export async function receiveStripeEvent(deps: ReceiveStripeEventDeps, request: { rawBody: Buffer; signature: string | undefined }): Promise<ReceiveOutcome> {
  if (request.rawBody.byteLength > MAX_WEBHOOK_BYTES) {
    throw new WebhookRejectedError('payload_too_large', `body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
  }
  if (!request.signature) {
    throw new WebhookRejectedError('missing_signature', 'Stripe-Signature header is missing');
  }
  const secret = await deps.webhookSecret();
  try {
    verifyStripeSignature(request.rawBody, request.signature, secret, deps.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS, deps.now.getTime());
  } catch (cause) {
    throw new WebhookRejectedError('invalid_signature', `signature check failed: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch (cause) {
    throw new WebhookRejectedError('malformed_event', 'body is not valid JSON', { cause });
  }
  const parsed = stripeEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WebhookRejectedError(
      'malformed_event',
      `body is not a Stripe event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const event = parsed.data;
  if (!handledEventTypes.has(event.type)) {
    logger.info('stripe event ignored', { eventId: event.id, eventType: event.type, metric: 'IgnoredStripeEvent' });
    return { outcome: 'ignored', eventId: event.id, type: event.type };
  }
  const queued: QueuedEvent = {
    id: event.id,
    type: event.type,
    created: event.created,
    api_version: event.api_version,
    livemode: event.livemode,
    data: { object: event.data.object },
  };
  // Queue first, then record the receipt: a crash between the two leaves an event queued
  // without a receipt, so Stripe's retry is queued again (processing is idempotent), never
  // an event recorded as received but never queued. A redelivery is queued again for the
  // same reason: the first attempt may have died before queueing, and applying it twice
  // changes nothing.
  await deps.queue.send(queued);
  const receipt = await recordEventReceipt(deps.store, {
    eventId: event.id,
    type: event.type,
    created: event.created,
    receivedAt: deps.now.toISOString(),
  });
  if (receipt === 'duplicate') {
    logger.info('stripe event redelivered', { eventId: event.id, eventType: event.type });
    return { outcome: 'duplicate', eventId: event.id, type: event.type };
  }
  return { outcome: 'queued', eventId: event.id, type: event.type };
}
