import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, formatISO } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { canonicalJson } from '../../shared/domain/canonical-json.ts';
import { defaultPolicy } from '../../shared/config/policy.ts';
import { allItems } from '../support/scan.ts';
import { client, startTestWatcher, writeUsersFile } from '../support/watcher.ts';
import { daysBefore, epoch, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';

/**
 * Issue 22 over HTTP on DynamoDB Local: POST /policy/preview and GET /policy.
 *
 * Four accounts, under the default policy (grace 3 days, 3 late invoices):
 * - cus_pv_late: four invoices paid 15 days late: flagged now and under the proposal;
 * - cus_pv_grace: three paid 5 days late: flagged now, cleared by a 7-day grace;
 * - cus_pv_two: two of five paid 10 days late: not flagged now, flagged when two late invoices
 *   suffice (and still late with a 7-day grace), with a contract, so a review is planned;
 * - cus_pv_ok: always on time.
 */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
const PROPOSAL = { graceDays: 7, latePayer: { minLateInvoices: 2 } };
/** One person of each role, each with a token of their own (a users file, as `npm run users` writes). */
const people = { 'vi@pv': 'viewer', 're@pv': 'reviewer', 'ap@pv': 'approver', 'ad@pv': 'admin' } as const;
const tokens: Record<string, string> = {};
const as = (name: keyof typeof people) => ({ authorization: `Bearer ${tokens[name]}` });
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;

function stories(customer: string, lateDays: readonly number[]): InvoiceStory[] {
  return lateDays.map((late, i) => {
    const dueAt = daysBefore(now, 250 - i * 40);
    return {
      customer,
      invoiceId: `in_${customer}_${i}`,
      finalizedAt: daysBefore(now, 280 - i * 40),
      dueAt,
      paidAt: new Date(dueAt.getTime() + late * 86_400_000),
    };
  });
}

/** The whole table, in a canonical order, as text: what "writes nothing" is checked against. */
async function tableDump(): Promise<string[]> {
  return (await allItems(watcher.store)).map((item) => canonicalJson(item)).sort();
}

const preview = (body: unknown, query = '') => api.post(`/policy/preview${query}`, body);

beforeAll(async () => {
  const written = writeUsersFile(mkdtempSync(join(tmpdir(), 'termwatch-preview-people-')), people);
  Object.assign(tokens, written.tokens);
  watcher = await startTestWatcher({ env: { WATCHER_USERS: written.file } });
  api = client(watcher);
  const accounts: Array<[string, number[]]> = [
    ['cus_pv_late', [15, 15, 15, 15]],
    ['cus_pv_grace', [5, 5, 5, -2]],
    ['cus_pv_two', [10, 10, -1, -1, -1]],
    ['cus_pv_ok', [-3, -3, -3, -3]],
  ];
  for (const [customer, late] of accounts) {
    const created = stripeEvent(
      'customer.created',
      { ...fixture('customer'), id: customer, name: `Name of ${customer}`, metadata: {} },
      epoch(daysBefore(now, 400)),
    );
    expect((await api.deliver(created)).status).toBe(200);
    for (const event of stories(customer, late).flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
  }
  await watcher.queue.drained();
  expect((await api.send('PUT', '/accounts/cus_pv_two/contract', { endDate: day(200), noticeDays: 30, renewal: 'auto' })).status).toBe(200);
  // Stored evaluations are current (the sweep settles what the events left pending).
  expect((await api.post('/admin/sweep', {})).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await watcher?.stop();
});

describe('POST /policy/preview', () => {
  it('lists the accounts whose flags would change, with the summary and the review the timing rule plans', async () => {
    const result = await preview({ policy: PROPOSAL });
    expect(result.status).toBe(200);
    expect(result.body.summary).toEqual({ accounts: 4, flaggedNow: 2, flaggedUnderPreview: 2, newlyFlagged: 1, cleared: 1 });
    expect(result.body.nextCursor).toBeUndefined();
    expect(result.body.policy).toMatchObject({ graceDays: 7, latePayer: { minLateInvoices: 2, windowDays: 365 }, reviewLeadDays: 14 });
    const byId = Object.fromEntries(result.body.accounts.map((a: { id: string }) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual(['cus_pv_grace', 'cus_pv_two']);
    expect(byId.cus_pv_grace).toMatchObject({ name: 'Name of cus_pv_grace', flagsNow: ['late_payer'], flagsUnderPreview: [] });
    expect(byId.cus_pv_grace.reviewUnderPreview).toBeUndefined();
    expect(byId.cus_pv_two).toMatchObject({
      name: 'Name of cus_pv_two',
      flagsNow: [],
      flagsUnderPreview: ['late_payer'],
      reviewUnderPreview: { status: 'scheduled', targetEnd: day(200), noticeDeadline: day(170), reasons: ['late_payer'] },
    });
    const review = byId.cus_pv_two.reviewUnderPreview;
    expect(review.openAt.slice(0, 10)).toBe(day(156));
    expect(Date.parse(review.dueAt)).toBeGreaterThan(Date.parse(review.openAt));
    expect(byId.cus_pv_two.reasonsUnderPreview.length).toBeGreaterThan(0);
  });

  it('with all=true lists every account; flagsNow is what the account page shows', async () => {
    const result = await preview({ policy: PROPOSAL }, '?all=true');
    expect(result.status).toBe(200);
    expect(result.body.accounts.map((a: { id: string }) => a.id).sort()).toEqual(['cus_pv_grace', 'cus_pv_late', 'cus_pv_ok', 'cus_pv_two']);
    for (const entry of result.body.accounts) {
      const account = await api.get(`/accounts/${entry.id}`);
      expect(entry.flagsNow, entry.id).toEqual(account.body.flags);
    }
    const late = result.body.accounts.find((a: { id: string }) => a.id === 'cus_pv_late');
    expect(late).toMatchObject({ flagsNow: ['late_payer'], flagsUnderPreview: ['late_payer'] });
  });

  it('a preview of the policy in force changes nothing, and its flags are the stored ones', async () => {
    const result = await preview({ policy: {} }, '?all=true');
    expect(result.body.accounts).toHaveLength(4);
    for (const entry of result.body.accounts) expect(entry.flagsUnderPreview).toEqual(entry.flagsNow);
    expect(result.body.summary).toEqual({ accounts: 4, flaggedNow: 2, flaggedUnderPreview: 2, newlyFlagged: 0, cleared: 0 });
    expect((await preview({ policy: {} })).body.accounts).toEqual([]);
    const flagged = (await api.get('/accounts?flag=late_payer')).body.items.map((a: { id: string }) => a.id).sort();
    expect(flagged).toEqual(['cus_pv_grace', 'cus_pv_late']);
  });

  it('pages with the cursor in a stable order, the summary running to the total on the last page', async () => {
    const whole = (await preview({ policy: PROPOSAL }, '?all=true')).body;
    const again = (await preview({ policy: PROPOSAL }, '?all=true')).body;
    expect(again.accounts.map((a: { id: string }) => a.id)).toEqual(whole.accounts.map((a: { id: string }) => a.id));
    const seen: string[] = [];
    let cursor: string | undefined;
    let last: any;
    let pages = 0;
    do {
      const page = await preview({ policy: PROPOSAL }, `?all=true&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.accounts.length).toBeLessThanOrEqual(1);
      // Every page is assessed at the first page's instant.
      if (last) expect(page.body.asOf).toBe(last.asOf);
      seen.push(...page.body.accounts.map((a: { id: string }) => a.id));
      expect(page.body.summary.accounts).toBe(seen.length);
      last = page.body;
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(cursor).toBeUndefined();
    expect(seen).toEqual(whole.accounts.map((a: { id: string }) => a.id));
    expect(last.summary).toEqual(whole.summary);

    // Changed accounts only, one a page: the same two, in the same relative order.
    const first = await preview({ policy: PROPOSAL }, '?limit=1');
    expect(first.body.accounts).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await preview({ policy: PROPOSAL }, `?limit=1&cursor=${first.body.nextCursor}`);
    const changed = whole.accounts.filter((a: any) => canonicalJson(a.flagsNow) !== canonicalJson(a.flagsUnderPreview)).map((a: { id: string }) => a.id);
    expect([...first.body.accounts, ...second.body.accounts].map((a: { id: string }) => a.id)).toEqual(changed);

    // A cursor belongs to its proposal (and listing mode): another one is a 400 naming it.
    const other = await preview({ policy: { graceDays: 1 } }, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error.message).toContain('query.cursor');
    expect((await preview({ policy: PROPOSAL }, `?all=true&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await preview({ policy: PROPOSAL }, '?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('refuses unknown keys and bad values naming the field, as the policy file does', async () => {
    const cases: Array<[unknown, string]> = [
      [{ policy: { latePayer: { minLate: 2 } } }, 'body.policy.latePayer.minLate'],
      [{ policy: { graceDays: -1 } }, 'body.policy.graceDays'],
      [{ policy: { latePayer: { lateShare: 2 } } }, 'body.policy.latePayer.lateShare'],
      [{ policy: { timeZone: 'Mars/Olympus' } }, 'body.policy.timeZone'],
      [{ policy: { grace: 7 } }, 'body.policy.grace'],
      [{}, 'body.policy'],
      [{ policy: {}, extra: true }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const result = await preview(body);
      expect(result.status, field).toBe(400);
      expect(result.body.error.code, field).toBe('validation_error');
      expect(result.body.error.message, field).toContain(field);
    }
    const badQuery = await preview({ policy: {} }, '?all=yes');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.message).toContain('query.all');
    expect((await preview({ policy: {} }, '?limit=0')).status).toBe(400);
  });

  it('needs credentials', async () => {
    const result = await api.post('/policy/preview', { policy: {} }, {});
    expect(result.status).toBe(401);
  });

  it('needs the approver role: a viewer or a reviewer is 403 forbidden, an approver or an admin is answered', async () => {
    for (const name of ['vi@pv', 're@pv'] as const) {
      const refused = await api.post('/policy/preview', { policy: PROPOSAL }, as(name));
      expect(refused.status, name).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    for (const name of ['ap@pv', 'ad@pv'] as const) {
      const answered = await api.post('/policy/preview', { policy: PROPOSAL }, as(name));
      expect(answered.status, name).toBe(200);
      expect(answered.body.summary.accounts).toBe(4);
    }
  });

  it('writes nothing and sends nothing: the whole table is the same before and after', async () => {
    const before = await tableDump();
    expect(before.length).toBeGreaterThan(20);
    const notificationsBefore = (await api.get('/notifications')).body.items.length;
    for (const query of ['', '?all=true', '?all=true&limit=1', '?limit=1']) {
      expect((await preview({ policy: PROPOSAL }, query)).status).toBe(200);
    }
    // A proposal that would flag everything and open reviews at once, too.
    const harsh = {
      policy: {
        graceDays: 0,
        latePayer: { minLateInvoices: 1, overdueDays: 1 },
        profitability: { minMarginPct: 1000 },
        forCause: { enabled: true, cureDays: 1 },
      },
    };
    const harshResult = await preview(harsh, '?all=true');
    expect(harshResult.status).toBe(200);
    expect(harshResult.body.summary.flaggedUnderPreview).toBe(4);
    expect((await preview({ policy: { graceDays: -5 } })).status).toBe(400);
    expect((await api.get('/policy')).status).toBe(200);
    expect(await tableDump()).toEqual(before);
    expect((await api.get('/notifications')).body.items.length).toBe(notificationsBefore);
  });
});

describe('GET /policy', () => {
  it('answers the policy in force and the defaults, and no secret', async () => {
    const result = await api.get('/policy');
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ policy: JSON.parse(JSON.stringify(defaultPolicy)), defaults: JSON.parse(JSON.stringify(defaultPolicy)) });
    const text = JSON.stringify(result.body);
    expect(text).not.toContain(watcher.apiToken);
    expect(text).not.toContain(watcher.webhookSecret);
    expect((await api.get('/policy', {})).status).toBe(401);
  });

  it('is for admins: an approver is 403 forbidden', async () => {
    expect((await api.get('/policy', as('ad@pv'))).status).toBe(200);
    for (const name of ['vi@pv', 're@pv', 'ap@pv'] as const) {
      const refused = await api.get('/policy', as(name));
      expect(refused.status, name).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
  });
});
