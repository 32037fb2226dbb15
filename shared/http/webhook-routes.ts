import type { EventQueue } from '../ports/event-queue.ts';
import type { Store } from '../store/client.ts';
import { receiveStripeEvent, WebhookRejectedError } from '../usecases/receive-stripe-event.ts';
import type { RouteHandlers } from './app.ts';
import { HttpError } from './errors.ts';

export interface WebhookDeps {
  store: Store;
  queue: EventQueue;
  webhookSecret: () => Promise<string>;
  clock: () => Date;
  /** Counts each delivery's outcome (queued, duplicate, ignored, refused): CloudWatch metrics on AWS. */
  count?: (outcome: string, eventType?: string) => void;
}

/** The webhook route: a thin adapter over receiveStripeEvent (its own module keeps the API function free of the Stripe SDK). */
export function webhookHandlers(deps: WebhookDeps): RouteHandlers {
  return {
    'POST /webhooks/stripe': async (request) => {
      try {
        const result = await receiveStripeEvent(
          { store: deps.store, queue: deps.queue, webhookSecret: deps.webhookSecret, now: deps.clock() },
          { rawBody: request.rawBody, signature: request.headers['stripe-signature'] },
        );
        deps.count?.(result.outcome, result.type);
        return { status: 200, body: { received: true, ...result } };
      } catch (error) {
        if (error instanceof WebhookRejectedError) {
          deps.count?.('refused');
          throw new HttpError(error.code === 'payload_too_large' ? 413 : 400, error.code, error.message, undefined, { cause: error });
        }
        throw error;
      }
    },
  };
}
