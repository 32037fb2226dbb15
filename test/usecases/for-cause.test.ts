import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { importContractsCsv, recordContract } from '../../shared/usecases/contracts.ts';
import { getAccountView } from '../../shared/usecases/read-accounts.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
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
    await recordContract(deps(), { accountId: 'cus_cure_10', actor: 'token:finance', source: 'manual', now, body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30, cureDays: 10 } });
    await unpaid('cus_cure_10', 15);
    const [review, ...more] = await forCauseOf('cus_cure_10');
    expect(more).toEqual([]);
    // Opened by Stripe's events: after the settle period (the next sweep opens it).
    expect(review).toMatchObject({ kind: 'for_cause', status: 'scheduled', track: 'for_cause', openAt: new Date(now.getTime() + policy.reviewSettleMinutes * 60_000).toISOString() });
    expect(review!.reasons.join(' ')).toContain("the contract's cure period: 10 days");
    expect((await getAccountView(deps(), 'cus_cure_10', now)).contract).toMatchObject({ cureDays: 10 });
  });

  it("is the policy's otherwise: 15 days unpaid is within it, 31 past it", async () => {
    await recordContract(deps(), { accountId: 'cus_cure_policy', actor: 'token:finance', source: 'manual', now, body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 } });
    await unpaid('cus_cure_policy', 15);
    expect(await forCauseOf('cus_cure_policy')).toEqual([]);
    expect((await getAccountView(deps(), 'cus_cure_policy', now)).contract).not.toHaveProperty('cureDays');
    await unpaid('cus_cure_policy_late', 31);
    const [review] = await forCauseOf('cus_cure_policy_late');
    expect(review!.reasons.join(' ')).toContain("the policy's cure period: 30 days");
  });

  it('comes from a CSV import too, and a bad one is reported with its field', async () => {
    const csv = ['accountId,endDate,noticeDays,renewal,renewalTermMonths,cureDays', 'cus_cure_csv,2027-06-30,30,fixed,,5', 'cus_cure_bad,2027-06-30,30,fixed,,-1'].join('\n');
    const report = await importContractsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 2, recorded: 1, errors: [{ line: 3, accountId: 'cus_cure_bad', field: 'cureDays' }] });
    await unpaid('cus_cure_csv', 6);
    expect(await forCauseOf('cus_cure_csv')).toHaveLength(1);
  });
});
