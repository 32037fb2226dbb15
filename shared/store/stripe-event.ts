import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed, type Store } from './client.ts';

/** How long a receipt tells a redelivery from a new event (Stripe retries for 3 days). */
export const RECEIPT_TTL_DAYS = 30;

/** Every receipt's partition key starts so; the webhook's IAM policy allows writes under it only (infra/). */
export const RECEIPT_PARTITION_PREFIX = 'EVT#';
const key = (eventId: string) => ({ pk: `${RECEIPT_PARTITION_PREFIX}${eventId}`, sk: 'RECEIPT' });

export interface EventReceipt {
  eventId: string;
  type: string;
  /** Stripe's `created`, epoch seconds. */
  created: number;
  receivedAt: string;
}

/**
 * Records that an event was accepted, once per event id (conditional write).
 * Returns 'duplicate' when Stripe redelivers an event already accepted.
 */
export async function recordEventReceipt(store: Store, receipt: EventReceipt): Promise<'new' | 'duplicate'> {
  const expiresAt = Math.floor(Date.parse(receipt.receivedAt) / 1000) + RECEIPT_TTL_DAYS * 86_400;
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { ...key(receipt.eventId), entity: 'event_receipt', ...receipt, expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'new';
  } catch (error) {
    if (isConditionFailed(error)) return 'duplicate';
    throw error;
  }
}
