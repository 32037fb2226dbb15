import type { QueuedEvent } from '../stripe/events.ts';

/** Where accepted Stripe events wait for the processor: SQS on AWS, a durable spool locally. */
export interface EventQueue {
  send(event: QueuedEvent): Promise<void>;
}
