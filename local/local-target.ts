import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStore, type Store } from '../shared/store/client.ts';
import { tableDefinition } from '../shared/store/table.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { loadLocalSecrets } from './secrets.ts';
import { ensureTable } from '../shared/store/table-admin.ts';

/** Settings every local command shares (see README "Configure"). */
export function localSettings(env: NodeJS.ProcessEnv = process.env) {
  const dataDir = resolve(env.WATCHER_DATA_DIR || '.data');
  return { dataDir, port: Number(env.PORT ?? 3000), secrets: loadLocalSecrets(dataDir, env) };
}

/** True when `npm start` is serving on this machine (its health route answers). */
export async function runningWatcherUrl(port: number): Promise<string | undefined> {
  const url = `http://127.0.0.1:${port}`;
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    return response.ok ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Written in the data dir while the watcher runs: `{ pid, url, dynamoEndpoint, tableName }`. */
export const RUNTIME_FILE = 'watcher.json';

/**
 * The store of the watcher running on this data dir, if one is (its runtime file names its
 * DynamoDB Local and table, and its health route answers).
 */
export async function runningWatcherStore(dataDir: string): Promise<Store | undefined> {
  let runtime: { url?: unknown; dynamoEndpoint?: unknown; tableName?: unknown };
  try {
    runtime = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), 'utf8')) as typeof runtime;
  } catch {
    return undefined;
  }
  if (typeof runtime.url !== 'string' || typeof runtime.dynamoEndpoint !== 'string' || typeof runtime.tableName !== 'string') return undefined;
  try {
    const health = await fetch(`${runtime.url}/health`, { signal: AbortSignal.timeout(1500) });
    if (!health.ok) return undefined;
  } catch {
    return undefined; // left behind by a watcher that did not stop cleanly
  }
  return createStore({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint });
}

/**
 * Runs `work` against the local store when the watcher is not running: starts DynamoDB Local
 * on the data directory (the same files `npm start` uses), ensures the table, stops it after.
 */
export async function withLocalStore<T>(dataDir: string, work: (store: Store) => Promise<T>): Promise<T> {
  const dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  const admin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await ensureTable(admin, tableDefinition.defaultName);
    const store = createStore({ tableName: tableDefinition.defaultName, endpoint: dynamo.endpoint });
    try {
      return await work(store);
    } finally {
      store.doc.destroy();
    }
  } finally {
    admin.destroy();
    await dynamo.stop();
  }
}

export class StackOutputError extends Error {
  override readonly name = 'StackOutputError';
}

/** The deployed table's name, from the stateful stack's `TableName` output. */
export async function tableFromStack(
  stack: string,
  region: string | undefined,
  cloudformation = new CloudFormationClient(region ? { region } : {}),
): Promise<string> {
  try {
    const result = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
    const output = result.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TableName')?.OutputValue;
    if (!output) throw new StackOutputError(`stack ${stack} has no TableName output (is it the Stateful stack, e.g. Termwatch-prod-Stateful?)`);
    return output;
  } catch (error) {
    if (error instanceof StackOutputError) throw error;
    throw new StackOutputError(`cannot read stack ${stack}: ${(error as Error).message}`, { cause: error });
  } finally {
    cloudformation.destroy();
  }
}
