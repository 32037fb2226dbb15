import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Task } from '../../shared/domain/review.ts';
import { listAccountsDueForEvaluation } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { evaluateAccount } from '../../shared/usecases/evaluate-account.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { createTestStore } from '../support/store.ts';
import { invoiceEvents } from '../support/stripe-events.ts';

/**
 * A scheduled review whose signals clear on a Stripe event is held as it is through the settle
 * period, like an opening: a burst of out-of-order events (a finalisation seen before its
 * payment) neither cancels and reschedules it each time nor leaves it cancelled on a passing
 * state. The sweep's evaluation after the settle period cancels it if the signals are still clear.
 */
const NOW = new Date('2026-11-22T12:00:00Z');
const MINUTE = 60_000;
const DAY_MS = 86_400_000;
const SETTLE_MS = defaultPolicy.reviewSettleMinutes * MINUTE;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);
let store: Store;
const deps = () => ({ store, policy: defaultPolicy });
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());

/** A contract far ahead (its review is scheduled for its window), and an invoice 40 days overdue: a late payer. */
async function latePayer(customer: string) {
  await recordContract(deps(), {
    accountId: customer,
    actor: 'token:finance',
    source: 'manual',
    now: NOW,
    body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 },
  });
  const story = { customer, invoiceId: `in_${customer}_1`, finalizedAt: new Date(NOW.getTime() - 70 * DAY_MS), dueAt: new Date(NOW.getTime() - 40 * DAY_MS) };
  for (const event of invoiceEvents(story)) await applyStripeEvent(deps(), event, NOW);
  // Its payment, as Stripe reports it: paid late, but one late invoice is no habit.
  const paid = invoiceEvents({ ...story, paidAt: at(5) }).filter((e) => e.type === 'invoice.paid' || e.type === 'invoice.payment_succeeded');
  return { story, paid };
}

const reviews = async (customer: string): Promise<Task[]> => (await listTasks(deps(), { accountId: customer, limit: 10 })).items;
const dueAt = async (customer: string, until: Date) =>
  (await listAccountsDueForEvaluation(store, until.toISOString().slice(0, 10), until.toISOString())).includes(customer);

describe('a scheduled review whose signals clear on a Stripe event', () => {
  it('is held unchanged through the settle period, then cancelled by the sweep', async () => {
    const customer = 'cus_settle_cancel';
    const { paid } = await latePayer(customer);
    const [scheduled] = await reviews(customer);
    expect(scheduled).toMatchObject({ status: 'scheduled', openAt: '2027-05-17T00:00:00.000Z' });

    await applyStripeEvent(deps(), paid[0]!, at(5));
    await applyStripeEvent(deps(), paid[1]!, at(20));
    // Held: the same task, not cancelled, not rewritten.
    expect(await reviews(customer)).toEqual([scheduled]);
    // Due again at the first event's settle time (the second did not push it back).
    expect(await dueAt(customer, new Date(at(5).getTime() + SETTLE_MS - 1))).toBe(false);
    expect(await dueAt(customer, new Date(at(5).getTime() + SETTLE_MS))).toBe(true);

    const result = await runSweep(deps(), new Date(at(5).getTime() + SETTLE_MS));
    expect(result.failures).toBe(0);
    const [cancelled] = await reviews(customer);
    expect(cancelled).toMatchObject({ id: scheduled!.id, status: 'cancelled' });
    expect(cancelled!.history.map((h) => h.note)).toEqual([
      `review scheduled to open ${scheduled!.openAt}`,
      'cancelled: the signals cleared before the review opened',
    ]);
  });

  it('stays scheduled, never cancelled, when the signals return within the settle period', async () => {
    const customer = 'cus_settle_return';
    const { paid } = await latePayer(customer);
    const [scheduled] = await reviews(customer);
    await applyStripeEvent(deps(), paid[0]!, at(5));
    // A second invoice, 35 days overdue, seen ten minutes on: a late payer again.
    const second = {
      customer,
      invoiceId: `in_${customer}_2`,
      finalizedAt: new Date(NOW.getTime() - 65 * DAY_MS),
      dueAt: new Date(NOW.getTime() - 35 * DAY_MS),
    };
    for (const event of invoiceEvents(second)) await applyStripeEvent(deps(), event, at(10));
    await runSweep(deps(), at(90));
    const [review] = await reviews(customer);
    expect(review).toMatchObject({ id: scheduled!.id, status: 'scheduled', openAt: scheduled!.openAt });
    expect(review!.history.map((h) => h.status)).toEqual(['scheduled']);
    expect(review!.evidence).toMatchObject({ latePayment: { maxDaysOverdue: 35 } });
  });

  it('is cancelled at once by an evaluation not made for a Stripe event (a person or the sweep)', async () => {
    const customer = 'cus_settle_person';
    const { paid } = await latePayer(customer);
    await applyStripeEvent(deps(), paid[0]!, at(5));
    expect((await reviews(customer))[0]).toMatchObject({ status: 'scheduled' });
    await evaluateAccount(deps(), customer, at(6));
    expect((await reviews(customer))[0]).toMatchObject({ status: 'cancelled' });
  });
});
