import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { createTestStore } from '../support/store.ts';
import { invoiceEvents } from '../support/stripe-events.ts';

/**
 * Reviews that Stripe events would open at once wait out the settle period (60 minutes), except
 * when the review's deadline falls within it: domain.md times every review to open before the
 * notice deadline, and a review opened an hour later would open after the last day notice can be
 * given. 23:40 UTC, so a notice deadline of today ends 20 minutes on.
 */
const NOW = new Date('2026-11-22T23:40:00Z');
const DAY_MS = 86_400_000;
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());

/** A contract, then an invoice 40 days overdue (over 30 days overdue: a late payer) through Stripe's events. */
async function lateNowWith(customer: string, contract: { endDate: string; renewal: 'auto' | 'fixed'; noticeDays: number }) {
  const deps = { store, policy: defaultPolicy };
  await recordContract(deps, { accountId: customer, actor: 'token:finance', source: 'manual', now: NOW, body: contract });
  const story = { customer, invoiceId: `in_${customer}`, finalizedAt: new Date(NOW.getTime() - 70 * DAY_MS), dueAt: new Date(NOW.getTime() - 40 * DAY_MS) };
  for (const event of invoiceEvents(story)) await applyStripeEvent(deps, event, NOW);
  return (await listTasks(deps, { accountId: customer, limit: 10 })).items;
}

describe('the settle period and the notice deadline', () => {
  it('opens at once a review whose notice deadline ends within the settle period', async () => {
    // Notice deadline 2026-12-22 − 30 days = 2026-11-22, which ends at 24:00 UTC, 20 minutes on.
    const [review, ...more] = await lateNowWith('cus_deadline_tonight', { endDate: '2026-12-22', renewal: 'auto', noticeDays: 30 });
    expect(more).toEqual([]);
    expect(review).toMatchObject({ status: 'open', targetEnd: '2026-12-22', noticeDeadline: '2026-11-22', track: 'within_window' });
    expect(review!.dueAt).toBe('2026-11-22T23:59:59.999Z');
    expect(Date.parse(review!.openAt)).toBeLessThanOrEqual(NOW.getTime());
  });

  it('opens at once a fixed term past its deadline that ends within the settle period', async () => {
    const [review] = await lateNowWith('cus_fixed_ends_tonight', { endDate: '2026-11-22', renewal: 'fixed', noticeDays: 30 });
    expect(review).toMatchObject({ status: 'open', targetEnd: '2026-11-22', track: 'fixed_past_deadline' });
    expect(review!.dueAt).toBe('2026-11-22T23:59:59.999Z');
  });

  it('still settles a review whose deadline is further off than the settle period', async () => {
    // Notice deadline 2026-11-23, a day on: the review waits the settle period, due at the deadline.
    const [review] = await lateNowWith('cus_deadline_tomorrow', { endDate: '2026-12-23', renewal: 'auto', noticeDays: 30 });
    expect(review).toMatchObject({ status: 'scheduled', targetEnd: '2026-12-23', noticeDeadline: '2026-11-23' });
    expect(review!.openAt).toBe(new Date(NOW.getTime() + defaultPolicy.reviewSettleMinutes * 60_000).toISOString());
    expect(review!.dueAt).toBe('2026-11-23T23:59:59.999Z');
  });
});
