import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { importContractsCsv, recordContract } from '../../shared/usecases/contracts.ts';
import { getAccountView } from '../../shared/usecases/read-accounts.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { decideTask } from '../../shared/usecases/decide.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { createTestStore } from '../support/store.ts';
import { daysBefore, invoiceEvents } from '../support/stripe-events.ts';

/**
 * The for-cause track (domain.md): when the policy enables it, an invoice unpaid past the
 * contract's cure period opens a for-cause review at once. A contract may give its own cure
 * period (`cureDays`); without one, the policy's (`forCause.cureDays`, 30) applies.
 */
const now = new Date('2026-11-22T12:00:00Z');
const policy = parsePolicy({ forCause: { enabled: true, cureDays: 30 } });
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());
const deps = () => ({ store, policy });

/** One invoice due `daysOverdue` days ago, still unpaid, through Stripe's events. */
async function unpaid(customer: string, daysOverdue: number) {
  const story = { customer, invoiceId: `in_${customer}`, finalizedAt: daysBefore(now, daysOverdue + 30), dueAt: daysBefore(now, daysOverdue) };
  for (const event of invoiceEvents(story)) await applyStripeEvent(deps(), event, now);
}
const forCauseOf = async (accountId: string) => (await listTasks(deps(), { accountId, limit: 10 })).items.filter((t) => t.kind === 'for_cause');

describe("the for-cause track's cure period", () => {
  it("is the contract's own when it gives one", async () => {
    await recordContract(deps(), {
      accountId: 'cus_cure_10',
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30, cureDays: 10 },
    });
    await unpaid('cus_cure_10', 15);
    const [review, ...more] = await forCauseOf('cus_cure_10');
    expect(more).toEqual([]);
    // Opened by Stripe's events: after the settle period (the next sweep opens it).
    expect(review).toMatchObject({
      kind: 'for_cause',
      status: 'scheduled',
      track: 'for_cause',
      openAt: new Date(now.getTime() + policy.reviewSettleMinutes * 60_000).toISOString(),
    });
    expect(review!.reasons.join(' ')).toContain("the contract's cure period: 10 days");
    expect((await getAccountView(deps(), 'cus_cure_10', now)).contract).toMatchObject({ cureDays: 10 });
  });

  it("is the policy's otherwise: 15 days unpaid is within it, 31 past it", async () => {
    await recordContract(deps(), {
      accountId: 'cus_cure_policy',
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 },
    });
    await unpaid('cus_cure_policy', 15);
    expect(await forCauseOf('cus_cure_policy')).toEqual([]);
    expect((await getAccountView(deps(), 'cus_cure_policy', now)).contract).not.toHaveProperty('cureDays');
    await unpaid('cus_cure_policy_late', 31);
    const [review] = await forCauseOf('cus_cure_policy_late');
    expect(review!.reasons.join(' ')).toContain("the policy's cure period: 30 days");
  });

  it('comes from a CSV import too, and a bad one is reported with its field', async () => {
    const csv = [
      'accountId,endDate,noticeDays,renewal,renewalTermMonths,cureDays',
      'cus_cure_csv,2027-06-30,30,fixed,,5',
      'cus_cure_bad,2027-06-30,30,fixed,,-1',
    ].join('\n');
    const report = await importContractsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 2, recorded: 1, errors: [{ line: 3, accountId: 'cus_cure_bad', field: 'cureDays' }] });
    await unpaid('cus_cure_csv', 6);
    expect(await forCauseOf('cus_cure_csv')).toHaveLength(1);
  });
});

describe('for-cause reviews, one per unpaid invoice', () => {
  it('a decided one stands while its invoice stays unpaid; another invoice left unpaid later gets a review of its own', async () => {
    const customer = 'cus_cause_again';
    await recordContract(deps(), {
      accountId: customer,
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30, cureDays: 10 },
    });
    const storyA = { customer, invoiceId: 'in_cause_a', finalizedAt: daysBefore(now, 45), dueAt: daysBefore(now, 15) };
    for (const event of invoiceEvents(storyA)) await applyStripeEvent(deps(), event, now);
    await runSweep(deps(), new Date(now.getTime() + 2 * 3_600_000));
    const [first] = await forCauseOf(customer);
    expect(first).toMatchObject({ status: 'open', causeInvoiceId: 'in_cause_a' });
    await decideTask(deps(), { taskId: first!.id, body: { decision: 'retain', note: 'payment plan agreed for in_cause_a' }, actor: 'token:finance', now });

    // Still unpaid: the decision stands, nothing new opens.
    await runSweep(deps(), new Date(now.getTime() + 3 * 3_600_000));
    expect((await forCauseOf(customer)).map((t) => t.status)).toEqual(['decided']);

    // A is paid; B, issued later, is left unpaid past the cure period: its own review.
    const later = new Date(now.getTime() + 30 * 86_400_000);
    for (const event of invoiceEvents({ ...storyA, paidAt: daysBefore(later, 20) })) await applyStripeEvent(deps(), event, later);
    const storyB = { customer, invoiceId: 'in_cause_b', finalizedAt: daysBefore(later, 40), dueAt: daysBefore(later, 12) };
    for (const event of invoiceEvents(storyB)) await applyStripeEvent(deps(), event, later);
    const reviews = await forCauseOf(customer);
    expect(reviews).toHaveLength(2);
    expect(reviews.find((t) => t.id !== first!.id)).toMatchObject({ kind: 'for_cause', causeInvoiceId: 'in_cause_b' });
    expect(reviews.find((t) => t.id === first!.id)).toMatchObject({ status: 'decided', causeInvoiceId: 'in_cause_a' });
  });
});
