import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessor } from '../../functions/processor/processor.ts';
import type { RunningWatcher } from '../../local/watcher.ts';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import type { QueuedEvent } from '../../shared/stripe/events.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { daysBefore, epoch, fixture, invoiceEvents, stripeEvent } from '../support/stripe-events.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { sqsEvent } from '../support/sqs.ts';

/**
 * Concurrency (issue 9): the same event delivered 20 times at once, and two events of one
 * account processed at once, end in one fact per Stripe object and one review per account.
 * test/functions/processor.test.ts covers the use case alone (one invoice fact from 20 parallel
 * applications); here the whole path runs — webhook, receipts, the queue, the processor's
 * parallel batches — and the reviews, slots and flag index are counted too.
 */
const now = new Date();

type Item = Record<string, unknown>;
const inAccount = (items: Item[], accountId: string, prefix: string) => items.filter((i) => i.pk === `ACCT#${accountId}` && String(i.sk).startsWith(prefix));

/** An invoice unpaid 40 days past due: the account is a late payer at once, and gets a review. */
const overdueInvoice = (customer: string, invoiceId: string, age = 40) =>
  invoiceEvents({ customer, invoiceId, finalizedAt: daysBefore(now, age + 30), dueAt: daysBefore(now, age) })[0]!;

describe('the same event delivered 20 times at once, over HTTP into the local runner', () => {
  let watcher: RunningWatcher;
  const accounts = Array.from({ length: 8 }, (_, i) => `cus_conc_http${i}`);
  const events = accounts.map((customer) => overdueInvoice(customer, `in_${customer}`));
  let outcomes: Array<Array<{ status: number; outcome?: string }>>;

  beforeAll(async () => {
    watcher = await startTestWatcher();
    const api = client(watcher);
    // Every copy of every account's event at once: 160 requests in flight.
    outcomes = await Promise.all(
      events.map((event) =>
        Promise.all(
          Array.from({ length: 20 }, async () => {
            const r = await api.deliver(event);
            return { status: r.status, outcome: r.body?.outcome as string | undefined };
          }),
        ),
      ),
    );
    await watcher.queue.drained();
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
  });

  it('answers every copy 200: exactly one is new, nineteen are duplicates', () => {
    for (const copies of outcomes) {
      expect(copies.map((c) => c.status)).toEqual(Array(20).fill(200));
      expect(copies.filter((c) => c.outcome === 'queued')).toHaveLength(1);
      expect(copies.filter((c) => c.outcome === 'duplicate')).toHaveLength(19);
    }
  });

  it('stores one receipt, one invoice fact, one review and one flag entry per account, nothing dead-lettered', async () => {
    expect(watcher.queue.deadLetters()).toEqual([]);
    const items = await allItems(watcher.store);
    for (const event of events) expect(items.filter((i) => i.pk === `EVT#${event.id}`)).toHaveLength(1);
    for (const customer of accounts) {
      expect(inAccount(items, customer, 'INV#')).toHaveLength(1);
      expect(inAccount(items, customer, 'TASK#')).toHaveLength(1);
      expect(inAccount(items, customer, 'SLOT#')).toHaveLength(1);
      const account = inAccount(items, customer, 'ACCOUNT')[0];
      expect(account?.flags).toEqual(['late_payer']);
    }
    // The flag index holds each account once.
    const flagged = items.filter((i) => i.entity === 'account_flag').map((i) => String(i.accountId));
    expect(flagged.sort()).toEqual([...accounts].sort());
    const { body } = await client(watcher).get('/accounts?flag=late_payer&limit=200');
    expect(body.items.map((a: { id: string }) => a.id).sort()).toEqual([...accounts].sort());
  });

  it('the API shows one review per account, for the invoice that made it late', async () => {
    const api = client(watcher);
    for (const customer of accounts) {
      const { status, body } = await api.get(`/tasks?accountId=${customer}`);
      expect(status).toBe(200);
      expect(body.items).toHaveLength(1);
      expect(body.items[0]).toMatchObject({ accountId: customer, kind: 'review', reasons: expect.arrayContaining(['late_payer']) });
    }
  });
});

describe('two events of one account processed at once, in the processor', () => {
  let store: Store;
  let processor: ReturnType<typeof createProcessor>;

  beforeAll(async () => {
    store = await createTestStore();
    processor = createProcessor({ store, policy: defaultPolicy, clock: () => now });
  });

  afterAll(() => store?.doc.destroy());

  const batch = (events: QueuedEvent[]): SQSEvent => sqsEvent(events);

  /**
   * Each pair is applied at once in two ways: as two Lambda invocations racing (two batches),
   * and as two records of one batch (the batch processor runs them in parallel), three times over.
   */
  async function race(pairs: Array<[QueuedEvent, QueuedEvent]>) {
    const responses = await Promise.all(
      pairs.flatMap(([a, b]) => [
        processor(batch([a])),
        processor(batch([b])),
        processor(batch([b, a])),
        processor(batch([a, b])),
        processor(batch([a])),
        processor(batch([b])),
      ]),
    );
    for (const response of responses) expect(response.batchItemFailures).toEqual([]);
    return allItems(store);
  }

  it('two overdue invoices of one account: two facts, one flag, one review', async () => {
    const accounts = Array.from({ length: 8 }, (_, i) => `cus_conc_two${i}`);
    const items = await race(accounts.map((c) => [overdueInvoice(c, `in_${c}_a`, 40), overdueInvoice(c, `in_${c}_b`, 70)]));
    for (const customer of accounts) {
      expect(inAccount(items, customer, 'INV#')).toHaveLength(2);
      expect(inAccount(items, customer, 'TASK#')).toHaveLength(1);
      const account = inAccount(items, customer, 'ACCOUNT')[0] as { flags: string[]; summary: { latePayment: Record<string, number> } };
      expect(account.flags).toEqual(['late_payer']);
      expect(account.summary.latePayment).toMatchObject({ invoiceCount: 2, lateInvoices: 2, maxDaysOverdue: 70 });
    }
  });

  it('an overdue invoice and the contract terms at once: one review, targeted at the term end', async () => {
    const accounts = Array.from({ length: 8 }, (_, i) => `cus_conc_terms${i}`);
    const endDate = new Date(now.getTime() + 120 * 86_400_000).toISOString().slice(0, 10);
    const terms = (customer: string) =>
      stripeEvent(
        'customer.updated',
        { ...fixture('customer'), id: customer, name: customer, metadata: { contract_end_date: endDate, notice_period_days: '30', renewal: 'auto' } },
        epoch(daysBefore(now, 1)),
      );
    const items = await race(accounts.map((c) => [overdueInvoice(c, `in_${c}`), terms(c)]));
    for (const customer of accounts) {
      const tasks = inAccount(items, customer, 'TASK#').map((i) => i.task as { status: string; targetEnd?: string });
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ status: 'scheduled', targetEnd: endDate });
      expect(inAccount(items, customer, 'SLOT#')).toHaveLength(1);
      expect(inAccount(items, customer, 'CONTRACT')).toHaveLength(1);
    }
  });

  it('the finalisation and the late payment of one invoice at once: one fact, paid, no flag, no review', async () => {
    const accounts = Array.from({ length: 8 }, (_, i) => `cus_conc_paid${i}`);
    const pairs = accounts.map((customer): [QueuedEvent, QueuedEvent] => {
      const [finalized, ...rest] = invoiceEvents({
        customer,
        invoiceId: `in_${customer}`,
        finalizedAt: daysBefore(now, 70),
        dueAt: daysBefore(now, 40),
        paidAt: daysBefore(now, 30),
      });
      return [finalized!, rest.find((e) => e.type === 'invoice.paid')!];
    });
    const items = await race(pairs);
    for (const customer of accounts) {
      const facts = inAccount(items, customer, 'INV#');
      expect(facts).toHaveLength(1);
      expect(facts[0]!.facts).toMatchObject({
        paidAt: daysBefore(now, 30)
          .toISOString()
          .replace(/\.\d{3}Z$/, '.000Z'),
        amountRemaining: 0,
      });
      // One late invoice is no habit: no flag.
      expect(inAccount(items, customer, 'ACCOUNT')[0]?.flags).toEqual([]);
    }
    // And no review left behind by the moment it looked unpaid: one scheduled then is held
    // through the settle period (never opened) and the sweep after it cancels it.
    await runSweep({ store, policy: defaultPolicy }, new Date(now.getTime() + (defaultPolicy.reviewSettleMinutes + 5) * 60_000));
    const settled = await allItems(store);
    for (const customer of accounts) {
      const live = inAccount(settled, customer, 'TASK#').filter((i) => (i.task as { status: string }).status !== 'cancelled');
      expect(live).toEqual([]);
    }
  });
});
