import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from './table.ts';

const gsiSpec = (gsi: (typeof tableDefinition.globalSecondaryIndexes)[number]) => ({
  IndexName: gsi.indexName,
  KeySchema: [
    { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: gsi.projection },
});

/**
 * Creates the table from the shared definition when it does not exist yet (local runner, tests).
 * A table made before an index was added to the definition gets the index (one at a time, as
 * DynamoDB requires), so a local data directory keeps working across upgrades.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'existing' | 'indexes-added'> {
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  if (existing) {
    return (await addMissingIndexes(client, tableName, existing)) > 0 ? 'indexes-added' : 'existing';
  }
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
  return 'created';
}

const INDEX_ACTIVE_WITHIN_MS = 120_000;

/** Adds each index of the definition the table lacks; answers how many. */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, table: TableDescription): Promise<number> {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((gsi) => gsi.IndexName));
  let added = 0;
  for (const gsi of tableDefinition.globalSecondaryIndexes) {
    if (present.has(gsi.indexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [gsi.partitionKey, gsi.sortKey].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        GlobalSecondaryIndexUpdates: [{ Create: gsiSpec(gsi) }],
      }),
    );
    added++;
    // Usable once ACTIVE (DynamoDB Local builds it in a moment, longer when loaded); bounded.
    const deadline = Date.now() + INDEX_ACTIVE_WITHIN_MS;
    while (
      (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === gsi.indexName)
        ?.IndexStatus !== 'ACTIVE'
    ) {
      if (Date.now() > deadline) throw new Error(`index ${gsi.indexName} of table ${tableName} is still not active after ${INDEX_ACTIVE_WITHIN_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return added;
}
