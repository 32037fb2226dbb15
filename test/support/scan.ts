import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from '../../shared/store/client.ts';

/** Every item in a test table (tests only: the product never scans). */
export async function allItems(store: Store): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.doc.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
