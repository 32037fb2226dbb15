import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notification.ts';
import { listCalendarFeeds, putCalendarFeed } from '../../shared/store/calendar-feed.ts';
import { createStore, type Store } from '../../shared/store/client.ts';
import { listNotifications, listUndispatched, notificationPut } from '../../shared/store/notification.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { ensureTable } from '../../shared/store/table-admin.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../local/dynamodb-local.ts';

/**
 * A table made before gsi1 and gsi2 projected keys only (all three indexes there, gsi1 and gsi2
 * projecting ALL), with items on them: ensureTable, as `npm start` runs it, replaces those two
 * indexes with the definition's, DynamoDB Local fills them from the items, and the lists read
 * what was there before. DynamoDB Local.
 */
let dynamo: RunningDynamoDbLocal;
let dataDir: string;
let admin: DynamoDBClient;
let store: Store;
const notification = (n: number): Notification => ({
  id: `review_opened-${n}`,
  type: 'review_opened',
  accountId: 'cus_old',
  sentAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
  subject: `review ${n}`,
  text: `review ${n}`,
  payload: {},
});

// A DynamoDB Local of its own, persisting to disk as `npm start`'s does (the upgrade is of a data
// dir kept from before); on the suite's shared instance, busy with every other file, deleting an
// index once took over two minutes.
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'termwatch-projection-'));
  dynamo = await startDynamoDbLocal({ dataDir });
  const endpoint = dynamo.endpoint;
  admin = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tableName = `old-projection-${randomUUID()}`;
  const def = tableDefinition;
  await admin.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', ...def.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])].map((AttributeName) => ({
        AttributeName,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((g) => ({
        IndexName: g.indexName,
        KeySchema: [
          { AttributeName: g.partitionKey, KeyType: 'HASH' },
          { AttributeName: g.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: g.indexName === 'gsi3' ? 'KEYS_ONLY' : 'ALL' },
      })),
    }),
  );
  store = createStore({ tableName, endpoint });
  await store.doc.send(new TransactWriteCommand({ TransactItems: [1, 2, 3].map((n) => ({ Put: notificationPut(store, notification(n)) as never })) }));
  await putCalendarFeed(store, { id: 'feed1', name: 'Renewals', createdAt: '2026-11-01T00:00:00.000Z', createdBy: 'finance@example.com' }, 'hash1');
}, 120_000);
afterAll(async () => {
  store?.doc.destroy();
  admin?.destroy();
  await dynamo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// Replacing two indexes takes DynamoDB Local some seconds each, longer when the suite loads it.
describe('a table whose indexes project ALL', { timeout: 180_000 }, () => {
  it('ensureTable replaces gsi1 and gsi2 with keys-only indexes, filled from the items; a second run changes nothing', async () => {
    expect(await ensureTable(admin, store.tableName)).toEqual({ table: 'existing', added: [], replaced: ['gsi1', 'gsi2'] });
    const described = (await admin.send(new DescribeTableCommand({ TableName: store.tableName }))).Table;
    expect(described?.TableStatus).toBe('ACTIVE');
    expect(
      (described?.GlobalSecondaryIndexes ?? [])
        .map((g) => [g.IndexName, g.Projection?.ProjectionType, g.IndexStatus])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['gsi1', 'KEYS_ONLY', 'ACTIVE'],
      ['gsi2', 'KEYS_ONLY', 'ACTIVE'],
      ['gsi3', 'KEYS_ONLY', 'ACTIVE'],
    ]);
    expect(await ensureTable(admin, store.tableName)).toEqual({ table: 'existing', added: [], replaced: [] });
  });

  it('the lists read the items written before the change, through the rebuilt indexes', async () => {
    expect((await listNotifications(store, { limit: 10 })).items.map((n) => n.id)).toEqual(['review_opened-3', 'review_opened-2', 'review_opened-1']);
    expect((await listUndispatched(store, 10)).map((p) => p.notification.subject)).toEqual(['review 1', 'review 2', 'review 3']);
    expect((await listCalendarFeeds(store, { limit: 10 })).items.map((f) => f.name)).toEqual(['Renewals']);
  });
});
