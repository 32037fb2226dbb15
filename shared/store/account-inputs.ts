import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { humanSignalSchema, overridesBodySchema, type HumanSignal, type Overrides, type SignalBody } from '../domain/account-inputs.ts';
import { accountPartition } from './keys.ts';
import { factsRevisionBump } from './revision.ts';
import { auditPut } from './audit.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import { IdempotencyConflictError, idForKey, isTransactionConditionFailed, transactThroughConflicts, type Store } from './client.ts';

/** Human signals (`SIGNAL#<at>#<id>`) and the overrides item (`OVERRIDES`), each audited and counted as facts. */
export const SIGNAL_SK_PREFIX = 'SIGNAL#';
const signalKeyKey = (accountId: string, signalId: string) => ({ pk: accountPartition(accountId), sk: `SIGKEY#${signalId}` });
/** The overrides item's sort key: one per account. */
export const OVERRIDES_SK = 'OVERRIDES';
const overridesKey = (accountId: string) => ({ pk: accountPartition(accountId), sk: OVERRIDES_SK });

export function signalFromItem(item: Record<string, unknown>): HumanSignal {
  return humanSignalSchema.parse(item.signal);
}

export function overridesFromItem(item: Record<string, unknown>): Overrides {
  return overridesBodySchema.parse(item.overrides);
}

/**
 * Records a human signal with its audit record and the facts revision bump, in one transaction.
 * With an idempotency key, a key item (`SIGKEY#<id>`, the id derived from the key) goes in the
 * same transaction, so a retried request finds its first write instead of adding a second signal:
 * the same body replays the first signal, another body is a conflict. (The signal's own key holds
 * the time it was recorded, which a retry does not share.)
 */
export async function recordSignal(
  store: Store,
  accountId: string,
  body: SignalBody,
  actor: string,
  at: string,
): Promise<{ signal: HumanSignal; replayed: boolean }> {
  const key = body.idempotencyKey;
  const signal: HumanSignal = {
    signalId: key ? idForKey(key) : randomUUID(),
    accountId,
    signal: body.signal,
    note: body.note,
    recordedBy: body.recordedBy ?? actor,
    at,
  };
  const signalSk = `${SIGNAL_SK_PREFIX}${at}#${signal.signalId}`;
  const request = canonicalJson({ signal: body.signal, note: body.note, recordedBy: body.recordedBy ?? null });
  try {
    await transactThroughConflicts(store, {
      TransactItems: [
        {
          Put: {
            TableName: store.tableName,
            Item: { pk: accountPartition(accountId), sk: signalSk, entity: 'signal', signal },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...(key
          ? [
              {
                Put: {
                  TableName: store.tableName,
                  Item: { ...signalKeyKey(accountId, signal.signalId), entity: 'signal-key', signalSk, request },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ]
          : []),
        auditPut(store, { accountId, at, by: actor, action: 'signal.recorded', entity: 'signal', entityId: signal.signalId, before: null, after: signal }),
        factsRevisionBump(store, accountId),
      ],
    });
    return { signal, replayed: false };
  } catch (error) {
    if (!key || !isTransactionConditionFailed(error)) throw error;
    const marker = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: signalKeyKey(accountId, signal.signalId), ConsistentRead: true }));
    const first = marker.Item
      ? await store.doc.send(
          new GetCommand({ TableName: store.tableName, Key: { pk: accountPartition(accountId), sk: String(marker.Item.signalSk) }, ConsistentRead: true }),
        )
      : undefined;
    if (marker.Item?.request === request && first?.Item) return { signal: signalFromItem(first.Item), replayed: true };
    throw new IdempotencyConflictError('idempotencyKey was already used for a different signal', { cause: error });
  }
}

export async function getOverrides(store: Store, accountId: string): Promise<Overrides | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: overridesKey(accountId), ConsistentRead: true }));
  return result.Item ? overridesFromItem(result.Item) : undefined;
}

/** Replaces the account's overrides (the body is the whole set), with an audit record of before and after. */
export async function saveOverrides(store: Store, accountId: string, overrides: Overrides, actor: string, at: string): Promise<void> {
  const before = await getOverrides(store, accountId);
  await transactThroughConflicts(store, {
    TransactItems: [
      { Put: { TableName: store.tableName, Item: { ...overridesKey(accountId), entity: 'overrides', overrides, updatedAt: at, updatedBy: actor } } },
      auditPut(store, {
        accountId,
        at,
        by: actor,
        action: 'overrides.replaced',
        entity: 'override',
        entityId: accountId,
        before: before ?? null,
        after: overrides,
      }),
      factsRevisionBump(store, accountId),
    ],
  });
}
