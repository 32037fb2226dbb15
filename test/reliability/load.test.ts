import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { allItems } from '../support/scan.ts';
import { daysBefore, epoch, fixture, invoiceEvents, signedDelivery, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';
import { client, startTestWatcher } from '../support/watcher.ts';

/**
 * Load (issue 9): 2,000 distinct signed deliveries, 50 in flight at a time, over HTTP into the
 * local stack (HTTP adapter, webhook, journaled queue, processor, DynamoDB Local). Every one must
 * be answered 200 and queued once, and once the queue drains every event has its receipt, every
 * invoice its one fact, and the verdicts are exactly the ones the stories imply. `npm run bench`
 * measures latency; this only checks that nothing is lost or doubled under load.
 */
const now = new Date();
const CUSTOMERS = 250;
const CONCURRENCY = 50;
const DAY = 86_400;

/**
 * Per customer, eight deliveries: two invoices (finalisation, then payment — or, for every fifth
 * customer, the second one going overdue unpaid, which makes it a late payer at once) and four
 * renamings of the customer (the last one must win, whatever order they are applied in).
 * Customer events cost the processor one write, invoices an evaluation: a realistic mix that
 * keeps 2,000 deliveries within the time a test may take.
 */
const isLate = (c: number) => c % 5 === 0;
const customerIds = Array.from({ length: CUSTOMERS }, (_, c) => `cus_load${c}`);
const stories: InvoiceStory[] = customerIds.flatMap((customer, c): InvoiceStory[] => [
  { customer, invoiceId: `in_load${c}_a`, finalizedAt: daysBefore(now, 100), dueAt: daysBefore(now, 70), paidAt: daysBefore(now, 72) },
  isLate(c)
    ? { customer, invoiceId: `in_load${c}_b`, finalizedAt: daysBefore(now, 70), dueAt: daysBefore(now, 40) }
    : { customer, invoiceId: `in_load${c}_b`, finalizedAt: daysBefore(now, 70), dueAt: daysBefore(now, 40), paidAt: daysBefore(now, 41) },
]);
const invoiceDeliveries = stories.flatMap((story) =>
  invoiceEvents(story).filter((e) => ['invoice.finalized', 'invoice.paid', 'invoice.overdue'].includes(e.type)),
);
const renamings = customerIds.flatMap((customer, c) =>
  [1, 2, 3, 4].map((v) =>
    stripeEvent('customer.updated', { ...fixture('customer'), id: customer, name: `Client ${c} v${v}`, metadata: {} }, epoch(now) - 200 * DAY + v * DAY),
  ),
);
const events = [...invoiceDeliveries, ...renamings];

let watcher: RunningWatcher;
let answers: Array<{ status: number; outcome?: string }>;
let acceptMs = 0;
let drainMs = 0;

beforeAll(async () => {
  expect(events).toHaveLength(2_000);
  watcher = await startTestWatcher();
  // Interleaved as Stripe would send them: payments of some invoices before the finalisation of others.
  const order = events
    .map((event, i) => ({ event, key: (i * 7919) % events.length }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.event);
  answers = new Array(order.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < order.length; i = next++) {
        const { body, signature } = signedDelivery(order[i], watcher.webhookSecret);
        const response = await fetch(`${watcher.url}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body,
        });
        const json = (await response.json()) as { outcome?: string };
        answers[i] = { status: response.status, ...(json.outcome ? { outcome: json.outcome } : {}) };
      }
    }),
  );
  const accepted = performance.now();
  acceptMs = accepted - started;
  await watcher.queue.drained();
  drainMs = performance.now() - accepted;
}, 150_000);

afterAll(async () => {
  await watcher?.stop();
});

describe('2,000 signed deliveries, 50 at a time, on the local stack', () => {
  it('answers every delivery 200, each queued as new', () => {
    expect(answers.filter((a) => a === undefined)).toEqual([]);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.outcome === 'queued')).toHaveLength(events.length);
    // Recorded for whoever reads a slow run's output; the bench has the real numbers.
    console.info(`load: ${events.length} deliveries accepted in ${Math.round(acceptMs)} ms, queue drained ${Math.round(drainMs)} ms later`);
  });

  it('processes every one: no dead letter, one receipt per event, one fact per invoice', async () => {
    expect(watcher.queue.deadLetters()).toEqual([]);
    expect(watcher.queue.depth).toBe(0);
    const items = await allItems(watcher.store);
    const receipts = new Set(items.filter((i) => String(i.pk).startsWith('EVT#')).map((i) => String(i.pk).slice(4)));
    expect(receipts.size).toBe(events.length);
    expect([...receipts].sort()).toEqual(events.map((e) => e.id).sort());
    const invoices = items.filter((i) => String(i.sk).startsWith('INV#'));
    expect(invoices).toHaveLength(stories.length);
    expect(new Set(invoices.map((i) => String(i.sk).slice(4)))).toEqual(new Set(stories.map((s) => s.invoiceId)));
    // Both deliveries of each invoice are in its fact.
    for (const item of invoices) {
      const unpaid = /in_load(\d+)_b/.exec(String(item.sk));
      const paid = !(unpaid && isLate(Number(unpaid[1])));
      expect(item.facts).toMatchObject({ finalizedAt: expect.any(String), amountRemaining: paid ? 0 : expect.any(Number) });
      expect(Boolean((item.facts as { paidAt?: string }).paidAt)).toBe(paid);
    }
  });

  it('counts exactly: one late payer in five, one live review each, nobody else flagged, every last name kept', async () => {
    const items = await allItems(watcher.store);
    const accounts = items.filter((i) => i.sk === 'ACCOUNT') as Array<{
      accountId: string;
      name?: string;
      flags: string[];
      summary: { latePayment: Record<string, number> };
    }>;
    expect(accounts.map((a) => a.accountId).sort()).toEqual([...customerIds].sort());
    const expected = customerIds.filter((_, c) => isLate(c)).sort();
    expect(expected).toHaveLength(CUSTOMERS / 5);
    expect(
      accounts
        .filter((a) => a.flags.includes('late_payer'))
        .map((a) => a.accountId)
        .sort(),
    ).toEqual(expected);
    for (const account of accounts) {
      const c = Number(account.accountId.replace('cus_load', ''));
      expect(account.name).toBe(`Client ${c} v4`);
      expect(account.summary.latePayment).toMatchObject({ invoiceCount: 2, lateInvoices: isLate(c) ? 1 : 0 });
      expect(account.summary.latePayment.maxDaysOverdue).toBe(isLate(c) ? 40 : 0);
    }
    // A finalisation seen before its payment looks unpaid and overdue for a moment: the review
    // that schedules is held through the settle period and cancelled by the sweep after it, the
    // payment having landed. What stays live is one per late payer.
    await runSweep({ store: watcher.store, policy: defaultPolicy }, new Date(Date.now() + (defaultPolicy.reviewSettleMinutes + 5) * 60_000));
    const settled = await allItems(watcher.store);
    const live = settled.filter((i) => String(i.sk).startsWith('TASK#') && (i.task as { status: string }).status !== 'cancelled');
    expect(live.map((i) => String(i.pk).slice(5)).sort()).toEqual(expected);
    const { body } = await client(watcher).get('/accounts?flag=late_payer&limit=200');
    expect(body.items.map((a: { id: string }) => a.id).sort()).toEqual(expected);
  });
});
