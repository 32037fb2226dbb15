import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';

/** A key no entity uses: reading it costs one read unit and finds nothing. */
const HEALTH_KEY = { pk: 'HEALTH', sk: 'HEALTH' };

/** Proves the table answers a keyed read with the caller's own (read) permission; throws when it does not. */
export async function checkTableReachable(store: Store): Promise<void> {
  await store.doc.send(new GetCommand({ TableName: store.tableName, Key: HEALTH_KEY }));
}
