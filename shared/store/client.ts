import { createHash } from 'node:crypto';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  paginateQuery,
  TransactWriteCommand,
  type BatchGetCommandOutput,
  type NativeAttributeValue,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors.ts';
import { withoutSdkRequestLog } from '../config/sdk.ts';
import { InvalidCursorError } from './cursor.ts';
import { retryOptimistic } from './optimistic.ts';
import { eachAtOnce } from '../concurrency.ts';

/** What every repository needs: the document client and the table it works on. */
export interface Store {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

export interface StoreOptions {
  tableName: string;
  /** DynamoDB Local's URL; absent on AWS. */
  endpoint?: string;
  region?: string;
  /** Extra client settings (retry strategy, middleware in benchmarks and fault tests). */
  clientConfig?: DynamoDBClientConfig;
}

/** The one place a DynamoDB client is built. */
export function createStore(options: StoreOptions): Store {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    ...(local
      ? {
          endpoint: options.endpoint,
          region: options.region ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : options.region
        ? { region: options.region }
        : {}),
    ...options.clientConfig,
  });
  // A client given a logger (a test, a debugging session) keeps the SDK's request log.
  if (options.clientConfig?.logger === undefined) withoutSdkRequestLog(client);
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // A list cursor is client input: a start key DynamoDB refuses (edited, or from another list)
  // is the client's error, answered 400 naming the cursor, never a 500.
  doc.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const input = args.input as { ExclusiveStartKey?: unknown };
        if (input.ExclusiveStartKey !== undefined && (error as { name?: string }).name === 'ValidationException') {
          throw new InvalidCursorError('cursor does not fit this list', { cause: error });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'invalidCursorAsClientError' },
  );
  return { doc, tableName: options.tableName };
}

/** True when a DynamoDB error is the failed condition of a conditional write. */
export function isConditionFailed(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'ConditionalCheckFailedException';
}

/** True when a transaction was cancelled because one of its conditions failed. */
export function isTransactionConditionFailed(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> } | null;
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
}

/** True when a transaction was cancelled because another one was writing the same items at that moment. */
export function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> } | null;
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

/**
 * A transaction lost a race: a condition on what was read failed, or another transaction was
 * writing one of its items at that moment. Either way an optimistic writer reads again and redoes.
 */
export function isTransactionRace(error: unknown): boolean {
  return isTransactionConditionFailed(error) || isTransactionConflict(error);
}

/** DynamoDB's limit on the items of one TransactWriteItems request. */
export const MAX_TRANSACTION_ITEMS = 100;

// The optimistic-write policy lives in optimistic.ts; re-exported for callers that import it from here.
export { backoffAfterConflict, MAX_CONFLICT_ATTEMPTS } from './optimistic.ts';

/** An idempotency key sent again with a different body: nothing was written (field `idempotencyKey`). */
export class IdempotencyConflictError extends ConflictError {
  override readonly name = 'IdempotencyConflictError';
}

/** The id an idempotency key stands for: the same key always names the same record. */
export function idForKey(idempotencyKey: string): string {
  return `k${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
}

/** A write kept being cancelled by concurrent transactions on the same items; nothing was written. */
export class StoreBusyError extends ConflictError {
  override readonly name = 'StoreBusyError';
}

/**
 * Sends a transaction, and sends it again when DynamoDB cancelled it only because another
 * transaction was writing one of its items at that moment (`TransactionConflict`; typically the
 * account's revision, which every fact write moves), after the shared backoff. Only for
 * transactions whose conditions do not depend on anything read before (new keys, unconditional
 * puts): a failed condition is thrown as it is. Gives up after MAX_CONFLICT_ATTEMPTS with
 * StoreBusyError (409 to a person: nothing was written, send it again).
 */
export async function transactThroughConflicts(store: Store, input: TransactWriteCommandInput): Promise<void> {
  await retryOptimistic(
    async () => {
      await store.doc.send(new TransactWriteCommand(input));
    },
    {
      isRace: (error) => isTransactionConflict(error) && !isTransactionConditionFailed(error),
      exhausted: (error) => new StoreBusyError('the account kept changing while this was written; nothing was written, send it again', { cause: error }),
    },
  );
}

/** Every item a Query matches, all pages in order (the SDK's paginator on the store's table). */
export async function queryAllPages(store: Store, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for await (const page of paginateQuery({ client: store.doc }, { ...input, TableName: store.tableName })) items.push(...(page.Items ?? []));
  return items;
}

/** A table item's primary key. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** DynamoDB's limit on the keys of one BatchGetItem request. */
const MAX_BATCH_GET_KEYS = 100;
/** BatchGetItem requests one call sends at once. */
const MAX_BATCH_GET_CONCURRENCY = 4;

/**
 * The items with these keys, in the order given (a key given twice is read once and answered
 * twice); a key with no item is skipped. BatchGetItem requests of 100 keys (up to 4 at once), the keys DynamoDB
 * left unprocessed (throttling, the 16 MB answer limit) asked again after a backoff. `consistent`
 * for a strongly consistent read (twice the read units); the default reads eventually consistent.
 */
export async function batchGetItems(store: Store, keys: readonly ItemKey[], options: { consistent?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
  const id = (key: { pk?: unknown; sk?: unknown }) => `${String(key.pk)}|${String(key.sk)}`;
  const unique = new Map<string, ItemKey>();
  for (const key of keys) unique.set(id(key), { pk: key.pk, sk: key.sk });
  const distinct = [...unique.values()];
  const found = new Map<string, Record<string, unknown>>();
  const chunks: Array<Array<Record<string, NativeAttributeValue>>> = [];
  for (let i = 0; i < distinct.length; i += MAX_BATCH_GET_KEYS) chunks.push(distinct.slice(i, i + MAX_BATCH_GET_KEYS));
  // A few requests at once: the chunks are independent reads.
  await eachAtOnce(chunks, MAX_BATCH_GET_CONCURRENCY, async (chunk) => {
    let pending: Array<Record<string, NativeAttributeValue>> | undefined = chunk;
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const result: BatchGetCommandOutput = await store.doc.send(
        new BatchGetCommand({ RequestItems: { [store.tableName]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) } } }),
      );
      for (const item of result.Responses?.[store.tableName] ?? []) found.set(id(item), item);
      pending = result.UnprocessedKeys?.[store.tableName]?.Keys;
    }
  });
  return keys.flatMap((key) => {
    const item = found.get(id(key));
    return item ? [item] : [];
  });
}
