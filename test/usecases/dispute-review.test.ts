import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { getAccountView } from '../../shared/usecases/read-accounts.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

/**
 * domain.md lists disputes among the signals: two disputes opened within the dispute window
 * (defaults: 2 in 365 days) flag the account, and a flagged account gets its review, timed to
 * its contract like any other. Through Stripe's own events, end to end in the processor's code.
 */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());

describe('disputes as a signal', () => {
  it('two disputes in the window flag the account and open its review; one does not', async () => {
    const deps = { store, policy: defaultPolicy };
    const customer = 'cus_disputed';
    await recordContract(deps, {
      accountId: customer,
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 },
    });
    const dispute = (n: number, daysAgo: number) => {
      const charge = { ...fixture('charge'), id: `ch_disputed_${n}`, customer, amount: 40_000, currency: 'usd' };
      return [
        stripeEvent('charge.succeeded', charge, epoch(now) - (daysAgo + 5) * 86_400, `evt_ch_disputed_${n}`),
        stripeEvent(
          'charge.dispute.created',
          {
            ...fixture('dispute'),
            id: `dp_disputed_${n}`,
            charge: charge.id,
            amount: 40_000,
            currency: 'usd',
            status: 'needs_response',
            created: epoch(now) - daysAgo * 86_400,
          },
          epoch(now) - daysAgo * 86_400,
          `evt_dp_disputed_${n}`,
        ),
      ];
    };
    for (const event of dispute(1, 100)) await applyStripeEvent(deps, event, now);
    expect((await getAccountView(deps, customer, now)).flags).not.toContain('disputes');
    expect((await listTasks(deps, { accountId: customer, limit: 10 })).items).toHaveLength(0);

    for (const event of dispute(2, 20)) await applyStripeEvent(deps, event, now);
    expect((await getAccountView(deps, customer, now)).flags).toContain('disputes');
    const [review] = (await listTasks(deps, { accountId: customer, limit: 10 })).items;
    expect(review).toMatchObject({ kind: 'review', targetEnd: '2027-06-30', noticeDeadline: '2027-05-31' });
    expect(review!.reasons.join(' ')).toMatch(/dispute/i);
  });
});
