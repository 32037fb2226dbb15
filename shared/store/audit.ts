import { randomUUID } from 'node:crypto';
import { QueryCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { auditChange } from '../domain/audit-change.ts';
import { type AuditOrder, auditRecordSchema, type AuditRecord } from '../schemas/audit.ts';
import type { Store } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { accountPartition } from './keys.ts';

/**
 * The audit trail: one append-only item per change to a contract, cost, signal, override or
 * task (`~AUDIT#<at>#<id>` in the account partition; `~` sorts after every fact, so evaluations never read it), written in the same transaction as the
 * change itself, so a change without its record (or the reverse) cannot exist.
 */
export type { AuditOrder, AuditRecord } from '../schemas/audit.ts';

export const AUDIT_SK_PREFIX = '~AUDIT#';

/**
 * A change to record, with the entity before and after it whole (null for none): auditPut keeps
 * what changed. `keep`: the fields that name the entity, kept on both sides of an update
 * (by default a task's id and its status, the stage the change found it in).
 */
export type AuditEntry = Omit<AuditRecord, 'changed'> & { keep?: readonly string[] };

const KEEP: Record<AuditRecord['entity'], readonly string[]> = { task: ['id', 'status'], contract: [], cost: ['costId'], signal: ['signalId'], override: [] };

export function auditPut(
  store: Store,
  entry: AuditEntry,
): { Put: { TableName: string; Item: Record<string, NativeAttributeValue>; ConditionExpression: string } } {
  const { keep, before, after, ...record } = entry;
  return {
    Put: {
      TableName: store.tableName,
      Item: {
        pk: accountPartition(record.accountId),
        sk: `${AUDIT_SK_PREFIX}${record.at}#${randomUUID()}`,
        entity: 'audit',
        audit: { ...record, ...auditChange(before, after, keep ?? KEEP[record.entity]) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * An account's audit trail, oldest first or newest first. A cursor is a position in the trail:
 * the next page continues from it in the order asked for.
 */
export async function listAudit(store: Store, accountId: string, page: { limit: number; cursor?: string; order?: AuditOrder }) {
  const pk = accountPartition(accountId);
  const result = await store.doc.send(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': AUDIT_SK_PREFIX },
      Limit: page.limit,
      ScanIndexForward: page.order !== 'newest',
      ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'pk', value: pk }),
    }),
  );
  const items = (result.Items ?? []).map((item) => auditRecordSchema.parse(item.audit));
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
