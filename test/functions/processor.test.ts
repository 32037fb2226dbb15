import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProcessor } from '../../functions/processor/processor.ts';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { loadAccountFacts } from '../../shared/store/account.ts';
const listInvoices = async (store: Store, id: string) => (await loadAccountFacts(store, id)).invoices;
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { getAccountView } from '../../shared/usecases/read-accounts.ts';
import { sqsEvent } from '../support/sqs.ts';
import { createTestStore } from '../support/store.ts';
import { daysBefore, fixture, invoiceEvents, stripeEvent, epoch, type InvoiceStory } from '../support/stripe-events.ts';

const now = new Date('2026-11-22T12:00:00Z');
const deps = () => ({ store, policy: defaultPolicy, clock: () => now });
let store: Store;

beforeAll(async () => {
  store = await createTestStore();
});

describe('event processor', () => {
  it('reports only the failed records of a batch and keeps the good ones', async () => {
    const good = (n: number) =>
      JSON.stringify(stripeEvent('invoice.finalized', { ...fixture('invoice'), id: `in_batch${n}`, customer: 'cus_batch' }, epoch(now) - 100));
    const noCustomer = { ...fixture('invoice'), id: 'in_bad' } as Record<string, unknown>;
    delete noCustomer.customer;
    const response = await createProcessor(deps())(
      sqsEvent([good(1), '{not json', JSON.stringify(stripeEvent('invoice.paid', noCustomer, epoch(now))), good(2)]),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    const stored = await listInvoices(store, 'cus_batch');
    expect(stored.map((i) => i.facts.invoiceId).sort()).toEqual(['in_batch1', 'in_batch2']);
  });

  it('stores one fact when the same event is applied 20 times at once', async () => {
    const [event] = invoiceEvents({ customer: 'cus_conc', invoiceId: 'in_conc', finalizedAt: daysBefore(now, 5), dueAt: daysBefore(now, 1) });
    await Promise.all(Array.from({ length: 20 }, () => applyStripeEvent(deps(), event!, now)));
    const invoices = await listInvoices(store, 'cus_conc');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.rev).toBe(1);
  });

  it('merges two events of one account processed at once', async () => {
    const story: InvoiceStory = {
      customer: 'cus_two',
      invoiceId: 'in_two',
      finalizedAt: daysBefore(now, 40),
      dueAt: daysBefore(now, 30),
      paidAt: daysBefore(now, 10),
    };
    const other: InvoiceStory = { customer: 'cus_two', invoiceId: 'in_two_b', finalizedAt: daysBefore(now, 50), dueAt: daysBefore(now, 45) };
    const events = [...invoiceEvents(story), ...invoiceEvents(other)];
    await Promise.all(events.map((e) => applyStripeEvent(deps(), e, now)));
    const view = await getAccountView(deps(), 'cus_two', now);
    expect(view.latePayment).toMatchObject({ invoiceCount: 2, lateInvoices: 2, maxDaysOverdue: 45 });
  });

  it('gives the same account for any order and any duplication of the same events', async () => {
    const stories = (customer: string): InvoiceStory[] => [
      { customer, invoiceId: `${customer}_a`, finalizedAt: daysBefore(now, 200), dueAt: daysBefore(now, 170), paidAt: daysBefore(now, 150) },
      { customer, invoiceId: `${customer}_b`, finalizedAt: daysBefore(now, 120), dueAt: daysBefore(now, 90), paidAt: daysBefore(now, 89) },
      { customer, invoiceId: `${customer}_c`, finalizedAt: daysBefore(now, 90), failedAt: daysBefore(now, 90), paidAt: daysBefore(now, 70) },
      { customer, invoiceId: `${customer}_d`, finalizedAt: daysBefore(now, 60), dueAt: daysBefore(now, 40) },
      { customer, invoiceId: `${customer}_e`, finalizedAt: daysBefore(now, 30), dueAt: daysBefore(now, 20), voidedAt: daysBefore(now, 25) },
    ];
    const inOrder = stories('cus_ref')
      .flatMap(invoiceEvents)
      .sort((a, b) => a.created - b.created);
    for (const e of inOrder) await applyStripeEvent(deps(), e, now);
    const reference = await getAccountView(deps(), 'cus_ref', now);
    expect(reference.flags).toEqual(['late_payer']);

    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 20, maxLength: 20 }), fc.array(fc.nat({ max: 19 }), { maxLength: 8 }), async (keys, duplicates) => {
        const customer = `cus_run${run++}`;
        const events = stories(customer).flatMap(invoiceEvents);
        const delivered = [...events, ...duplicates.map((i) => events[i % events.length]!)];
        const order = delivered.map((e, i) => ({ e, k: keys[i % keys.length]! + i / 1000 })).sort((a, b) => a.k - b.k);
        for (const { e } of order) await applyStripeEvent(deps(), e, now);
        const view = await getAccountView(deps(), customer, now);
        const normalise = (v: typeof view) => JSON.parse(JSON.stringify(v).replaceAll(customer, 'X').replaceAll('cus_ref', 'X'));
        expect(normalise(view)).toEqual(normalise(reference));
      }),
      { numRuns: 8 },
    );
  });
});

describe('refunds and disputes whose charge owner arrives concurrently', () => {
  it('loses none when charge and dispute events race', async () => {
    const pairs = Array.from({ length: 30 }, (_, i) => {
      const charge = stripeEvent(
        'charge.succeeded',
        { ...fixture('charge'), id: `ch_race${i}`, customer: `cus_race${i % 3}`, amount: 5_000, currency: 'usd' },
        epoch(now) - 500,
      );
      const dispute = stripeEvent(
        'charge.dispute.created',
        {
          ...fixture('dispute'),
          id: `dp_race${i}`,
          charge: `ch_race${i}`,
          amount: 5_000,
          currency: 'usd',
          status: 'needs_response',
          created: epoch(now) - 400,
        },
        epoch(now) - 400,
      );
      return [charge, dispute];
    });
    await Promise.all(pairs.flatMap(([charge, dispute]) => [applyStripeEvent(deps(), dispute!, now), applyStripeEvent(deps(), charge!, now)]));
    const disputes = (await Promise.all([0, 1, 2].map((n) => loadAccountFacts(store, `cus_race${n}`)))).flatMap((f) => f.disputes);
    expect(disputes).toHaveLength(30);
  });
});
