import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';
import { ACCOUNT_DIRECTORY_PK, accountDirectoryKey } from './keys.ts';

/** The most ids one Query call asks for (keys only: about 100 bytes each, far under 1 MB). */
const MAX_PAGE_ITEMS = 1_000;

/**
 * Every account's id after `afterAccountId`, in account-id order, for the policy preview: a
 * Query of the account directory (gsi3 `ACCOUNTS`, keys only; see keys.ts), never a Scan. The
 * facts themselves are read per account with the evaluation's own Query. At most `max` ids: each
 * Query call asks for no more than are still wanted, so a preview page reads no more of the
 * directory than it can use (the next call goes out while the caller works through this one).
 * The index is eventually consistent: an account created a moment ago may be missing from it.
 */
export async function* accountIdsAfter(store: Store, afterAccountId: string | undefined, max: number): AsyncGenerator<string, void, undefined> {
  let wanted = max;
  const query = (startKey: Record<string, unknown> | undefined, limit: number) =>
    store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        IndexName: 'gsi3',
        KeyConditionExpression: afterAccountId === undefined ? 'gsi3pk = :pk' : 'gsi3pk = :pk AND gsi3sk > :after',
        ProjectionExpression: 'gsi3sk',
        ExpressionAttributeValues: {
          ':pk': ACCOUNT_DIRECTORY_PK,
          ...(afterAccountId === undefined ? {} : { ':after': accountDirectoryKey(afterAccountId).gsi3sk }),
        },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
  if (wanted <= 0) return;
  let pending = query(undefined, Math.min(wanted, MAX_PAGE_ITEMS));
  while (true) {
    const page = await pending;
    const ids = (page.Items ?? []).flatMap((item) => (typeof item.gsi3sk === 'string' ? [item.gsi3sk] : [])).slice(0, wanted);
    wanted -= ids.length;
    // The next page is read while the caller works through this one.
    const next = page.LastEvaluatedKey && wanted > 0 ? query(page.LastEvaluatedKey, Math.min(wanted, MAX_PAGE_ITEMS)) : undefined;
    next?.catch(() => undefined);
    yield* ids;
    if (!next) return;
    pending = next;
  }
}
