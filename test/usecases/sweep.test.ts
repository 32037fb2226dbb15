import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';
import { reconcileReviews } from '../../shared/domain/review.ts';
import type { Store } from '../../shared/store/client.ts';
import { getTask, reviewChangeItems, taskIdFor } from '../../shared/store/task.ts';
import { runSweep, sweepUntil } from '../../shared/usecases/sweep.ts';
import { accountKey, listAccountsDueForEvaluation } from '../../shared/store/account.ts';
import { saveSweepCheckpoint } from '../../shared/store/sweep-state.ts';
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
        reads.dueIndexItems += (result.output as { Count?: number }).Count ?? 0;
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

describe('an account whose re-evaluation keeps failing', () => {
  it("is retried an hour on, and does not hold back every other account's due work", async () => {
    const table = await createTestStore();
    // Every read of the poisoned account's partition fails (as a bug in its data would).
    table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
        if (context.commandName === 'QueryCommand' && !input.IndexName && Object.values(input.ExpressionAttributeValues ?? {}).includes('ACCT#cus_poison')) {
          throw new Error('cannot read this account');
        }
        return next(args);
      },
      { step: 'initialize', name: 'poison' },
    );
    const dayAt = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString();
    const dueAccount = async (accountId: string, at: string) =>
      table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...accountKey(accountId),
            entity: 'account',
            accountId,
            factsRev: 0,
            nextEvalAt: at,
            gsi2pk: `EVAL#${at.slice(0, 10)}`,
            gsi2sk: `${at}#${accountId}`,
          },
        }),
      );
    await dueAccount('cus_poison', dayAt(-100));
    await dueAccount('cus_fine', dayAt(-3));
    await saveSweepCheckpoint(table, dayAt(-100).slice(0, 10), dayAt(-100));
    const deps = { store: table, policy: defaultPolicy };

    // 62 days per run: the first run stops short of today; the poisoned account fails and is deferred.
    expect(await runSweep(deps, now)).toMatchObject({ failures: 1, daysRead: 62 });
    const poisoned = (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: accountKey('cus_poison') }))).Item!;
    expect(poisoned.nextEvalAt).toBe(new Date(now.getTime() + 3_600_000).toISOString());
    // The second run reaches today (before, the checkpoint stayed at the poisoned day, 100 days
    // back, so no run ever got past day -39 again and cus_fine was never re-evaluated).
    expect(await runSweep(deps, now)).toMatchObject({ failures: 0, accountsReevaluated: 1 });
    expect(await listAccountsDueForEvaluation(table, dayAt(-3).slice(0, 10), now.toISOString())).toEqual([]);
    // An hour on, the poisoned account is tried again, and still reported.
    expect(await runSweep(deps, new Date(now.getTime() + 2 * 3_600_000))).toMatchObject({ failures: 1 });
    table.doc.destroy();
  });
});

describe('the sweep as if at a later time (local POST /admin/sweep {now})', () => {
  it('reads every day up to that time in one call, from today when there is no checkpoint yet', async () => {
    for (const withCheckpoint of [true, false]) {
      const table = await createTestStore();
      // A review due to open 80 days from now: beyond one run's 62 days.
      await seedScheduledReviews(table, 1, () => new Date(now.getTime() + 80 * 86_400_000).toISOString());
      if (withCheckpoint) await saveSweepCheckpoint(table, now.toISOString().slice(0, 10), now.toISOString());
      const later = new Date(now.getTime() + 81 * 86_400_000);
      const result = await sweepUntil({ store: table, policy: defaultPolicy }, later, now);
      expect(result, `checkpoint: ${withCheckpoint}`).toMatchObject({ caughtUp: true, failures: 0, accountsReevaluated: 1 });
      expect(result.daysRead).toBeGreaterThanOrEqual(82);
      // Re-evaluated on its day (its signals are gone in this seed, so it is cancelled rather than opened).
      expect((await getTask(table, taskIdFor('cus_seed0', 'review', 1))).task.status).not.toBe('scheduled');
      table.doc.destroy();
    }
  });
});

describe('a sweep run as if in the past (local mode)', () => {
  it('reads its own day and leaves the checkpoint where it was, so the next run does not go back over every day since', async () => {
    const store = await createTestStore();
    const deps = { store, policy: defaultPolicy };
    await runSweep(deps, now);
    const past = await runSweep(deps, new Date('2001-01-01T00:00:00Z'));
    expect(past.daysRead).toBe(1);
    const next = await runSweep(deps, new Date(now.getTime() + 3_600_000));
    expect(next).toMatchObject({ daysRead: 1, caughtUp: true });
    store.doc.destroy();
  });
});

describe('the checkpoint under overlapping sweeps', () => {
  it('never moves back: a slower sweep that read an older checkpoint cannot undo a faster one', async () => {
    const table = await createTestStore();
    const read = async () => (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'SWEEP', sk: 'STATE' } }))).Item;
    expect(await saveSweepCheckpoint(table, '2026-11-20', '2026-11-20T07:00:00.000Z')).toBe(true);
    // The faster sweep got to today; the slower one (a late retry) still holds a day it left pending.
    expect(await saveSweepCheckpoint(table, '2026-11-22', '2026-11-22T07:00:00.000Z')).toBe(true);
    expect(await saveSweepCheckpoint(table, '2026-11-21', '2026-11-22T07:00:05.000Z')).toBe(false);
    expect(await read()).toMatchObject({ oldestPendingDay: '2026-11-22', lastRunAt: '2026-11-22T07:00:00.000Z' });
    // The same day again is not a move back.
    expect(await saveSweepCheckpoint(table, '2026-11-22', '2026-11-22T08:00:00.000Z')).toBe(true);
    expect(await read()).toMatchObject({ oldestPendingDay: '2026-11-22', lastRunAt: '2026-11-22T08:00:00.000Z' });
    table.doc.destroy();
  });

  it('two sweeps at once both finish, and the checkpoint ends at today', async () => {
    const table = await createTestStore();
    await saveSweepCheckpoint(table, new Date(now.getTime() - 5 * 86_400_000).toISOString().slice(0, 10), now.toISOString());
    await seedScheduledReviews(table, 3, () => new Date(now.getTime() - 86_400_000).toISOString());
    const deps = { store: table, policy: defaultPolicy };
    const results = await Promise.all([runSweep(deps, now), runSweep(deps, now)]);
    for (const result of results) expect(result.failures).toBe(0);
    const state = (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'SWEEP', sk: 'STATE' } }))).Item;
    expect(state?.oldestPendingDay).toBe(now.toISOString().slice(0, 10));
    table.doc.destroy();
  });
});
