import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition, type IndexName } from './table.ts';

const gsiSpec = (gsi: (typeof tableDefinition.globalSecondaryIndexes)[number]) => ({
  IndexName: gsi.indexName,
  KeySchema: [
    { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: gsi.projection },
});

/** What ensureTable did: made the table, or brought an existing one's indexes to the definition. */
export interface EnsureTableResult {
  table: 'created' | 'existing';
  /** Indexes of the definition the table lacked, created (a table from before they existed). */
  added: IndexName[];
  /** Indexes whose projection differed from the definition, deleted and created again (backfilled by DynamoDB). */
  replaced: IndexName[];
}

/**
 * Creates the table from the shared definition when it does not exist yet (local runner, tests).
 * An existing table is brought to the definition's indexes, one change at a time as DynamoDB
 * requires, each waited for: an index it lacks is created; an index whose projection differs
 * (a table from before gsi1 and gsi2 projected keys only) is deleted and created again, which
 * DynamoDB (Local too) fills from the table's items. So a local data directory keeps working
 * across upgrades; the index reads fail while an index is missing, so this runs before serving.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<EnsureTableResult> {
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  if (existing) return { table: 'existing', ...(await alignIndexes(client, tableName, existing)) };
  const def = tableDefinition;
  const attributes = new Set<string>([def.partitionKey, def.sortKey]);
  for (const gsi of def.globalSecondaryIndexes) {
    attributes.add(gsi.partitionKey);
    attributes.add(gsi.sortKey);
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        { AttributeName: def.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: def.globalSecondaryIndexes.map(gsiSpec),
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
    }),
  );
  return { table: 'created', added: [], replaced: [] };
}

const INDEX_CHANGE_WITHIN_MS = 120_000;

/** Creates each index of the definition the table lacks and replaces each whose projection differs. */
async function alignIndexes(client: DynamoDBClient, tableName: string, table: TableDescription): Promise<Pick<EnsureTableResult, 'added' | 'replaced'>> {
  const present = new Map((table.GlobalSecondaryIndexes ?? []).map((gsi) => [gsi.IndexName, gsi]));
  const added: IndexName[] = [];
  const replaced: IndexName[] = [];
  for (const gsi of tableDefinition.globalSecondaryIndexes) {
    const current = present.get(gsi.indexName);
    if (current && current.Projection?.ProjectionType === gsi.projection) continue;
    if (current) {
      await client.send(new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: gsi.indexName } }] }));
      await waitForIndex(client, tableName, gsi.indexName, 'gone');
    }
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [gsi.partitionKey, gsi.sortKey].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        GlobalSecondaryIndexUpdates: [{ Create: gsiSpec(gsi) }],
      }),
    );
    // Usable once ACTIVE (DynamoDB Local builds it in a moment, longer when loaded); bounded.
    await waitForIndex(client, tableName, gsi.indexName, 'ACTIVE');
    (current ? replaced : added).push(gsi.indexName);
  }
  return { added, replaced };
}

/** Waits until the index is ACTIVE, or gone, and the table ACTIVE (it takes one index change at a time). */
async function waitForIndex(client: DynamoDBClient, tableName: string, indexName: string, until: 'ACTIVE' | 'gone'): Promise<void> {
  const deadline = Date.now() + INDEX_CHANGE_WITHIN_MS;
  while (true) {
    const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const index = table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === indexName);
    const done = until === 'gone' ? index === undefined : index?.IndexStatus === 'ACTIVE';
    if (done && table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(
        `index ${indexName} of table ${tableName} is still not ${until === 'gone' ? 'deleted' : 'active'} after ${INDEX_CHANGE_WITHIN_MS / 1000} s (index ${index?.IndexStatus ?? 'absent'}, table ${table?.TableStatus})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
