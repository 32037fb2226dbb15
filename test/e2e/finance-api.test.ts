import { addDays, formatISO } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { parsePolicy } from '../../shared/domain/policy.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, invoiceEvents, type InvoiceStory } from '../support/stripe-events.ts';

/** Issue 5 over HTTP: human signals, decisions, audit, overrides, pagination. */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;

const send = (method: string, path: string, body?: unknown) => api.send(method, path, body);

async function lateStories(customer: string) {
  const stories: InvoiceStory[] = [200, 150, 100, 50].map((age, i) => ({
    customer,
    invoiceId: `in_${customer}_${i}`,
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    paidAt: daysBefore(now, age - 15),
  }));
  for (const e of stories.flatMap(invoiceEvents)) expect((await api.deliver(e)).status).toBe(200);
  await watcher.queue.drained();
}

beforeAll(async () => {
  // One person decides every kind here (approvals.terminate single); the four-eyes rule has its own tests.
  watcher = await startTestWatcher({ policy: parsePolicy({ approvals: { terminate: 'single' } }) });
  api = client(watcher);
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

describe('human signals', () => {
  it('reviews an abusive client now, targeting the term end', async () => {
    await send('PUT', '/accounts/cus_abuse/contract', { endDate: day(200), noticeDays: 30, renewal: 'auto' });
    const signal = await send('POST', '/accounts/cus_abuse/signals', { signal: 'abusive', note: 'Shouted at the delivery team on the call of 3 Nov' });
    expect(signal.status).toBe(201);
    const tasks = (await api.get('/tasks?accountId=cus_abuse')).body.items;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'open', targetEnd: day(200), noticeDeadline: day(170) });
    expect(tasks[0].reasons).toContain('abusive');
    expect(tasks[0].evidence.humanSignals[0]).toMatchObject({ signal: 'abusive', recordedBy: 'ana@finance' });
    expect((await api.get('/accounts/cus_abuse')).body.signals).toHaveLength(1);
  });

  it('schedules other signals by the normal timing', async () => {
    await send('PUT', '/accounts/cus_scope/contract', { endDate: day(200), noticeDays: 30, renewal: 'auto' });
    await send('POST', '/accounts/cus_scope/signals', { signal: 'scope_mismatch', note: 'Keeps asking for work outside the SOW' });
    const tasks = (await api.get('/tasks?accountId=cus_scope')).body.items;
    expect(tasks[0]).toMatchObject({ status: 'scheduled', reasons: ['scope_mismatch'] });
  });

  it('refuses an unknown signal kind naming the field', async () => {
    const result = await send('POST', '/accounts/cus_scope/signals', { signal: 'rude', note: 'x' });
    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain('body.signal');
  });
});

describe('decisions and audit', () => {
  it('appends decisions in order, never rewriting them, and records terminate with its dates', async () => {
    await send('PUT', '/accounts/cus_decide/contract', { endDate: day(60), noticeDays: 30, renewal: 'auto' });
    await send('POST', '/accounts/cus_decide/signals', { signal: 'abusive', note: 'Repeated abuse' });
    const [task] = (await api.get('/tasks?accountId=cus_decide')).body.items;
    // Days left to the notice deadline (30 days out, today counted), counted as the renewals list counts them.
    const renewal = ((await api.get('/renewals?withinDays=90')).body.items as Array<{ accountId: string; daysLeft: number }>).find(
      (r) => r.accountId === 'cus_decide',
    );
    expect(task.daysLeft).toBe(renewal!.daysLeft);
    expect([30, 31]).toContain(task.daysLeft);
    const first = await send('POST', `/tasks/${task.id}/decision`, { decision: 'renegotiate', note: 'Try new limits first' });
    expect(first.status).toBe(200);
    const second = await send('POST', `/tasks/${task.id}/decision`, { decision: 'terminate', note: 'Renegotiation failed' });
    expect(second.body.status).toBe('decided');
    const read = (await api.get(`/tasks/${task.id}`)).body;
    expect(read.decisions.map((d: { decision: string }) => d.decision)).toEqual(['renegotiate', 'terminate']);
    expect(read.decisions[0]).toMatchObject({ note: 'Try new limits first', by: 'ana@finance' });
    expect(read.decisions[1]).toMatchObject({ plannedEndDate: day(60), noticeDeadline: day(30) });
    // A later evaluation leaves the decided review alone.
    await api.post('/admin/sweep', {});
    expect((await api.get(`/tasks/${task.id}`)).body.decisions).toHaveLength(2);
    expect((await send('POST', `/tasks/${task.id}/decision`, { decision: 'maybe', note: 'x' })).status).toBe(400);
    expect((await send('POST', '/tasks/cus_decide~r99/decision', { decision: 'retain', note: 'x' })).status).toBe(404);

    const audit = (await api.get('/accounts/cus_decide/audit?limit=200')).body.items as Array<{
      action: string;
      by: string;
      before: unknown;
      after: unknown;
      changed?: string[];
    }>;
    const actions = audit.map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['contract.recorded', 'signal.recorded', 'task.created', 'task.decided.renegotiate', 'task.decided.terminate']),
    );
    const decided = audit.find((a) => a.action === 'task.decided.terminate')!;
    expect(decided.by).toBe('ana@finance');
    expect(decided.before).toMatchObject({ status: 'decided' });
    // An update keeps only what changed (and the task's id and status); a creation the whole task.
    expect(decided.changed).toEqual(expect.arrayContaining(['decisions', 'updatedAt']));
    expect(decided.changed).not.toContain('checklist');
    expect(Object.keys(decided.after as object).sort()).toEqual([...new Set(['id', 'status', ...decided.changed!])].sort());
    expect((decided.before as { decisions: unknown[] }).decisions).toHaveLength(1);
    expect((decided.after as { id: string; decisions: unknown[] }).decisions).toHaveLength(2);
    const created = audit.find((a) => a.action === 'task.created')!;
    expect(created.changed).toBeUndefined();
    expect(created.after).toMatchObject({ id: task.id, checklist: expect.any(Array), evidence: expect.any(Object) });
  });

  it('lists the audit trail newest first when asked, page by page, and names a bad order', async () => {
    const oldest = (await api.get('/accounts/cus_decide/audit?limit=200')).body.items as Array<{ at: string; action: string }>;
    expect(oldest.length).toBeGreaterThan(3);
    const newest: typeof oldest = [];
    let cursor: string | undefined;
    do {
      const page = (await api.get(`/accounts/cus_decide/audit?order=newest&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      newest.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(newest).toEqual([...oldest].reverse());
    expect(newest[0]!.action).toBe('task.decided.terminate');
    const bad = await api.get('/accounts/cus_decide/audit?order=latest');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('query.order');
  });
});

describe('overrides', () => {
  it('excludes an account from all reviews with a reason, and shows it', async () => {
    await send('PUT', '/accounts/cus_excluded/contract', { endDate: day(200), noticeDays: 30, renewal: 'auto' });
    await lateStories('cus_excluded');
    expect((await api.get('/tasks?accountId=cus_excluded&status=scheduled')).body.items).toHaveLength(1);
    const put = await send('PUT', '/accounts/cus_excluded/overrides', {
      exclusions: [{ scope: 'all', reason: 'Strategic partner; CFO decision', until: day(90) }],
    });
    expect(put.status).toBe(200);
    expect((await api.get('/tasks?accountId=cus_excluded&status=scheduled')).body.items).toHaveLength(0);
    expect((await api.get('/accounts/cus_excluded')).body.overrides.exclusions[0].reason).toContain('CFO');
    const audit = (await api.get('/accounts/cus_excluded/audit?limit=200')).body.items;
    expect(audit.some((a: { action: string }) => a.action === 'overrides.replaced')).toBe(true);
  });

  it('holds an invoice out of lateness until a date', async () => {
    await lateStories('cus_hold');
    expect((await api.get('/accounts/cus_hold')).body.latePayment.lateInvoices).toBe(4);
    await send('PUT', '/accounts/cus_hold/overrides', {
      invoiceHolds: [
        { invoiceId: 'in_cus_hold_0', reason: 'Under discussion', until: day(30) },
        { invoiceId: 'in_cus_hold_1', reason: 'Under discussion', until: day(30) },
      ],
    });
    const view = (await api.get('/accounts/cus_hold')).body;
    expect(view.latePayment.lateInvoices).toBe(2);
    expect(view.flags).toEqual([]);
  });

  it('refuses a malformed override naming the field', async () => {
    const result = await send('PUT', '/accounts/cus_hold/overrides', { invoiceHolds: [{ invoiceId: 'in_1', reason: 'x', until: '2026-13-01' }] });
    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain('body.invoiceHolds.0.until');
  });
});

describe('lists', () => {
  it('pages 25 renewals in tens with none lost and none repeated', async () => {
    for (let i = 0; i < 25; i++) {
      await send('PUT', `/accounts/cus_page${String(i).padStart(2, '0')}/contract`, { endDate: day(400 + i), noticeDays: 30, renewal: 'auto' });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { body } = await api.get(`/renewals?withinDays=500&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(body.items.length).toBeLessThanOrEqual(10);
      seen.push(...body.items.map((r: { accountId: string }) => r.accountId).filter((id: string) => id.startsWith('cus_page')));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('refuses a forged cursor', async () => {
    const forged = Buffer.from(JSON.stringify({ gsi1pk: 'FLAG#late_payer', gsi1sk: 'x', pk: 'x', sk: 'y' })).toString('base64url');
    const result = await api.get(`/renewals?cursor=${forged}`);
    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain('query.cursor');
  });
});
