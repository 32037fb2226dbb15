import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';
import { accountKey } from './account.ts';

/**
 * Every account's id, for the policy preview, in the table's scan order (stable: the same
 * table gives the same order, and resuming after an id continues exactly where it stopped).
 *
 * No index lists every account: gsi1 holds only accounts with a renewal ahead or a flag, and
 * gsi2 only those with time-driven work. So this is a paginated Scan that keeps only account
 * items (`sk = ACCOUNT`) and projects their id; the facts themselves are read per account with
 * the evaluation's own Query. The caller bounds how far it goes (it stops pulling pages). It
 * is the product's only Scan (docs/data-model.md); an index of every account would replace it
 * if previews over very large tables become routine.
 */
/** Items a Scan call examines: bounds each call's cost and how far past a page's end it reads. */
const SCAN_PAGE_ITEMS = 250;

export async function* accountIdsAfter(store: Store, afterAccountId?: string): AsyncGenerator<string, void, undefined> {
  const account = accountKey('');
  const scan = (startKey: Record<string, unknown> | undefined) =>
    store.doc.send(
      new ScanCommand({
        TableName: store.tableName,
        FilterExpression: 'sk = :account',
        ProjectionExpression: 'accountId',
        ExpressionAttributeValues: { ':account': account.sk },
        Limit: SCAN_PAGE_ITEMS,
        ExclusiveStartKey: startKey,
      }),
    );
  let pending = scan(afterAccountId === undefined ? undefined : accountKey(afterAccountId));
  while (true) {
    const page = await pending;
    // The next page is read while the caller works through this one.
    const next = page.LastEvaluatedKey ? scan(page.LastEvaluatedKey) : undefined;
    next?.catch(() => undefined);
    for (const item of page.Items ?? []) if (typeof item.accountId === 'string') yield item.accountId;
    if (!next) return;
    pending = next;
  }
}
