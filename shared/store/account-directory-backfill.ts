import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed, type Store } from './client.ts';
import { ACCOUNT_SK, accountDirectorySet, accountKey } from './keys.ts';

/**
 * One-off migration: puts every account item written before the account directory (gsi3)
 * existed into it. Items join by themselves at their next fact write or evaluation; this is for
 * the accounts nothing touches (the policy preview would not list them until then). A Scan of
 * account items lacking the key, each then updated on condition it still exists and still lacks
 * it, so running it twice, or while the watcher writes, changes nothing more. Its own module so
 * that no function bundle holds a Scan (test/infra/table-calls.ts).
 */
export async function backfillAccountDirectory(store: Store): Promise<{ added: number }> {
  let added = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.doc.send(
      new ScanCommand({
        TableName: store.tableName,
        FilterExpression: 'sk = :account AND attribute_not_exists(gsi3pk)',
        ProjectionExpression: 'accountId',
        ExpressionAttributeValues: { ':account': ACCOUNT_SK },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.accountId !== 'string') continue;
      const directory = accountDirectorySet(item.accountId);
      try {
        await store.doc.send(
          new UpdateCommand({
            TableName: store.tableName,
            Key: accountKey(item.accountId),
            UpdateExpression: `SET ${directory.clause}`,
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(gsi3pk)',
            ExpressionAttributeValues: directory.values,
          }),
        );
        added++;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { added };
}
