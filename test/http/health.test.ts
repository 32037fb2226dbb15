import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { apiHandlers } from '../../shared/http/api.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { bearerTokenAuthenticator } from '../../shared/http/auth.ts';
import type { Store } from '../../shared/store/client.ts';
import { apiEvent } from '../support/http.ts';
import { createTestStore } from '../support/store.ts';

/**
 * GET /health is anonymous, so on AWS it answers from a short cache of the last time the store
 * answered (functions/api/handler.ts sets 30 s): a flood of it is not a flood of DynamoDB reads.
 */
let store: Store;
let reads = 0;
let failing = false;
beforeAll(async () => {
  store = await createTestStore();
  store.doc.middlewareStack.add(
    (next) => async (args) => {
      reads++;
      if (failing) throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
});
afterAll(() => store?.doc.destroy());

const appWith = (healthCheckCacheMs?: number) =>
  createHttpApp({
    handlers: apiHandlers({ store, policy: defaultPolicy, clock: () => new Date(), ...(healthCheckCacheMs === undefined ? {} : { healthCheckCacheMs }) }),
    fns: ['api'],
    includeLocalOnly: false,
    authenticate: bearerTokenAuthenticator('health-test-token'),
  });
const health = (app: ReturnType<typeof appWith>) => app(apiEvent({ method: 'GET', path: '/health' }));

describe('GET /health', () => {
  it('with a cache, reads the store once for many calls, and keeps answering 200 within the window', async () => {
    const app = appWith(60_000);
    reads = 0;
    for (let i = 0; i < 20; i++) {
      const result = await health(app);
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(String(result.body))).toMatchObject({ status: 'ok' });
    }
    expect(reads).toBe(1);
    failing = true;
    try {
      expect((await health(app)).statusCode).toBe(200);
    } finally {
      failing = false;
    }
  });

  it('caches only an answer: a failing store is asked again on the next call', async () => {
    const app = appWith(60_000);
    failing = true;
    try {
      expect((await health(app)).statusCode).toBe(503);
      reads = 0;
      expect((await health(app)).statusCode).toBe(503);
      expect(reads).toBe(1);
    } finally {
      failing = false;
    }
    expect((await health(app)).statusCode).toBe(200);
  });

  it('without a cache (the default, as locally), reads the store on every call', async () => {
    const app = appWith();
    reads = 0;
    for (let i = 0; i < 3; i++) expect((await health(app)).statusCode).toBe(200);
    expect(reads).toBe(3);
  });
});
