import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { humanSignalSchema, overridesBodySchema, type HumanSignal, type Overrides, type SignalBody } from '../domain/account-inputs.ts';
import { factsRevisionBump } from './account.ts';
import { auditPut } from './audit.ts';
import { transactThroughConflicts, type Store } from './client.ts';

/** Human signals (`SIGNAL#<at>#<id>`) and the overrides item (`OVERRIDES`), each audited and counted as facts. */
export const SIGNAL_SK_PREFIX = 'SIGNAL#';
const overridesKey = (accountId: string) => ({ pk: `ACCT#${accountId}`, sk: 'OVERRIDES' });

export function signalFromItem(item: Record<string, unknown>): HumanSignal {
  return humanSignalSchema.parse(item.signal);
}

export function overridesFromItem(item: Record<string, unknown>): Overrides {
  return overridesBodySchema.parse(item.overrides);
}

export async function recordSignal(store: Store, accountId: string, body: SignalBody, actor: string, at: string): Promise<HumanSignal> {
  const signal: HumanSignal = { signalId: randomUUID(), accountId, signal: body.signal, note: body.note, recordedBy: body.recordedBy ?? actor, at };
  await transactThroughConflicts(store, {
    TransactItems: [
      { Put: { TableName: store.tableName, Item: { pk: `ACCT#${accountId}`, sk: `${SIGNAL_SK_PREFIX}${at}#${signal.signalId}`, entity: 'signal', signal }, ConditionExpression: 'attribute_not_exists(pk)' } },
      auditPut(store, { accountId, at, by: actor, action: 'signal.recorded', entity: 'signal', entityId: signal.signalId, before: null, after: signal }),
      factsRevisionBump(store, accountId),
    ],
  });
  return signal;
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
      auditPut(store, { accountId, at, by: actor, action: 'overrides.replaced', entity: 'override', entityId: accountId, before: before ?? null, after: overrides }),
      factsRevisionBump(store, accountId),
    ],
  });
}
