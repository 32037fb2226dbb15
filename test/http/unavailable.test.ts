import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { apiHandlers } from '../../shared/http/api.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { bearerTokenAuthenticator } from '../../shared/http/auth.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import type { Store } from '../../shared/store/client.ts';
import { apiEvent } from '../support/http.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { expectDocumentedAnswer, operationsOf } from './openapi-operations.ts';

/**
 * DynamoDB throttling or not answering, still after the SDK's retries, is a moment's trouble, not a
 * fault in the request: 503 with Retry-After, documented on every route that uses the store. An
 * error that is neither (a bug, a malformed request to DynamoDB) stays a 500 with no detail.
 */
const TOKEN = 'unavailable-test-token';
let store: Store;
/** The error every DynamoDB call fails with while set (as if the SDK had given up retrying). */
let failWith: Error | undefined;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  store = await createTestStore();
  store.doc.middlewareStack.add(
    (next) => async (args) => {
      if (failWith) throw failWith;
      return next(args);
    },
    { step: 'initialize', name: 'failEveryCall' },
  );
  app = createHttpApp({
    handlers: apiHandlers({ store, policy: defaultPolicy, clock: () => new Date('2026-11-22T12:00:00Z') }),
    fns: ['api'],
    includeLocalOnly: false,
    authenticate: bearerTokenAuthenticator(TOKEN),
  });
});
afterAll(() => store?.doc.destroy());

const throttled = () =>
  Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
    $retryable: { throttling: true },
  });
const timedOut = () => Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
const rejected = () =>
  Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });

const send = (method: string, path: string, body?: unknown) =>
  app(
    apiEvent({
      method,
      path,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

describe('the store throttling or not answering', () => {
  it.each([
    ['throttling', throttled],
    ['a timeout', timedOut],
  ])('%s answers 503 with Retry-After, on reads, writes and the health check', async (_, error) => {
    failWith = error();
    try {
      for (const [method, path, body] of [
        ['GET', '/health'],
        ['GET', '/accounts/cus_busy'],
        ['GET', '/tasks'],
        ['PUT', '/accounts/cus_busy/contract', { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 }],
      ] as const) {
        const result = await send(method, path, body);
        expect(result.statusCode, `${method} ${path}`).toBe(503);
        expect(result.headers?.['retry-after']).toBe('1');
        expect(JSON.parse(String(result.body))).toMatchObject({ error: { code: 'unavailable' } });
      }
    } finally {
      failWith = undefined;
    }
    expect(await allItems(store)).toHaveLength(0);
  });

  it('another DynamoDB error stays a 500 that says nothing of it', async () => {
    failWith = rejected();
    try {
      const result = await send('GET', '/accounts/cus_busy');
      expect(result.statusCode).toBe(500);
      expect(String(result.body)).not.toContain('parameter values');
    } finally {
      failWith = undefined;
    }
  });

  it('the document gives 503 on every route that uses the store, and the answer matches it', async () => {
    const doc = openApiDocument();
    const operations = operationsOf(doc);
    for (const op of operations) {
      const statuses = Object.keys(op.operation.responses);
      if (op.key === 'GET /openapi.json') expect(statuses, op.key).not.toContain('503');
      else expect(statuses, op.key).toContain('503');
    }
    failWith = throttled();
    try {
      const result = await send('GET', '/health');
      const health = operations.find((op) => op.key === 'GET /health')!;
      expectDocumentedAnswer(doc, health, { status: result.statusCode!, contentType: 'application/json', text: String(result.body) });
    } finally {
      failWith = undefined;
    }
  });
});
