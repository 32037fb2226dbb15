import type { Store } from './client.ts';
import { queryAllIndexKeys, type IndexEntry } from './index-query.ts';

/**
 * gsi2 holds work by due day: `gsi2pk = <KIND>#<UTC day>`, `gsi2sk = <due instant>#<id>`.
 * Entities own their key prefixes; this reads one day's partition up to an instant, all pages,
 * so the sweep's reads follow what is due and never the size of the table. Keys only: the sweep
 * needs the ids, which the entries' table keys carry (each entity reads its own back), and reads
 * each item itself as it works on it.
 */
export async function queryDueDay(store: Store, partitionKey: string, until: string): Promise<IndexEntry[]> {
  return queryAllIndexKeys(store, {
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :until',
    ExpressionAttributeValues: { ':pk': partitionKey, ':until': `${until}#\uffff` },
  });
}
