import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';

/**
 * The acceptance run, over HTTP against the local runner: signed invoice events for
 * three customers, once in order into one watcher and twice each in scrambled order into another.
 */
const now = new Date();
const stories: InvoiceStory[] = [
  // cus_late: four invoices, each paid 12 to 20 days after its due date, all within the year.
  ...[300, 220, 140, 60].map((age, i) => ({
    customer: 'cus_late',
    invoiceId: `in_late_${i}`,
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    paidAt: daysBefore(now, age - 12 - 2 * i),
  })),
  // cus_ontime: four invoices paid before their due dates.
  ...[300, 220, 140, 60].map((age, i) => ({
    customer: 'cus_ontime',
    invoiceId: `in_ontime_${i}`,
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    paidAt: daysBefore(now, age + 2),
  })),
  // cus_overdue: one invoice still unpaid 40 days after its due date.
  { customer: 'cus_overdue', invoiceId: 'in_overdue', finalizedAt: daysBefore(now, 70), dueAt: daysBefore(now, 40) },
];
const events = stories.flatMap(invoiceEvents);
const customers = [
  stripeEvent('customer.created', { ...fixture('customer'), id: 'cus_late', name: 'Late Ltd' }, Math.floor(now.getTime() / 1000) - 400 * 86_400),
  stripeEvent('customer.updated', { ...fixture('customer'), id: 'cus_late', name: 'Late Holdings Ltd' }, Math.floor(now.getTime() / 1000) - 100 * 86_400),
];

function scrambled<T>(items: T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return items
    .map((item) => ({ item, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

let clean: RunningWatcher;
let messy: RunningWatcher;

beforeAll(async () => {
  [clean, messy] = await Promise.all([startTestWatcher(), startTestWatcher()]);
  const api = client(clean);
  for (const event of [...customers, ...events].sort((a, b) => a.created - b.created)) {
    expect((await api.deliver(event)).status).toBe(200);
  }
  const twice = scrambled([...customers, ...events, ...customers, ...events], 42);
  const messyApi = client(messy);
  // Deliveries in parallel, as Stripe makes them.
  for (let i = 0; i < twice.length; i += 8) {
    const results = await Promise.all(twice.slice(i, i + 8).map((event) => messyApi.deliver(event)));
    for (const r of results) expect(r.status).toBe(200);
  }
  await Promise.all([clean.queue.drained(), messy.queue.drained()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([clean?.stop(), messy?.stop()]);
});

describe('local runner, end to end over HTTP', () => {
  it('flags the customer with four late invoices, with its evidence', async () => {
    const { status, body } = await client(clean).get('/accounts/cus_late');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'cus_late', name: 'Late Holdings Ltd', flags: ['late_payer'] });
    expect(body.latePayment).toMatchObject({ invoiceCount: 4, lateInvoices: 4, maxDaysOverdue: 0 });
    expect(body.latePayment.evidence).toHaveLength(4);
  });

  it('does not flag the on-time payer', async () => {
    const { body } = await client(clean).get('/accounts/cus_ontime');
    expect(body.flags).toEqual([]);
    expect(body.latePayment).toMatchObject({ invoiceCount: 4, lateInvoices: 0, maxDaysOverdue: 0 });
  });

  it('flags an invoice unpaid 40 days past due at once', async () => {
    const { body } = await client(clean).get('/accounts/cus_overdue');
    expect(body.flags).toEqual(['late_payer']);
    expect(body.latePayment.maxDaysOverdue).toBeGreaterThanOrEqual(39);
    expect(body.latePayment.maxDaysOverdue).toBeLessThanOrEqual(40);
  });

  it('lists flagged accounts from the flag index', async () => {
    const { body } = await client(clean).get('/accounts?flag=late_payer');
    expect(body.items.map((a: { id: string }) => a.id).sort()).toEqual(['cus_late', 'cus_overdue']);
    expect(body.items.find((a: { id: string }) => a.id === 'cus_late').latePayment.lateInvoices).toBe(4);
  });

  it('pages the flag list with an opaque cursor', async () => {
    const first = await client(clean).get('/accounts?flag=late_payer&limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await client(clean).get(`/accounts?flag=late_payer&limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('ends in the same state from every event twice, scrambled, as from the clean stream', async () => {
    for (const id of ['cus_late', 'cus_ontime', 'cus_overdue']) {
      const [a, b] = await Promise.all([client(clean).get(`/accounts/${id}`), client(messy).get(`/accounts/${id}`)]);
      const { evaluatedAt: _a, ...left } = a.body;
      const { evaluatedAt: _b, ...right } = b.body;
      expect(right).toEqual(left);
    }
    const [a, b] = await Promise.all([client(clean).get('/accounts?flag=late_payer'), client(messy).get('/accounts?flag=late_payer')]);
    const strip = (items: Array<Record<string, unknown>>) => items.map(({ evaluatedAt: _, ...rest }) => rest);
    expect(strip(b.body.items)).toEqual(strip(a.body.items));
  });

  it('leaves no trace of refused deliveries', async () => {
    const api = client(clean);
    const event = invoiceEvents({ customer: 'cus_refused', invoiceId: 'in_refused', finalizedAt: daysBefore(now, 50), dueAt: daysBefore(now, 45) })[0]!;
    expect((await api.deliver(event, { secret: 'whsec_wrong' })).status).toBe(400);
    expect((await api.deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(400);
    await clean.queue.drained();
    expect((await api.get('/accounts/cus_refused')).status).toBe(404);
  });

  it('acknowledges event types it does not use', async () => {
    const result = await client(clean).deliver(stripeEvent('payment_intent.created', fixture('payment_intent'), Math.floor(Date.now() / 1000)));
    expect(result).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
  });

  it('requires the bearer token on every finance route, and answers health without one', async () => {
    const api = client(clean);
    expect((await api.get('/health', {})).status).toBe(200);
    expect((await api.get('/accounts/cus_late', {})).status).toBe(401);
    expect((await api.get('/accounts?flag=late_payer', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await api.get('/accounts?flag=nonsense')).body.error).toMatchObject({ code: 'validation_error' });
    expect((await api.get('/accounts?flag=nonsense')).body.error.message).toContain('query.flag');
    expect((await api.get('/nowhere')).status).toBe(404);
  });
});
