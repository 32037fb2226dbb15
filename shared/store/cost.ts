import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson } from '../domain/canonical-json.ts';
import { costEntrySchema, type CostBody, type CostEntry } from '../domain/cost.ts';
import { IdempotencyConflictError, idForKey, isTransactionConditionFailed, transactThroughConflicts, type Store } from './client.ts';
import { accountPartition } from './keys.ts';
import { factsRevisionBump } from './revision.ts';
import { auditPut } from './audit.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

/**
 * Cost-to-serve entries (`COST#<costId>` in the account partition). With an idempotency key the
 * id is derived from it, so a retried request finds its first write instead of adding a second.
 */
export const COST_SK_PREFIX = 'COST#';
const costKey = (accountId: string, costId: string) => ({ pk: accountPartition(accountId), sk: `${COST_SK_PREFIX}${costId}` });

export function costFromItem(item: Record<string, unknown>): CostEntry {
  return costEntrySchema.parse(item.cost);
}

export function costIdFor(idempotencyKey: string | undefined): string {
  return idempotencyKey ? idForKey(idempotencyKey) : `c${randomUUID().replaceAll('-', '')}`;
}

/**
 * Records a cost entry and bumps the account's facts revision in one transaction (creating the
 * account if new). A replay of the same idempotency key with the same body returns the first
 * entry; with a different body it is a conflict.
 */
export async function recordCost(
  store: Store,
  input: { accountId: string; body: CostBody; recordedAt: string; recordedBy: string },
): Promise<{ entry: CostEntry; replayed: boolean }> {
  const entry: CostEntry = {
    ...input.body,
    costId: costIdFor(input.body.idempotencyKey),
    accountId: input.accountId,
    recordedAt: input.recordedAt,
    recordedBy: input.recordedBy,
  };
  try {
    await transactThroughConflicts(store, {
      TransactItems: [
        {
          Put: {
            TableName: store.tableName,
            Item: { ...costKey(input.accountId, entry.costId), entity: 'cost', cost: entry },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        auditPut(store, {
          accountId: input.accountId,
          at: input.recordedAt,
          by: input.recordedBy,
          action: 'cost.recorded',
          entity: 'cost',
          entityId: entry.costId,
          before: null,
          after: entry,
        }),
        factsRevisionBump(store, input.accountId),
      ],
    });
    return { entry, replayed: false };
  } catch (error) {
    if (!isTransactionConditionFailed(error)) throw error;
    const existing = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: costKey(input.accountId, entry.costId), ConsistentRead: true }));
    const first = existing.Item ? costFromItem(existing.Item) : undefined;
    const sameRequest = (e: CostEntry) => {
      const { costId: _i, recordedAt: _a, recordedBy: _b, ...rest } = e;
      return canonicalJson(rest);
    };
    if (first && sameRequest(first) === sameRequest(entry)) return { entry: first, replayed: true };
    throw new IdempotencyConflictError('idempotencyKey was already used for a different cost entry', { cause: error });
  }
}

export async function listCosts(store: Store, accountId: string, page: { limit: number; cursor?: string }) {
  const pk = accountPartition(accountId);
  const result = await store.doc.send(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': COST_SK_PREFIX },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'pk', value: pk }),
    }),
  );
  const items = (result.Items ?? []).map(costFromItem);
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
