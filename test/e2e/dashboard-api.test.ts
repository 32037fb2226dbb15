import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatISO } from 'date-fns';
import type { RunningWatcher } from '../../local/watcher.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';

/** The API fields the dashboard reads, over HTTP on DynamoDB Local with SDK-signed Stripe events. */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  watcher = await startTestWatcher();
  api = client(watcher);
  const created = Math.floor(now.getTime() / 1000) - 400 * 86_400;
  expect((await api.deliver(stripeEvent('customer.created', { ...fixture('customer'), id: 'cus_dash', name: 'Dash & Co' }, created))).status).toBe(200);
  const stories: InvoiceStory[] = [200, 150, 100, 50].map((age, i) => ({
    customer: 'cus_dash',
    invoiceId: `in_dash_${i}`,
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    ...(i < 3 ? { paidAt: daysBefore(now, age - 15) } : {}),
  }));
  for (const event of stories.flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
  await watcher.queue.drained();
  expect((await api.send('PUT', '/accounts/cus_dash/contract', { endDate: day(10), noticeDays: 30, renewal: 'fixed' })).status).toBe(200);
});

afterAll(async () => {
  await watcher?.stop();
});

describe('dashboard API additions', () => {
  it('puts the customer name on task lists and on one task, with the checklist as steps', async () => {
    const list = await api.get('/tasks?accountId=cus_dash');
    expect(list.body.items[0]).toMatchObject({ accountId: 'cus_dash', name: 'Dash & Co', status: 'open' });
    const all = await api.get('/tasks?status=open');
    expect(all.body.items.find((t: { accountId: string }) => t.accountId === 'cus_dash')?.name).toBe('Dash & Co');
    const task = await api.get(`/tasks/${encodeURIComponent(list.body.items[0].id)}`);
    expect(task.body.name).toBe('Dash & Co');
    expect(task.body.checklist).toHaveLength(6);
    expect(task.body.checklist[0]).toEqual({ step: 1, text: expect.stringMatching(/^Check the contract/), done: false });
  });

  it('keeps checklist marks per task with who and when, audited; refuses bad steps naming the field', async () => {
    const id = (await api.get('/tasks?accountId=cus_dash')).body.items[0].id as string;
    const path = `/tasks/${encodeURIComponent(id)}/checklist`;
    const done = await api.send('POST', path, { step: 3, done: true }, 'ana@finance');
    expect(done.status).toBe(200);
    expect(done.body.checklist[2]).toMatchObject({ step: 3, done: true, by: expect.stringMatching(/.+/) });
    expect(Date.parse(done.body.checklist[2].at)).toBeGreaterThan(now.getTime() - 60_000);
    const again = await api.get(`/tasks/${encodeURIComponent(id)}`);
    expect(again.body.checklist.map((c: { done: boolean }) => c.done)).toEqual([false, false, true, false, false, false]);
    const undone = await api.send('POST', path, { step: 3, done: false });
    expect(undone.body.checklist[2]).toMatchObject({ step: 3, done: false });
    for (const [body, field] of [
      [{ step: 0, done: true }, 'body.step'],
      [{ step: 7, done: true }, 'body.step'],
      [{ step: 1.5, done: true }, 'body.step'],
      [{ step: 1, done: 'yes' }, 'body.done'],
      [{ step: 1, done: true, extra: 1 }, 'body'],
    ] as const) {
      const bad = await api.send('POST', path, body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(field);
    }
    expect((await api.send('POST', '/tasks/cus_dash~r99/checklist', { step: 1, done: true })).status).toBe(404);
    const audit = await api.get('/accounts/cus_dash/audit?limit=200');
    const actions = audit.body.items.map((a: { action: string }) => a.action);
    expect(actions).toContain('task.checklist.done');
    expect(actions).toContain('task.checklist.undone');
    // The marks stay out of what the account's evaluation reads: the account answers as before.
    expect((await api.get('/accounts/cus_dash')).status).toBe(200);
  });

  it('gives the account every invoice of the last 13 months with days late, and the grace days', async () => {
    const account = (await api.get('/accounts/cus_dash')).body;
    expect(account.name).toBe('Dash & Co');
    expect(account.graceDays).toBe(3);
    expect(account.paymentHistory).toHaveLength(4);
    expect(account.paymentHistory.slice(0, 3).map((e: { status: string; daysLate: number; late: boolean }) => [e.status, e.daysLate, e.late])).toEqual([
      ['paid', 15, true],
      ['paid', 15, true],
      ['paid', 15, true],
    ]);
    expect(account.paymentHistory[3]).toMatchObject({ status: 'open', daysLate: 50, late: true });
  });
});
