import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/store/table-admin.ts';
import { defaultPolicy } from '../../shared/config/policy.ts';
import { backfillAccountDirectory } from '../../shared/store/account-directory-backfill.ts';
import { createStore } from '../../shared/store/client.ts';
import { accountKey } from '../../shared/store/keys.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { previewPolicy } from '../../shared/usecases/policy-preview.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../local/dynamodb-local.ts';

/**
 * A table made before the account directory (gsi1 and gsi2 only, account items without the
 * directory key): the local runner's ensureTable adds gsi3, and the one-off migration puts the
 * old account items in it, once, so the policy preview lists them. DynamoDB Local.
 */
describe('the account directory on a table that predates it', { timeout: 240_000 }, () => {
  // A DynamoDB Local of its own, persisting to disk as `npm start`'s does: the upgrade this covers
  // is of a data dir kept from before, and the suite's shared instance is busy with other files.
  let dynamo: RunningDynamoDbLocal;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'termwatch-directory-'));
    dynamo = await startDynamoDbLocal({ dataDir });
  }, 120_000);
  afterAll(async () => {
    await dynamo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ensureTable adds the missing index; the migration adds each old account item once', async () => {
    const endpoint = dynamo.endpoint;
    const tableName = `old-${randomUUID()}`;
    const admin = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const old = tableDefinition.globalSecondaryIndexes.filter((g) => g.indexName !== 'gsi3');
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', ...old.flatMap((g) => [g.partitionKey, g.sortKey])].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: old.map((g) => ({
          IndexName: g.indexName,
          KeySchema: [
            { AttributeName: g.partitionKey, KeyType: 'HASH' },
            { AttributeName: g.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
    const store = createStore({ tableName, endpoint });
    try {
      for (const id of ['cus_old_b', 'cus_old_a']) {
        await store.doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...accountKey(id), accountId: id, entity: 'account', factsRev: 1, evaluatedRev: 1, flags: [], flagSince: {} },
          }),
        );
      }
      // gsi1 and gsi2 of that time projected ALL: replaced by their keys-only definitions too.
      expect(await ensureTable(admin, tableName)).toEqual({ table: 'existing', added: ['gsi3'], replaced: ['gsi1', 'gsi2'] });
      const indexes = (await admin.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes ?? [];
      expect(indexes.map((g) => g.IndexName).sort()).toEqual(['gsi1', 'gsi2', 'gsi3']);
      expect(await ensureTable(admin, tableName)).toEqual({ table: 'existing', added: [], replaced: [] });
      const preview = () => previewPolicy({ store, policy: defaultPolicy }, { proposed: defaultPolicy, all: true, limit: 10 }, new Date());
      expect((await preview()).summary.accounts).toBe(0);
      expect(await backfillAccountDirectory(store)).toEqual({ added: 2 });
      expect(await backfillAccountDirectory(store)).toEqual({ added: 0 });
      expect((await preview()).accounts.map((a) => a.id)).toEqual(['cus_old_a', 'cus_old_b']);
    } finally {
      store.doc.destroy();
      admin.destroy();
    }
  });
});
