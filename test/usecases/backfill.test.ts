import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { localDate } from '../../shared/domain/timing.ts';
import { getAccount, loadAccountFacts } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { getContract } from '../../shared/store/contract.ts';
import { createBackfillStripe } from '../../shared/stripe/backfill-client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { BackfillInterruptedError, BackfillOptionsError, runBackfill, type BackfillOptions } from '../../shared/usecases/backfill.ts';
import { doneWhenAccount, LATE_CUSTOMER, manyCustomers, TERMS_CUSTOMER } from '../support/backfill-scenario.ts';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { invoiceEvents, stripeEvent } from '../support/stripe-events.ts';

const NOW = new Date('2026-11-22T12:00:00Z');

async function listAccountTasks(store: Store, accountId: string) {
  return (await loadAccountFacts(store, accountId)).tasks.map((t) => t.task).filter((t) => t.status !== 'cancelled');
}
const policy = defaultPolicy;

/**
 * The store's business content, comparable across runs: the backfill's own bookkeeping is left
 * out, and audit entries lose their wall-clock time and random id (the entry itself stays). With
 * `revisions: false`, an account's facts revision counts are left out too, and only whether its
 * evaluation is current stays: how many times the revision moved depends on how the facts were
 * grouped into transactions (an interrupted run splits its batches), not on what they are.
 */
async function comparableState(store: Store, options: { revisions?: boolean } = {}): Promise<string[]> {
  const items = await allItems(store);
  return items
    .filter((item) => !String(item.pk).startsWith('BACKFILL#'))
    .map((item) => {
      if (String(item.sk).startsWith('~AUDIT#')) {
        const { sk: _sk, at: _at, id: _id, ...rest } = item;
        return JSON.stringify(rest, Object.keys(rest).sort());
      }
      if (options.revisions === false && item.entity === 'account') {
        const { factsRev, evaluatedRev, ...rest } = item;
        const counted = { ...rest, evaluationCurrent: evaluatedRev === (factsRev ?? 0) };
        return JSON.stringify(counted, Object.keys(counted).sort());
      }
      return JSON.stringify(item, Object.keys(item).sort());
    })
    .sort();
}

let fake: FakeStripe;
const stores: Store[] = [];
async function freshStore(): Promise<Store> {
  const store = await createTestStore();
  stores.push(store);
  return store;
}

function backfill(
  store: Store,
  options: BackfillOptions = {},
  client = createBackfillStripe({ apiKey: 'sk_test_backfill', apiBase: fake.url, ratePerSecond: 100 }),
) {
  return runBackfill({ store, policy, stripe: client.stripe, now: NOW }, options);
}

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake.close();
  for (const store of stores) store.doc.destroy();
});
afterEach(() => {
  fake.faults = {};
  fake.requests.length = 0;
});

function load(objects: Partial<FakeStripe['objects']>) {
  for (const key of Object.keys(fake.objects) as Array<keyof FakeStripe['objects']>) fake.objects[key] = structuredClone(objects[key] ?? []);
}

describe('backfill: the done-when account', () => {
  const scenario = doneWhenAccount(NOW);

  it('flags the late payer with one review at the schedule end, records the metadata terms, and a second run changes nothing', async () => {
    load(scenario.objects);
    const store = await freshStore();
    const summary = await backfill(store);

    expect(summary.resources).toMatchObject({
      customers: { read: 2, done: true },
      subscriptions: { read: 3, done: true },
      subscription_schedules: { read: 1, done: true },
      invoices: { read: 9, applied: 9, done: true },
      refunds: { read: 1, applied: 1 },
      disputes: { read: 1, applied: 1 },
    });
    expect(summary.accounts).toBe(2);
    expect(summary.evaluation).toMatchObject({ evaluated: 2, flagged: 1 });

    const late = await getAccount(store, LATE_CUSTOMER);
    expect(late?.flags).toContain('late_payer');
    expect(late?.name).toBe('Late Payer Ltd');
    const tasks = await listAccountTasks(store, LATE_CUSTOMER);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: 'review', targetEnd: localDate(scenario.scheduleEnd, policy.timeZone) });
    expect(['scheduled', 'open']).toContain(tasks[0]?.status);
    expect((await getContract(store, LATE_CUSTOMER))?.contract).toMatchObject({
      source: 'stripe_schedule',
      renewal: 'fixed',
      endDate: localDate(scenario.scheduleEnd, policy.timeZone),
    });

    const terms = await getContract(store, TERMS_CUSTOMER);
    expect(terms?.contract).toMatchObject({ source: 'stripe_metadata', endDate: '2027-06-30', noticeDays: 60, renewal: 'auto', renewalTermMonths: 12 });
    const termsAccount = await getAccount(store, TERMS_CUSTOMER);
    expect(termsAccount?.flags).toEqual([]);
    expect(await listAccountTasks(store, TERMS_CUSTOMER)).toHaveLength(0);

    // The refund counts against revenue once, through the charge's owner.
    expect((late?.summary as { profitability: Array<{ revenue: number }> } | undefined)?.profitability[0]?.revenue).toBe(6 * 100_000 - 20_000);

    const before = await comparableState(store);
    const again = await backfill(store);
    expect(again.factsWritten).toBe(0);
    expect(again.evaluation.reviewsOpened + again.evaluation.reviewsScheduled).toBe(0);
    expect(await comparableState(store)).toEqual(before);
  });

  it('a dry run reads and checks everything and writes nothing', async () => {
    load(scenario.objects);
    const store = await freshStore();
    const summary = await backfill(store, { dryRun: true });
    expect(summary.dryRun).toBe(true);
    expect(summary.accounts).toBe(2);
    expect(summary.resources.invoices?.read).toBe(9);
    expect(await allItems(store)).toEqual([]);
    await expect(backfill(store, { dryRun: true, resume: true })).rejects.toBeInstanceOf(BackfillOptionsError);
  });

  it('--customer imports one customer, finding its refunds and disputes through their charges', async () => {
    load(scenario.objects);
    const store = await freshStore();
    const summary = await backfill(store, { customer: TERMS_CUSTOMER });
    expect(summary.resources).toMatchObject({
      customers: { read: 1 },
      subscriptions: { read: 2 },
      invoices: { read: 3 },
      refunds: { read: 0 },
      disputes: { read: 1 },
    });
    const accounts = new Set((await allItems(store)).filter((i) => String(i.pk).startsWith('ACCT#')).map((i) => i.pk));
    expect([...accounts]).toEqual([`ACCT#${TERMS_CUSTOMER}`]);
    expect(fake.requests.some((r) => r.path === `/v1/customers/${TERMS_CUSTOMER}`)).toBe(true);
  });

  it('--since limits invoices, refunds and disputes but still reads every contract', async () => {
    load(scenario.objects);
    const store = await freshStore();
    const summary = await backfill(store, { since: localDate(new Date(NOW.getTime() - 100 * 86_400_000), policy.timeZone) });
    // Invoices created within 100 days: the late payer's two on-time ones and two of the other's three.
    expect(summary.resources.invoices?.read).toBe(4);
    expect(summary.resources.subscriptions?.read).toBe(3);
    expect((await getContract(store, TERMS_CUSTOMER))?.contract.endDate).toBe('2027-06-30');
    expect(fake.requests.filter((r) => r.path === '/v1/invoices').every((r) => r.query.has('created[gte]'))).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/v1/subscriptions').every((r) => !r.query.has('created[gte]') && r.query.get('status') === 'all')).toBe(
      true,
    );
  });
});

describe('backfill: resumable and polite', () => {
  const many = manyCustomers(NOW, 12);

  it('a run stopped by a Stripe failure mid-list resumes to the same state as an uninterrupted run', async () => {
    load(many);
    const options = { pageSize: 5, concurrency: 2, checkpointEvery: 4 };
    const reference = await freshStore();
    await backfill(reference, options);

    const store = await freshStore();
    let invoicePages = 0;
    fake.faults.fail = (r) => r.path === '/v1/invoices' && ++invoicePages === 4;
    const error = await backfill(store, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackfillInterruptedError);
    expect((error as BackfillInterruptedError).resource).toBe('invoices');
    const stoppedAt = (error as BackfillInterruptedError).checkpoint;
    expect(stoppedAt?.read).toBeGreaterThan(0);
    expect(stoppedAt?.done).toBe(false);
    // Partway: some invoice facts are in, not all. The three pages read before the failure are
    // applied and checkpointed, though a batch spans more pages than that.
    const partial = (await allItems(store)).filter((i) => String(i.sk).startsWith('INV#')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(many.invoices.length);
    expect(stoppedAt?.read).toBe(15);
    expect(partial).toBe(15);

    fake.requests.length = 0;
    const resumed = await backfill(store, { ...options, resume: true });
    expect(resumed.resumed).toBe(true);
    // Finished lists are not read again; the invoice list continues after its checkpoint.
    expect(fake.requests.some((r) => r.path === '/v1/customers')).toBe(false);
    expect(fake.requests.find((r) => r.path === '/v1/invoices')?.query.get('starting_after')).toBeTruthy();
    expect(resumed.resources.invoices?.read).toBeGreaterThanOrEqual(many.invoices.length);
    expect(resumed.evaluation.evaluated).toBe(12);

    expect(await comparableState(store, { revisions: false })).toEqual(await comparableState(reference, { revisions: false }));
    await expect(backfill(store, { ...options, resume: true })).rejects.toThrow(/finished/);
  });

  it('rides out 429s with the SDK retries, slowing its request rate', async () => {
    load(many);
    const reference = await freshStore();
    await backfill(reference, { pageSize: 20 });

    const store = await freshStore();
    fake.requests.length = 0;
    let n = 0;
    fake.faults.throttle = () => ++n % 3 === 0;
    const client = createBackfillStripe({ apiKey: 'sk_test_backfill', apiBase: fake.url, ratePerSecond: 50 });
    const summary = await backfill(store, { pageSize: 20 }, client);
    expect(client.stats.throttled).toBeGreaterThan(0);
    expect(client.stats.requests).toBe(fake.requests.length);
    expect(client.limiter.currentRate).toBeLessThan(50);
    expect(summary.resources.invoices?.read).toBe(many.invoices.length);
    expect(await comparableState(store)).toEqual(await comparableState(reference));
  });

  it("a wrong API key stops the run with Stripe's own message and nothing imported", async () => {
    load(many);
    const store = await freshStore();
    const client = createBackfillStripe({ apiKey: 'rk_wrong', apiBase: fake.url });
    await expect(backfill(store, {}, client)).rejects.toThrow(/Invalid API Key/);
    expect((await allItems(store)).filter((i) => String(i.pk).startsWith('ACCT#'))).toEqual([]);
  });
});

describe('backfill and webhooks overlapping', () => {
  const scenario = doneWhenAccount(NOW);
  const webhookEvents = () => [
    ...scenario.stories.flatMap((story) => invoiceEvents(story)),
    stripeEvent('charge.succeeded', scenario.objects.charges[0] as Record<string, unknown>, scenario.objects.charges[0]!.created as number),
    stripeEvent('refund.created', scenario.objects.refunds[0] as Record<string, unknown>, scenario.objects.refunds[0]!.created as number),
    stripeEvent(
      'charge.refunded',
      { ...scenario.objects.charges[0], refunded: false, amount_refunded: 20_000 } as Record<string, unknown>,
      scenario.objects.refunds[0]!.created as number,
    ),
  ];
  /** What must not depend on the overlap: counted facts, signals, reviews. */
  async function counted(store: Store) {
    const items = await allItems(store);
    const account = async (id: string) => {
      const a = await getAccount(store, id);
      return { flags: a?.flags, summary: a?.summary };
    };
    return {
      invoices: items.filter((i) => String(i.sk).startsWith('INV#')).length,
      late: await account(LATE_CUSTOMER),
      terms: await account(TERMS_CUSTOMER),
      tasks: (await listAccountTasks(store, LATE_CUSTOMER)).map((t) => ({ kind: t.kind, targetEnd: t.targetEnd })),
    };
  }

  it('webhook events before, during and after the backfill are not double counted', async () => {
    load(scenario.objects);
    const reference = await freshStore();
    await backfill(reference);
    const expected = await counted(reference);
    expect(expected.invoices).toBe(9);

    const store = await freshStore();
    const events = webhookEvents();
    const deps = { store, policy };
    for (const event of events.slice(0, 10)) await applyStripeEvent(deps, event, NOW);
    await Promise.all([
      backfill(store, { pageSize: 2, concurrency: 2 }),
      (async () => {
        for (const event of events.slice(10)) await applyStripeEvent(deps, event, NOW);
      })(),
    ]);
    for (const event of events) await applyStripeEvent(deps, event, NOW);
    await backfill(store);
    expect(await counted(store)).toEqual(expected);
  });
});
