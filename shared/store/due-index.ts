import { queryAllPages, type Store } from './client.ts';

/**
 * gsi2 holds work by due day: `gsi2pk = <KIND>#<UTC day>`, `gsi2sk = <due instant>#<id>`.
 * Entities own their key prefixes; this reads one day's partition up to an instant, all pages,
 * so the sweep's reads follow what is due and never the size of the table.
 */
export async function queryDueDay(store: Store, partitionKey: string, until: string): Promise<Array<Record<string, unknown>>> {
  return queryAllPages(store, {
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :until',
    ExpressionAttributeValues: { ':pk': partitionKey, ':until': `${until}#\uffff` },
  });
}
