import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../shared/store/table-admin.ts';
import { createStore, type Store, type StoreOptions } from '../../shared/store/client.ts';

/** Tests may only ever talk to a DynamoDB on this machine. */
export function assertLocalEndpoint(endpoint: string): void {
  const host = new URL(endpoint).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`refusing to run tests against non-local DynamoDB endpoint ${endpoint}`);
  }
}

export function dynamoEndpoint(): string {
  const endpoint = inject('dynamoEndpoint');
  assertLocalEndpoint(endpoint);
  return endpoint;
}

/** A fresh table (from the shared definition) on the run's DynamoDB Local. */
export async function createTestStore(clientConfig?: StoreOptions['clientConfig']): Promise<Store> {
  const endpoint = dynamoEndpoint();
  const tableName = `test-${randomUUID()}`;
  const admin = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(admin, tableName);
  admin.destroy();
  return createStore({ tableName, endpoint, ...(clientConfig ? { clientConfig } : {}) });
}
