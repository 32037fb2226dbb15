import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { MAX_MONEY_ENTRY } from '../../shared/domain/money.ts';
import { allItems } from '../support/scan.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, epoch, fixture, invoiceEvents, stripeEvent } from '../support/stripe-events.ts';

/** Issue 4's acceptance run over HTTP: revenue facts from Stripe, costs from finance, the margin and its flag. */
const now = new Date();
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;

const post = (path: string, body: unknown) => api.send('POST', path, body);

async function paidInvoices(customer: string, amounts: number[], currency = 'usd') {
  const events = amounts.flatMap((amount, i) =>
    invoiceEvents({
      customer,
      invoiceId: `in_${customer}_${i}`,
      amount,
      currency,
      finalizedAt: daysBefore(now, 200 - i * 30),
      dueAt: daysBefore(now, 185 - i * 30),
      paidAt: daysBefore(now, 186 - i * 30),
    }),
  );
  for (const e of events) expect((await api.deliver(e)).status).toBe(200);
}

beforeAll(async () => {
  watcher = await startTestWatcher();
  api = client(watcher);
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

describe('profitability end to end', () => {
  it('shows revenue 250,000, cost 400,000, margin -150,000, the unprofitable flag and a review with that reason', async () => {
    await paidInvoices('cus_loss', [100_000, 100_000, 100_000]);
    const chargeId = 'ch_loss_1';
    const refund = stripeEvent(
      'refund.created',
      { ...fixture('refund'), id: 're_loss_1', charge: chargeId, amount: 50_000, currency: 'usd', status: 'succeeded', created: epoch(daysBefore(now, 60)) },
      epoch(daysBefore(now, 60)),
    );
    // The refund arrives before its charge (parked), and twice.
    expect((await api.deliver(refund)).status).toBe(200);
    await watcher.queue.drained();
    const charge = stripeEvent(
      'charge.succeeded',
      { ...fixture('charge'), id: chargeId, customer: 'cus_loss', amount: 100_000, currency: 'usd' },
      epoch(daysBefore(now, 100)),
    );
    expect((await api.deliver(charge)).status).toBe(200);
    expect((await api.deliver({ ...refund, id: `${refund.id}x` })).status).toBe(200);
    await watcher.queue.drained();
    expect(
      (await post('/accounts/cus_loss/costs', { amount: 250_000, currency: 'usd', date: daysBefore(now, 30).toISOString().slice(0, 10), category: 'delivery' }))
        .status,
    ).toBe(201);
    expect(
      (
        await post('/accounts/cus_loss/costs', {
          amount: 150_000,
          currency: 'usd',
          date: daysBefore(now, 20).toISOString().slice(0, 10),
          category: 'support',
          note: 'extra support hours',
        })
      ).status,
    ).toBe(201);

    const { body } = await api.get('/accounts/cus_loss');
    expect(body.profitability).toEqual([expect.objectContaining({ currency: 'usd', revenue: 250_000, cost: 400_000, margin: -150_000 })]);
    expect(body.flags).toContain('unprofitable');
    expect(body.profitabilityEvidence.refunds).toHaveLength(1);
    expect(body.profitabilityEvidence.topCosts[0].amount).toBe(250_000);
    const tasks = await api.get('/tasks?accountId=cus_loss');
    expect(tasks.body.items).toHaveLength(1);
    expect(tasks.body.items[0].reasons).toContain('unprofitable');
    expect(tasks.body.items[0].evidence.profitability.rows[0]).toMatchObject({ margin: -150_000 });
    const flagged = await api.get('/accounts?flag=unprofitable');
    expect(flagged.body.items.map((a: { id: string }) => a.id)).toContain('cus_loss');
  });

  it('shows no flag for a healthy account', async () => {
    await paidInvoices('cus_healthy', [100_000, 100_000, 100_000, 100_000]);
    await watcher.queue.drained();
    expect(
      (
        await post('/accounts/cus_healthy/costs', {
          amount: 50_000,
          currency: 'usd',
          date: daysBefore(now, 10).toISOString().slice(0, 10),
          category: 'support',
        })
      ).status,
    ).toBe(201);
    const { body } = await api.get('/accounts/cus_healthy');
    expect(body.flags).toEqual([]);
    expect(body.profitability).toEqual([expect.objectContaining({ currency: 'usd', revenue: 400_000, cost: 50_000, margin: 350_000 })]);
    // Events replayed months late may flag the account for a moment; the review they scheduled
    // was still settling, so it was cancelled when the payments arrived, never opened.
    const tasks = (await api.get('/tasks?accountId=cus_healthy')).body.items as Array<{ status: string }>;
    expect(tasks.filter((t) => t.status === 'open' || t.status === 'scheduled')).toHaveLength(0);
  });

  it('keeps euro revenue and dollar cost in separate rows', async () => {
    await paidInvoices('cus_mix', [80_000, 80_000, 80_000], 'eur');
    await watcher.queue.drained();
    expect(
      (await post('/accounts/cus_mix/costs', { amount: 30_000, currency: 'usd', date: daysBefore(now, 10).toISOString().slice(0, 10), category: 'other' }))
        .status,
    ).toBe(201);
    const { body } = await api.get('/accounts/cus_mix');
    expect(body.profitability).toEqual([
      expect.objectContaining({ currency: 'eur', revenue: 240_000, cost: 0, margin: 240_000 }),
      expect.objectContaining({ currency: 'usd', revenue: 0, cost: 30_000, margin: -30_000 }),
    ]);
  });

  it.each([
    [{ amount: 100.5, currency: 'usd', date: '2026-10-01', category: 'support' }, 'body.amount'],
    [{ amount: 100, currency: 'xyz', date: '2026-10-01', category: 'support' }, 'body.currency'],
    [{ amount: -5, currency: 'usd', date: '2026-10-01', category: 'support' }, 'body.amount'],
    [{ amount: 100, currency: 'usd', date: '2026-02-30', category: 'support' }, 'body.date'],
    [{ amount: 100, currency: 'usd', date: '2026-10-01', category: 'lunch' }, 'body.category'],
    // Beyond any real cost, and enough to make the account's sums unsafe (every evaluation failing).
    [{ amount: Number.MAX_SAFE_INTEGER, currency: 'usd', date: '2026-10-01', category: 'support' }, 'body.amount'],
    [{ amount: MAX_MONEY_ENTRY + 1, currency: 'usd', date: '2026-10-01', category: 'support' }, 'body.amount'],
    [{ amount: 100, currency: 'usd', date: '0000-01-01', category: 'support' }, 'body.date'],
    [{ amount: 100, currency: 'usd', date: '9999-12-31', category: 'support' }, 'body.date'],
  ])('refuses %j with 400 naming %s and changes nothing', async (body, field) => {
    const before = (await allItems(watcher.store)).length;
    const result = await post('/accounts/cus_healthy/costs', body);
    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain(field);
    expect((await allItems(watcher.store)).length).toBe(before);
  });

  it('accepts the largest entry allowed, and an account holding several stays evaluable', async () => {
    const date = daysBefore(now, 5).toISOString().slice(0, 10);
    for (const key of ['big-1', 'big-2']) {
      expect(
        (await post('/accounts/cus_big_costs/costs', { amount: MAX_MONEY_ENTRY, currency: 'usd', date, category: 'delivery', idempotencyKey: key })).status,
      ).toBe(201);
    }
    const account = await api.get('/accounts/cus_big_costs');
    expect(account.status).toBe(200);
    expect(account.body.profitability).toEqual([expect.objectContaining({ currency: 'usd', cost: 2 * MAX_MONEY_ENTRY })]);
  });

  it('counts a retried request with the same idempotency key once, and refuses the key with another body', async () => {
    const body = { amount: 12_345, currency: 'usd', date: daysBefore(now, 5).toISOString().slice(0, 10), category: 'support', idempotencyKey: 'ticket-991' };
    const first = await post('/accounts/cus_retry/costs', body);
    const second = await post('/accounts/cus_retry/costs', body);
    expect(first.status).toBe(201);
    expect(second).toMatchObject({ status: 200, body: { costId: first.body.costId, replayed: true } });
    expect((await post('/accounts/cus_retry/costs', { ...body, amount: 999 })).status).toBe(409);
    const list = await api.get('/accounts/cus_retry/costs');
    expect(list.body.items).toHaveLength(1);
  });
});
