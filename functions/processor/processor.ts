import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Policy } from '../../shared/domain/policy.ts';
import { logger } from '../../shared/powertools.ts';
import type { Store } from '../../shared/store/client.ts';
import { queuedEventSchema } from '../../shared/stripe/events.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';

export interface ProcessorDeps {
  store: Store;
  policy: Policy;
  clock: () => Date;
}

/**
 * The event processor: applies each queued Stripe event and reports the ones that failed, so
 * SQS redelivers only those (and dead-letters them after the queue's maxReceiveCount).
 * Shared by the Lambda handler and the local runner; safe to call for several batches at once.
 */
export function createProcessor(deps: ProcessorDeps, options: { throwOnFullBatchFailure?: boolean } = {}) {
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const event = queuedEventSchema.parse(JSON.parse(record.body));
    const result = await applyStripeEvent(deps, event, deps.clock());
    logger.debug('stripe event applied', { eventId: event.id, eventType: event.type, ...result });
  };
  // One BatchProcessor per batch: it keeps the batch's records and failures as instance state,
  // and the local queue runs several batches through one processor at once (Lambda runs one).
  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
      ...(context ? { context } : {}),
      throwOnFullBatchFailure: options.throwOnFullBatchFailure ?? true,
    });
}
