import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';
import { reconcileReviews } from '../../shared/domain/review.ts';
import { apiHandlers } from '../../shared/http/api.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { bearerTokenAuthenticator } from '../../shared/http/auth.ts';
import type { Store } from '../../shared/store/client.ts';
import { reviewChangeItems, taskIdFor } from '../../shared/store/task.ts';
import { reviewOpenedNotification } from '../../shared/usecases/notifications.ts';
import { apiEvent } from '../support/http.ts';
import { createTestStore } from '../support/store.ts';

/**
 * `GET /tasks?format=csv` is a spreadsheet a person opens: it holds the whole list, not the first
 * page of 50 with the rest behind a response header nobody sees. With an explicit `limit` it is
 * one page, for clients that page.
 */
const TOKEN = 'tasks-csv-test-token';
const now = new Date('2026-11-22T12:00:00Z');
const TASKS = 230;
let store: Store;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  store = await createTestStore();
  const puts: Array<Record<string, unknown>> = [];
  for (let i = 0; i < TASKS; i++) {
    const accountId = `cus_csv${String(i).padStart(3, '0')}`;
    const plan: ReviewPlan = {
      kind: 'review',
      status: 'scheduled',
      targetEnd: '2027-06-30',
      noticeDeadline: '2027-05-31',
      openAt: '2027-05-17T00:00:00.000Z',
      dueAt: '2027-05-31T23:59:59.999Z',
      reasons: ['late_payer'],
      track: 'before_open',
    };
    const changes = reconcileReviews([], [plan], { accountId, now, evidence: {}, newId: (kind) => taskIdFor(accountId, kind, 1) });
    for (const item of reviewChangeItems(store, changes, new Map(), (task) => reviewOpenedNotification(task, { flags: [], now }))) {
      puts.push((item as { Put: { Item: Record<string, unknown> } }).Put.Item);
    }
  }
  for (let i = 0; i < puts.length; i += 25) {
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  app = createHttpApp({
    handlers: apiHandlers({ store, policy: defaultPolicy, clock: () => now }),
    fns: ['api'],
    includeLocalOnly: false,
    authenticate: bearerTokenAuthenticator(TOKEN),
  });
}, 60_000);
afterAll(() => store?.doc.destroy());

const get = (query: Record<string, string>) => app(apiEvent({ method: 'GET', path: '/tasks', query, headers: { authorization: `Bearer ${TOKEN}` } }));
const rowsOf = (body: unknown) => String(body).trim().split('\r\n').slice(1);

describe('GET /tasks?format=csv', () => {
  it('holds every task, over several pages of the index, with no cursor left', async () => {
    const result = await get({ format: 'csv' });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toContain('text/csv');
    const rows = rowsOf(result.body);
    expect(rows).toHaveLength(TASKS);
    expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(TASKS);
    expect(result.headers?.['x-next-cursor']).toBeUndefined();
  });

  it('with an explicit limit is one page, and its cursor leads to the rest', async () => {
    const first = await get({ format: 'csv', limit: '100' });
    expect(rowsOf(first.body)).toHaveLength(100);
    const cursor = first.headers?.['x-next-cursor'];
    expect(cursor).toEqual(expect.any(String));
    const rest = await get({ format: 'csv', cursor: String(cursor) });
    expect(rowsOf(rest.body)).toHaveLength(TASKS - 100);
    expect(new Set([...rowsOf(first.body), ...rowsOf(rest.body)].map((r) => r.split(',')[0])).size).toBe(TASKS);
  });

  it('JSON keeps its pages of 50 by default', async () => {
    const result = await get({});
    const body = JSON.parse(String(result.body)) as { items: unknown[]; nextCursor?: string };
    expect(body.items).toHaveLength(50);
    expect(body.nextCursor).toEqual(expect.any(String));
  });
});
