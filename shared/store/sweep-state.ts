import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';

/** The sweep's checkpoint: the oldest UTC day whose due work may not be finished yet. */
const key = { pk: 'SWEEP', sk: 'STATE' };

export async function getSweepCheckpoint(store: Store): Promise<string | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }));
  return typeof result.Item?.oldestPendingDay === 'string' ? result.Item.oldestPendingDay : undefined;
}

export async function saveSweepCheckpoint(store: Store, oldestPendingDay: string, at: string): Promise<void> {
  await store.doc.send(
    new PutCommand({ TableName: store.tableName, Item: { ...key, entity: 'sweep_state', oldestPendingDay, lastRunAt: at } }),
  );
}
