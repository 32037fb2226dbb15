import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTestStore } from '../support/store.ts';

const hasRequestLog = (stack: { identify(): string[] }) => stack.identify().some((entry) => entry.startsWith('loggerMiddleware'));

describe('createStore and the SDK request log', () => {
  it('builds its client without the request-log middleware when no logger is given, and still reads', async () => {
    const store = await createTestStore();
    try {
      expect(hasRequestLog(store.doc.middlewareStack)).toBe(false);
      const answer = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: 'NONE', sk: 'NONE' } }));
      expect(answer.Item).toBeUndefined();
    } finally {
      store.doc.destroy();
    }
  });

  it('keeps it for a client given a logger, which then receives each request', async () => {
    const logged: unknown[] = [];
    const noop = () => {};
    const store = await createTestStore({ logger: { debug: noop, info: (entry: unknown) => logged.push(entry), warn: noop, error: noop } });
    try {
      expect(hasRequestLog(store.doc.middlewareStack)).toBe(true);
      await store.doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: 'NONE', sk: 'NONE' } }));
      expect(logged).toEqual([expect.objectContaining({ clientName: 'DynamoDBClient', commandName: 'GetItemCommand' })]);
    } finally {
      store.doc.destroy();
    }
  });
});
