import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../local/dynamodb-local.ts';
import { ensureTable } from '../shared/store/table-admin.ts';
import { createStore, type Store } from '../shared/store/client.ts';

/** The benchmark only ever talks to a DynamoDB on this machine. */
export function assertLocalEndpoint(endpoint: string): void {
  const host = new URL(endpoint).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`refusing to benchmark against non-local DynamoDB endpoint ${endpoint}`);
  }
}

/** DynamoDB Local in memory, for the whole run; each phase makes tables of its own. */
export async function startBenchDynamo(): Promise<RunningDynamoDbLocal> {
  const dynamo = await startDynamoDbLocal();
  assertLocalEndpoint(dynamo.endpoint);
  return dynamo;
}

/**
 * A process's CPU time (user + system) from /proc, in ms: DynamoDB Local's Java process, whose
 * work the Node side's `process.cpuUsage` does not see. Linux only; 10 ms clock ticks.
 */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function adminClient(endpoint: string): DynamoDBClient {
  assertLocalEndpoint(endpoint);
  return new DynamoDBClient({ endpoint, region: 'local', credentials: localCredentials });
}

/** A fresh table from the shared definition. */
export async function createBenchTable(endpoint: string, prefix: string): Promise<string> {
  const tableName = `bench-${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = adminClient(endpoint);
  try {
    await ensureTable(admin, tableName);
  } finally {
    admin.destroy();
  }
  return tableName;
}

/** A store (the product's `createStore`, default SDK retries) on a fresh table. */
export async function createBenchStore(endpoint: string, prefix: string): Promise<Store> {
  const tableName = await createBenchTable(endpoint, prefix);
  return createStore({ tableName, endpoint });
}
