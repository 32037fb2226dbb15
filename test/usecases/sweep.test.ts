import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/config/policy.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';
import { reconcileReviews } from '../../shared/domain/review.ts';
import type { Store } from '../../shared/store/client.ts';
import { reviewChangeItems, taskIdFor } from '../../shared/store/task.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { reviewOpenedNotification } from '../../shared/usecases/notifications.ts';
import { createTestStore } from '../support/store.ts';

const now = new Date('2026-11-22T07:00:00Z');

/** Scheduled reviews written straight to the table, as evaluations would leave them. */
async function seedScheduledReviews(store: Store, count: number, openAt: (i: number) => string) {
  const puts: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const accountId = `cus_seed${i}`;
    const plan: ReviewPlan = {
      kind: 'review',
      status: 'scheduled',
      targetEnd: '2027-06-30',
      noticeDeadline: '2027-05-31',
      openAt: openAt(i),
      dueAt: '2027-05-31T23:59:59.999Z',
      reasons: ['late_payer'],
      track: 'before_open',
    };
    const changes = reconcileReviews([], [plan], { accountId, now, evidence: {}, newId: (kind) => taskIdFor(accountId, kind, 1) });
    const items = reviewChangeItems(store, changes, new Map(), (task) => reviewOpenedNotification(task, { flags: [], now }));
    for (const item of items) puts.push((item as { Put: { Item: Record<string, unknown> } }).Put.Item);
  }
  for (let i = 0; i < puts.length; i += 25) {
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

let store: Store;
const reads = { scans: 0, dueIndexItems: 0 };

beforeAll(async () => {
  store = await createTestStore();
  store.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ScanCommand') reads.scans++;
      const input = args.input as { IndexName?: string };
      if (context.commandName === 'QueryCommand' && input.IndexName === 'gsi2') {
        reads.dueIndexItems += ((result.output as { Count?: number }).Count ?? 0);
      }
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
});

describe('daily sweep', () => {
  it('reads only the reviews due to open and never scans', async () => {
    // 300 reviews opening next spring, 3 opening this morning.
    await seedScheduledReviews(store, 300, (i) => `2027-03-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.000Z`);
    await seedScheduledReviews(store, 3, () => '2026-11-22T00:00:00.000Z');
    reads.scans = 0;
    reads.dueIndexItems = 0;
    await runSweep({ store, policy: defaultPolicy }, now);
    expect(reads.scans).toBe(0);
    // The three due reviews, read once when found (the evaluation itself reads the account partition).
    expect(reads.dueIndexItems).toBe(3);
  });
});
