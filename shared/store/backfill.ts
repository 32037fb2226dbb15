import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { queryAllPages, type Store } from './client.ts';

/**
 * The backfill's own bookkeeping, one partition per scope (the options that decide what is
 * read, e.g. `since=2025-01-01,customer=all`), so `--resume` continues the run it interrupted:
 * - `RUN`: when the run started, whether it finished, and with which options;
 * - `RES#<resource>`: a checkpoint per Stripe list (the last object applied, counts), written
 *   after the objects before it are applied, so a resumed list repeats at most one batch
 *   (harmless: applying a fact twice changes nothing);
 * - `TOUCHED#<account>`: accounts whose facts the import may have changed, deleted once the
 *   account has been evaluated, so the evaluation phase resumes too.
 * Kept 90 days (TTL), long enough to resume and to look at, then gone.
 */
const KEEP_DAYS = 90;

export interface BackfillRun {
  scope: string;
  startedAt: string;
  finishedAt?: string;
  options: Record<string, string | boolean>;
}

export interface ResourceCheckpoint {
  resource: string;
  /** The last object applied (Stripe lists newest first: the next page starts after it). */
  lastId?: string;
  /** `created` of that object, for progress over the time span. */
  lastCreated?: number;
  /** `created` of the list's first (newest) object. */
  firstCreated?: number;
  read: number;
  applied: number;
  unchanged: number;
  skipped: number;
  done: boolean;
}

export interface EvaluationCounters {
  evaluated: number;
  flagged: number;
  reviewsOpened: number;
  reviewsScheduled: number;
  reminders: number;
}

const pk = (scope: string) => `BACKFILL#${scope}`;
const expiresAt = (at: string) => Math.floor(Date.parse(at) / 1000) + KEEP_DAYS * 86_400;

export async function getBackfillRun(store: Store, scope: string): Promise<BackfillRun | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: pk(scope), sk: 'RUN' }, ConsistentRead: true }));
  return result.Item ? (result.Item.run as BackfillRun) : undefined;
}

/** Starts a run from the beginning: the run item is replaced and earlier checkpoints are dropped. */
export async function startBackfillRun(store: Store, run: BackfillRun): Promise<void> {
  for (const item of await queryScope(store, run.scope, 'RES#')) {
    await store.doc.send(new DeleteCommand({ TableName: store.tableName, Key: { pk: item.pk, sk: item.sk } }));
  }
  await store.doc.send(
    new PutCommand({ TableName: store.tableName, Item: { pk: pk(run.scope), sk: 'RUN', entity: 'backfill_run', run, expiresAt: expiresAt(run.startedAt) } }),
  );
}

export async function finishBackfillRun(store: Store, scope: string, finishedAt: string): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: { pk: pk(scope), sk: 'RUN' },
      UpdateExpression: 'SET #run.finishedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#run': 'run' },
      ExpressionAttributeValues: { ':at': finishedAt },
    }),
  );
}

export async function listCheckpoints(store: Store, scope: string): Promise<Map<string, ResourceCheckpoint>> {
  const items = await queryScope(store, scope, 'RES#');
  return new Map(items.filter((item) => item.checkpoint).map((item) => [String(item.sk).slice(4), item.checkpoint as ResourceCheckpoint]));
}

export async function saveCheckpoint(store: Store, scope: string, checkpoint: ResourceCheckpoint, at: string): Promise<void> {
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { pk: pk(scope), sk: `RES#${checkpoint.resource}`, entity: 'backfill_checkpoint', checkpoint, updatedAt: at, expiresAt: expiresAt(at) },
    }),
  );
}

/** Marks accounts touched (TOUCHED#<account>): BatchWriteItem, 25 a request (unprocessed items sent again). */
export async function markTouchedMany(store: Store, scope: string, accountIds: readonly string[], at: string): Promise<void> {
  await batchWrite(
    store,
    accountIds.map((accountId) => ({
      PutRequest: { Item: { pk: pk(scope), sk: `TOUCHED#${accountId}`, entity: 'backfill_touched', accountId, expiresAt: expiresAt(at) } },
    })),
  );
}

/** Clears accounts' touched marks once evaluated, as markTouchedMany. */
export async function clearTouchedMany(store: Store, scope: string, accountIds: readonly string[]): Promise<void> {
  await batchWrite(
    store,
    accountIds.map((accountId) => ({ DeleteRequest: { Key: { pk: pk(scope), sk: `TOUCHED#${accountId}` } } })),
  );
}

async function batchWrite(store: Store, requests: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: Array<Record<string, unknown>> | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const result: BatchWriteCommandOutput = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: pending as never } }));
      pending = result.UnprocessedItems?.[store.tableName] as Array<Record<string, unknown>> | undefined;
    }
  }
}

export async function listTouched(store: Store, scope: string): Promise<string[]> {
  return (await queryScope(store, scope, 'TOUCHED#')).map((item) => String(item.accountId));
}

/** Adds evaluation outcomes (one account's, or a chunk's) to the run's totals (kept across resumed runs). */
export async function addEvaluationCounts(store: Store, scope: string, counts: EvaluationCounters, at: string): Promise<void> {
  const names = Object.keys(counts) as Array<keyof EvaluationCounters>;
  const values: Record<string, NativeAttributeValue> = { ':exp': expiresAt(at), ':entity': 'backfill_evaluation' };
  for (const name of names) values[`:${name}`] = counts[name];
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: { pk: pk(scope), sk: 'RES#evaluate' },
      UpdateExpression: `SET expiresAt = :exp, entity = :entity ADD ${names.map((n) => `${n} :${n}`).join(', ')}`,
      ExpressionAttributeValues: values,
    }),
  );
}

export async function getEvaluationCounts(store: Store, scope: string): Promise<EvaluationCounters> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: pk(scope), sk: 'RES#evaluate' }, ConsistentRead: true }));
  const item = result.Item ?? {};
  const count = (name: keyof EvaluationCounters) => Number(item[name] ?? 0);
  return {
    evaluated: count('evaluated'),
    flagged: count('flagged'),
    reviewsOpened: count('reviewsOpened'),
    reviewsScheduled: count('reviewsScheduled'),
    reminders: count('reminders'),
  };
}

async function queryScope(store: Store, scope: string, prefix: string): Promise<Array<Record<string, unknown>>> {
  return queryAllPages(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk(scope), ':prefix': prefix },
    ConsistentRead: true,
  });
}
