import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGetItems, type Store } from '../../shared/store/client.ts';
import { queryIndexItems, queryIndexKeys } from '../../shared/store/index-query.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { createTestStore } from '../support/store.ts';

/**
 * The indexes project keys only; lists read the entries' keys with a Query and the items with
 * BatchGetItem (shared/store/index-query.ts). DynamoDB Local.
 */
let store: Store;
const LIST = 'TESTLIST';
const item = (n: number) => ({
  pk: `THING#${String(n).padStart(3, '0')}`,
  sk: 'THING',
  n,
  body: 'x'.repeat(200),
  gsi1pk: LIST,
  gsi1sk: `2026-12-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z#${n}`,
});

beforeAll(async () => {
  store = await createTestStore();
  // 130: more than one BatchGetItem request holds (100 keys).
  await Promise.all(Array.from({ length: 130 }, (_, n) => store.doc.send(new PutCommand({ TableName: store.tableName, Item: item(n) }))));
});
afterAll(() => store?.doc.destroy());

describe('the table definition', () => {
  it('projects keys only on every index', () => {
    expect(tableDefinition.globalSecondaryIndexes.map((g) => g.projection)).toEqual(['KEYS_ONLY', 'KEYS_ONLY', 'KEYS_ONLY']);
  });

  it('writes no index unit for an update that changes no index key, two for one that moves it', async () => {
    const update = async (expression: string, values: Record<string, unknown>) =>
      (
        await store.doc.send(
          new UpdateCommand({
            TableName: store.tableName,
            Key: { pk: 'THING#000', sk: 'THING' },
            UpdateExpression: expression,
            ExpressionAttributeValues: values,
            ReturnConsumedCapacity: 'INDEXES',
          }),
        )
      ).ConsumedCapacity;
    const body = await update('SET body = :b', { ':b': 'y'.repeat(900) });
    expect(body?.GlobalSecondaryIndexes).toBeUndefined();
    const moved = await update('SET gsi1sk = :sk', { ':sk': item(0).gsi1sk.replace('#0', '#0b') });
    expect(moved?.GlobalSecondaryIndexes?.gsi1?.CapacityUnits).toBe(2);
    await update('SET gsi1sk = :sk, body = :b', { ':sk': item(0).gsi1sk, ':b': item(0).body });
  });
});

describe('queryIndexItems', () => {
  const query = (limit: number, startKey?: Record<string, unknown>) => ({
    IndexName: 'gsi1' as const,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': LIST },
    Limit: limit,
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  });

  it('answers the items in index order, the Query limit and cursor paging the list', async () => {
    const seen: number[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await queryIndexItems(store, query(120, startKey));
      expect(page.items.length).toBeLessThanOrEqual(120);
      seen.push(...page.items.map((i) => Number(i.n)));
      startKey = page.lastEvaluatedKey;
      pages++;
    } while (startKey);
    expect(pages).toBe(2);
    expect(seen).toEqual(Array.from({ length: 130 }, (_, n) => n));
    expect((await queryIndexItems(store, query(3))).items.map((i) => i.body)).toEqual([item(0).body, item(1).body, item(2).body]);
  });

  it('the keys alone: table and index keys of each entry, nothing else', async () => {
    const page = await queryIndexKeys(store, query(2));
    expect(page.items).toEqual([
      { pk: item(0).pk, sk: 'THING', gsi1pk: LIST, gsi1sk: item(0).gsi1sk },
      { pk: item(1).pk, sk: 'THING', gsi1pk: LIST, gsi1sk: item(1).gsi1sk },
    ]);
  });

  it('skips an entry whose item vanished, or left its place in the index, between the Query and the BatchGet', async () => {
    const table = await createTestStore();
    try {
      for (const n of [1, 2, 3, 4]) await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item(n) }));
      // Once the Query has answered: item 2 deleted, item 3 moved off the list, item 4 to another place in it.
      table.doc.middlewareStack.add(
        (next, context) => async (args) => {
          if (String(context.commandName).startsWith('BatchGet')) {
            await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: { pk: item(2).pk, sk: 'THING' } }));
            await table.doc.send(
              new UpdateCommand({ TableName: table.tableName, Key: { pk: item(3).pk, sk: 'THING' }, UpdateExpression: 'REMOVE gsi1pk, gsi1sk' }),
            );
            await table.doc.send(
              new UpdateCommand({
                TableName: table.tableName,
                Key: { pk: item(4).pk, sk: 'THING' },
                UpdateExpression: 'SET gsi1sk = :later',
                ExpressionAttributeValues: { ':later': '2027-01-01T00:00:00Z#4' },
              }),
            );
          }
          return next(args);
        },
        { step: 'initialize', name: 'changeBeforeBatchGet' },
      );
      const page = await queryIndexItems(table, query(10), { consistent: true });
      expect(page.items.map((i) => i.n)).toEqual([1]);
    } finally {
      table.doc.destroy();
    }
  });
});

describe('batchGetItems', () => {
  it('asks again for the keys DynamoDB left unprocessed, and answers in the order given, a key twice as given, a missing one skipped', async () => {
    const table = await createTestStore();
    try {
      for (const n of [1, 2, 3]) await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item(n) }));
      let requests = 0;
      // The first answer holds one item, the rest of its keys unprocessed (as under throttling).
      table.doc.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (!String(context.commandName).startsWith('BatchGet') || requests++ > 0) return result;
          const output = result.output as { Responses?: Record<string, Array<Record<string, unknown>>>; UnprocessedKeys?: Record<string, unknown> };
          const [kept, ...rest] = output.Responses?.[table.tableName] ?? [];
          output.Responses = { [table.tableName]: kept ? [kept] : [] };
          output.UnprocessedKeys = { [table.tableName]: { Keys: rest.map((i) => ({ pk: i.pk, sk: i.sk })) } };
          return result;
        },
        { step: 'initialize', name: 'leaveUnprocessed' },
      );
      const key = (n: number) => ({ pk: item(n).pk, sk: 'THING' });
      const items = await batchGetItems(table, [key(3), key(9), key(1), key(2), key(3)]);
      expect(items.map((i) => i.n)).toEqual([3, 1, 2, 3]);
      expect(requests).toBe(2);
    } finally {
      table.doc.destroy();
    }
  });
});
