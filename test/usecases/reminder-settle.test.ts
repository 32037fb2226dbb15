import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { getAccount } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.doc.destroy());

const notifications = async () => (await allItems(store)).filter((i) => String(i.sk).startsWith('~NOTIF#'));

describe('renewal reminders caused by Stripe events', () => {
  it('wait for the settle period and go out from the sweep, from the settled facts', async () => {
    // Notice deadline 2026-12-31 - 30 days = 2026-12-01: the 30-day reminder fell due on 2026-11-01.
    const customer = {
      ...fixture('customer'),
      id: 'cus_settle',
      name: 'Settle Ltd',
      metadata: { contract_end_date: '2026-12-31', renewal: 'auto', notice_period_days: '30' },
    };
    await applyStripeEvent({ store, policy: defaultPolicy }, stripeEvent('customer.updated', customer, epoch(NOW) - 60), NOW);
    expect(await notifications()).toEqual([]);
    const account = await getAccount(store, 'cus_settle');
    const settled = NOW.getTime() + defaultPolicy.reviewSettleMinutes * 60_000;
    expect(Date.parse(account?.nextEvalAt ?? '')).toBeLessThanOrEqual(settled);
    expect(account?.remindersSent).toEqual([]);
    // Another event a little later neither postpones the reminder nor rewrites the account.
    const invoice = { ...fixture('invoice'), id: 'in_settle', customer: 'cus_settle', status: 'open' };
    await applyStripeEvent({ store, policy: defaultPolicy }, stripeEvent('invoice.finalized', invoice, epoch(NOW) - 30), new Date(NOW.getTime() + 10 * 60_000));
    expect((await getAccount(store, 'cus_settle'))?.nextEvalAt).toBe(account?.nextEvalAt);

    // Before the settle period ends the sweep sends nothing; after it, the reminder goes out once.
    await runSweep({ store, policy: defaultPolicy }, new Date(settled - 60_000));
    expect(await notifications()).toEqual([]);
    await runSweep({ store, policy: defaultPolicy }, new Date(settled + 60_000));
    await runSweep({ store, policy: defaultPolicy }, new Date(settled + 120_000));
    const sent = (await notifications()).filter((n) => (n.notification as { type: string }).type === 'renewal_reminder');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.notification).toMatchObject({ type: 'renewal_reminder', offsetDays: 30, accountId: 'cus_settle' });
  });
});
