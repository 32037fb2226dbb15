import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileReviews } from '../../shared/domain/review.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';
import type { Store } from '../../shared/store/client.ts';
import { listTasksByStatus, reviewChangeItems, taskIdFor } from '../../shared/store/task.ts';
import { reviewOpenedNotification } from '../../shared/usecases/notifications.ts';
import { createTestStore } from '../support/store.ts';

/**
 * The task lists read every status partition at once and cut the page from their entries in
 * status order (shared/store/task.ts): a page that ends inside a later status must carry on from
 * there, with nothing skipped or listed twice. DynamoDB Local.
 */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
/** Task ids in the order the list gives them: open by due time, then scheduled by due time. */
const expected: string[] = [];

function plan(status: 'open' | 'scheduled', n: number): ReviewPlan {
  const day = String(n + 1).padStart(2, '0');
  return {
    kind: 'review',
    status,
    targetEnd: '2027-06-30',
    noticeDeadline: '2027-05-31',
    openAt: status === 'open' ? '2026-11-20T00:00:00.000Z' : `2027-05-${day}T00:00:00.000Z`,
    dueAt: `2027-05-${day}T23:59:59.999Z`,
    reasons: ['late_payer'],
    track: 'before_open',
  };
}

beforeAll(async () => {
  store = await createTestStore();
  const puts: Array<Record<string, unknown>> = [];
  for (const [status, count] of [
    ['open', 7],
    ['scheduled', 5],
  ] as const) {
    for (let n = 0; n < count; n++) {
      const accountId = `cus_list_${status}_${n}`;
      const changes = reconcileReviews([], [plan(status, n)], { accountId, now, evidence: {}, newId: (kind) => taskIdFor(accountId, kind, 1) });
      for (const item of reviewChangeItems(store, changes, new Map(), (task) => reviewOpenedNotification(task, { flags: [], now }))) {
        const put = (item as { Put?: { Item: Record<string, unknown> } }).Put;
        if (put) puts.push(put.Item);
      }
      expected.push(taskIdFor(accountId, 'review', 1));
    }
  }
  for (let i = 0; i < puts.length; i += 25) {
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}, 60_000);
afterAll(() => store?.doc.destroy());

async function walk(query: { limit: number; dueBefore?: string; statuses?: Array<'open' | 'scheduled'> }) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listTasksByStatus(store, { ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.items.map((t) => t.id));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 20);
  return pages;
}

describe('listTasksByStatus', () => {
  it('gives every task once, in status then due order, over pages that end inside a later status', async () => {
    const pages = await walk({ limit: 3 });
    expect(pages.flat()).toEqual(expected);
    // The third page holds the last open task and the first two scheduled ones.
    expect(pages[2]).toEqual([expected[6], expected[7], expected[8]]);
    expect(pages.every((p) => p.length <= 3)).toBe(true);
  });

  it('fills one page from several statuses when the first runs short', async () => {
    const [page] = await walk({ limit: 10 });
    expect(page).toEqual(expected.slice(0, 10));
    expect((await walk({ limit: 50 }))[0]).toEqual(expected);
  });

  it('keeps the statuses asked for, in their order, and the due filter', async () => {
    expect((await walk({ limit: 4, statuses: ['scheduled', 'open'] })).flat()).toEqual([...expected.slice(7), ...expected.slice(0, 7)]);
    // Due before 4 May: the first three of each status.
    expect((await walk({ limit: 2, dueBefore: '2027-05-04T00:00:00.000Z' })).flat()).toEqual([...expected.slice(0, 3), ...expected.slice(7, 10)]);
  });
});
