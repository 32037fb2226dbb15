import { paginateQuery, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, type ItemKey, type Store } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { indexDefinition, type IndexName } from './table.ts';

/**
 * Reads through the indexes. Every index projects keys only (see table.ts): an update that
 * changes no key of an item writes nothing to the indexes, and a list reads the index entries'
 * keys with one Query, then the items themselves with BatchGetItem. The Query's Limit, cursor
 * (LastEvaluatedKey) and order are the list's; a caller that needs no more than the keys (an
 * id in a key) stops at queryIndexKeys.
 */

/** A Query of one index. No filter: a keys-only entry holds nothing else to test (filter the items). */
export type IndexQuery = Omit<QueryCommandInput, 'TableName' | 'IndexName' | 'FilterExpression' | 'ProjectionExpression' | 'Select'> & {
  IndexName: IndexName;
};

/** An index entry: the item's table key and its index key (all a keys-only entry holds). */
export type IndexEntry = ItemKey & Record<string, unknown>;

export interface IndexPage<T> {
  items: T[];
  /** The Query's LastEvaluatedKey: where the next page starts (the list's cursor). */
  lastEvaluatedKey?: Record<string, unknown>;
}

/** One page of an index's entries, in index order. */
export async function queryIndexKeys(store: Store, query: IndexQuery): Promise<IndexPage<IndexEntry>> {
  const page = await store.doc.send(new QueryCommand({ ...query, TableName: store.tableName }));
  const items = (page.Items ?? []) as IndexEntry[];
  return page.LastEvaluatedKey ? { items, lastEvaluatedKey: page.LastEvaluatedKey } : { items };
}

/** Every entry an index Query matches, all pages, in index order. */
export async function queryAllIndexKeys(store: Store, query: Omit<IndexQuery, 'ExclusiveStartKey'>): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  for await (const page of paginateQuery({ client: store.doc }, { ...query, TableName: store.tableName }))
    entries.push(...((page.Items ?? []) as IndexEntry[]));
  return entries;
}

/**
 * One page of an index with its items: the Query of the entries' keys, then one BatchGetItem of
 * their items (`consistent` where the caller needs the latest item), answered in index order.
 * An entry whose item is gone, or no longer carries this index key (moved off the list, or to
 * another place in it, between the index's update and this read: the index lags the table), is
 * skipped: the list shows only items that are where it found them.
 */
export async function queryIndexItems(store: Store, query: IndexQuery, options: { consistent?: boolean } = {}): Promise<IndexPage<Record<string, unknown>>> {
  const page = await queryIndexKeys(store, query);
  const current = await itemsOfIndexEntries(store, query.IndexName, page.items, options);
  return page.lastEvaluatedKey ? { items: current, lastEvaluatedKey: page.lastEvaluatedKey } : { items: current };
}

/**
 * The items of index entries (one BatchGetItem per hundred), in the entries' order, skipping an
 * entry whose item is gone or no longer carries that index key (as queryIndexItems).
 */
export async function itemsOfIndexEntries(
  store: Store,
  indexName: IndexName,
  entries: readonly IndexEntry[],
  options: { consistent?: boolean } = {},
): Promise<Array<Record<string, unknown>>> {
  const index = indexDefinition(indexName);
  const items = await batchGetItems(store, entries, options);
  const byKey = new Map(entries.map((entry) => [`${entry.pk}|${entry.sk}`, entry]));
  return items.filter((item) => {
    const entry = byKey.get(`${String(item.pk)}|${String(item.sk)}`);
    return entry !== undefined && item[index.partitionKey] === entry[index.partitionKey] && item[index.sortKey] === entry[index.sortKey];
  });
}

/**
 * Where a list stops after `entry`: the LastEvaluatedKey a Query of that index would have given
 * had its page ended there (the table key and the index key, all a keys-only entry holds).
 */
export function keyAfterEntry(indexName: IndexName, entry: IndexEntry): Record<string, unknown> {
  const index = indexDefinition(indexName);
  return { pk: entry.pk, sk: entry.sk, [index.partitionKey]: entry[index.partitionKey], [index.sortKey]: entry[index.sortKey] };
}

/**
 * A page of one index partition's items, in index order, by the API's opaque cursor (a cursor of
 * another list is refused by decodeCursor): the list behind `GET /calendar-feeds`,
 * `GET /deliveries/dead-letters` and the like.
 */
export async function pageOfIndexPartition(
  store: Store,
  index: IndexName,
  partition: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: Array<Record<string, unknown>>; nextCursor?: string }> {
  const { partitionKey } = indexDefinition(index);
  const result = await queryIndexItems(store, {
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': partitionKey },
    ExpressionAttributeValues: { ':pk': partition },
    Limit: page.limit,
    ExclusiveStartKey: decodeCursor(page.cursor, { attribute: partitionKey, value: partition }),
  });
  const nextCursor = encodeCursor(result.lastEvaluatedKey);
  return nextCursor ? { items: result.items, nextCursor } : { items: result.items };
}
