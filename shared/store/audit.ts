import { randomUUID } from 'node:crypto';
import { QueryCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { auditRecordSchema, type AuditRecord } from '../schemas/audit.ts';
import type { Store } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { accountPartition } from './keys.ts';

/**
 * The audit trail: one append-only item per change to a contract, cost, signal, override or
 * task (`~AUDIT#<at>#<id>` in the account partition; `~` sorts after every fact, so evaluations never read it), written in the same transaction as the
 * change itself, so a change without its record (or the reverse) cannot exist.
 */
export type { AuditRecord } from '../schemas/audit.ts';

export const AUDIT_SK_PREFIX = '~AUDIT#';

export function auditPut(
  store: Store,
  record: AuditRecord,
): { Put: { TableName: string; Item: Record<string, NativeAttributeValue>; ConditionExpression: string } } {
  return {
    Put: {
      TableName: store.tableName,
      Item: {
        pk: accountPartition(record.accountId),
        sk: `${AUDIT_SK_PREFIX}${record.at}#${randomUUID()}`,
        entity: 'audit',
        audit: { ...record, before: record.before ?? null, after: record.after ?? null },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** An account's audit trail, oldest first. */
export async function listAudit(store: Store, accountId: string, page: { limit: number; cursor?: string }) {
  const pk = accountPartition(accountId);
  const result = await store.doc.send(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': AUDIT_SK_PREFIX },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'pk', value: pk }),
    }),
  );
  const items = (result.Items ?? []).map((item) => auditRecordSchema.parse(item.audit));
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
