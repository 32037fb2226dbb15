import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
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
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}
