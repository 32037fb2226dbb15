import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed, type Store } from './client.ts';

/** The sweep's checkpoint: the oldest UTC day whose due work may not be finished yet. */
const key = { pk: 'SWEEP', sk: 'STATE' };

export async function getSweepCheckpoint(store: Store): Promise<string | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }));
  return typeof result.Item?.oldestPendingDay === 'string' ? result.Item.oldestPendingDay : undefined;
}

/**
 * Moves the checkpoint to `oldestPendingDay`, never back: the write is conditioned on the stored
 * day being no later, so a sweep that overlapped a faster one (a late retry) cannot undo its
 * progress. Returns false when the stored checkpoint was already further on (and stays so).
 */
export async function saveSweepCheckpoint(store: Store, oldestPendingDay: string, at: string): Promise<boolean> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { ...key, entity: 'sweep_state', oldestPendingDay, lastRunAt: at },
        ConditionExpression: 'attribute_not_exists(oldestPendingDay) OR oldestPendingDay <= :day',
        ExpressionAttributeValues: { ':day': oldestPendingDay },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
