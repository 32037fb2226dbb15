import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { disputeFactSchema, mergeDisputeFacts, mergeRefundFacts, refundFactSchema, type DisputeFact, type RefundFact } from '../domain/revenue.ts';
import { revenueObjectForParking } from '../stripe/revenue.ts';
import type { Store } from './client.ts';
import type { FactKind } from './facts.ts';

export const refundFacts: FactKind<RefundFact> = {
  prefix: 'REFUND#',
  entity: 'refund',
  schema: refundFactSchema,
  idOf: (f) => f.refundId,
  merge: mergeRefundFacts,
  ordering: ['version'],
};

export const disputeFacts: FactKind<DisputeFact> = {
  prefix: 'DISPUTE#',
  entity: 'dispute',
  schema: disputeFactSchema,
  idOf: (f) => f.disputeId,
  merge: mergeDisputeFacts,
  ordering: ['version', 'statusVersion'],
};

/**
 * Refunds and disputes name a charge, not always a customer. A charge's owner is recorded when
 * a charge is seen (`CHARGE#<id>` / `OWNER`); an observation whose owner is not known yet is
 * parked under the charge (`CHARGE#<id>` / `PARKED#<event id>`) and applied when the owner
 * arrives, so the result does not depend on which came first.
 */
const chargePartition = (chargeId: string) => `CHARGE#${chargeId}`;

export async function getChargeOwner(store: Store, chargeId: string): Promise<string | undefined> {
  const result = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: { pk: chargePartition(chargeId), sk: 'OWNER' }, ConsistentRead: true }),
  );
  return typeof result.Item?.customerId === 'string' ? result.Item.customerId : undefined;
}

export async function saveChargeOwner(store: Store, chargeId: string, customerId: string): Promise<void> {
  // Charges are redelivered and re-read often: a read spares the (billed) write when nothing changes.
  if ((await getChargeOwner(store, chargeId)) === customerId) return;
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { pk: chargePartition(chargeId), sk: 'OWNER', entity: 'charge_owner', chargeId, customerId },
      ConditionExpression: 'attribute_not_exists(pk) OR customerId = :c',
      ExpressionAttributeValues: { ':c': customerId },
    }),
  );
}

/** A charge that never names its owner (a guest payment) lets its parked events go after this. */
const PARKED_TTL_DAYS = 90;

interface ParkableEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

/** Keeps an event until its charge's owner is known: only what the facts need (no personal data). */
export async function parkEvent(store: Store, chargeId: string, event: ParkableEvent, now: Date): Promise<void> {
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: {
        pk: chargePartition(chargeId),
        sk: `PARKED#${event.id}`,
        entity: 'parked_event',
        event: { id: event.id, type: event.type, created: event.created, data: { object: revenueObjectForParking(event.data.object) } },
        expiresAt: Math.floor(now.getTime() / 1000) + PARKED_TTL_DAYS * 86_400,
      },
    }),
  );
}

/** Drops a parked event once its facts are recorded in the owner's account. */
export async function deleteParkedEvent(store: Store, chargeId: string, eventId: string): Promise<void> {
  await store.doc.send(new DeleteCommand({ TableName: store.tableName, Key: { pk: chargePartition(chargeId), sk: `PARKED#${eventId}` } }));
}

export async function listParkedEvents(store: Store, chargeId: string): Promise<unknown[]> {
  const result = await store.doc.send(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': chargePartition(chargeId), ':p': 'PARKED#' },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => item.event);
}
