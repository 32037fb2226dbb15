import { addDays, formatISO } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, invoiceEvents, type InvoiceStory } from '../support/stripe-events.ts';

/** The timing engine end to end over HTTP: contracts, one review per term end, the sweep. */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;

async function makeLatePayer(customer: string) {
  const stories: InvoiceStory[] = [200, 150, 100, 50].map((age, i) => ({
    customer,
    invoiceId: `in_${customer}_${i}`,
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    paidAt: daysBefore(now, age - 15),
  }));
  for (const event of stories.flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
  await watcher.queue.drained();
}

async function reviewsOf(accountId: string) {
  const { body } = await api.get(`/tasks?accountId=${accountId}`);
  return body.items as Array<Record<string, any>>;
}

beforeAll(async () => {
  watcher = await startTestWatcher();
  api = client(watcher);
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

describe('contracts', () => {
  it.each([
    [{ endDate: '2027-02-30', noticeDays: 30, renewal: 'auto' }, 'body.endDate'],
    [{ endDate: '2027-02-10', noticeDays: -1, renewal: 'auto' }, 'body.noticeDays'],
    [{ endDate: '2027-02-10', noticeDays: 2.5, renewal: 'auto' }, 'body.noticeDays'],
    [{ endDate: '2027-02-10', noticeDays: 30, renewal: 'sometimes' }, 'body.renewal'],
    [{ endDate: '2027-02-10', noticeDays: 30 }, 'body.renewal'],
    [{ endDate: '2027-02-10', noticeDays: 30, renewal: 'fixed', cureDays: -1 }, 'body.cureDays'],
  ])('refuses %j naming %s, and writes nothing', async (body, field) => {
    const response = await fetch(`${watcher.url}/accounts/cus_badcontract/contract`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: { message: string } };
    expect(json.error.message).toContain(field);
    expect((await api.get('/accounts/cus_badcontract')).status).toBe(404);
  });

  it('creates the account when new and shows the contract with its notice deadline', async () => {
    const put = await fetch(`${watcher.url}/accounts/cus_newcontract/contract`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endDate: day(200), noticeDays: 45, renewal: 'fixed' }),
    });
    expect(put.status).toBe(200);
    const { body } = await api.get('/accounts/cus_newcontract');
    expect(body.contract).toMatchObject({ endDate: day(200), noticeDays: 45, renewal: 'fixed', noticeDeadline: day(155), source: 'manual' });
  });
});

async function putContract(accountId: string, body: unknown) {
  expect((await api.send('PUT', `/accounts/${accountId}/contract`, body)).status).toBe(200);
}

describe('the timing rule, end to end', () => {
  it('schedules one review due on the deadline, opening 14 days before it; moves it when the contract changes; the sweep opens it once', async () => {
    await putContract('cus_timed', { endDate: day(120), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    expect(await reviewsOf('cus_timed')).toHaveLength(0);
    await makeLatePayer('cus_timed');
    let reviews = await reviewsOf('cus_timed');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ status: 'scheduled', kind: 'review', targetEnd: day(120), noticeDeadline: day(90) });
    expect(reviews[0]!.reasons).toContain('late_payer');
    expect(reviews[0]!.openAt.slice(0, 10)).toBe(day(76));
    expect(reviews[0]!.dueAt.slice(0, 10)).toBe(day(90));
    const id = reviews[0]!.id;

    await putContract('cus_timed', { endDate: day(150), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    reviews = await reviewsOf('cus_timed');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ id, status: 'scheduled', targetEnd: day(150), noticeDeadline: day(120) });
    expect(reviews[0]!.history.map((h: { note: string }) => h.note).join('\n')).toContain(`moved from term end ${day(120)} to ${day(150)}`);

    const openAt = reviews[0]!.openAt as string;
    const before = await api.post('/admin/sweep', { now: new Date(Date.parse(openAt) - 60_000).toISOString() });
    expect(before.body.reviewsOpened).toBe(0);
    const at = new Date(Date.parse(openAt) + 6 * 3_600_000).toISOString();
    const first = await api.post('/admin/sweep', { now: at });
    expect(first.status).toBe(200);
    expect(first.body.reviewsOpened).toBe(1);
    const second = await api.post('/admin/sweep', { now: at });
    expect(second.body.reviewsOpened).toBe(0);
    expect((await api.get(`/tasks/${encodeURIComponent(id)}`)).body.status).toBe('open');
    const notes = await api.get('/notifications?accountId=cus_timed&type=review_opened');
    expect(notes.body.items).toHaveLength(1);
    expect(notes.body.items[0]).toMatchObject({ type: 'review_opened', accountId: 'cus_timed', taskId: id });
    expect(notes.body.items[0].text).toContain(`notice deadline ${day(120)}`);
  });

  it('targets the next term end when the deadline has already passed (auto)', async () => {
    await makeLatePayer('cus_rolled');
    await putContract('cus_rolled', { endDate: day(10), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    const reviews = await reviewsOf('cus_rolled');
    expect(reviews).toHaveLength(1);
    const nextEnd = formatISO(addDays(new Date(`${day(10)}T12:00:00Z`), 0), { representation: 'date' }).replace(/^(\d{4})/, (y) => String(Number(y) + 1));
    expect(reviews[0]).toMatchObject({ status: 'scheduled', targetEnd: nextEnd, track: 'auto_rolled' });
  });

  it('opens a fixed term past its deadline now, due at the term end', async () => {
    await makeLatePayer('cus_fixed');
    await putContract('cus_fixed', { endDate: day(10), noticeDays: 30, renewal: 'fixed' });
    const reviews = await reviewsOf('cus_fixed');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ status: 'open', targetEnd: day(10), track: 'fixed_past_deadline' });
    expect(reviews[0]!.dueAt.slice(0, 10)).toBe(day(10));
    const notes = await api.get('/notifications?accountId=cus_fixed');
    expect(notes.body.items.filter((n: { type: string }) => n.type === 'review_opened')).toHaveLength(1);

    // The account shows the deadline that passed (not null), and that no term comes after it.
    const contract = { endDate: day(10), renewal: 'fixed', noticeDeadline: day(-20), noticeDeadlinePassed: true, upcomingTermEnd: null };
    expect((await api.get('/accounts/cus_fixed')).body.contract).toMatchObject(contract);
    // Like every list, it refuses a parameter it does not know.
    expect((await api.get('/accounts?flag=late_payer&bogus=1')).status).toBe(400);
    // The flagged-accounts list carries the contract too (as of the stored evaluation).
    const flagged = (await api.get('/accounts?flag=late_payer&limit=200')).body.items as Array<Record<string, any>>;
    expect(flagged.find((a) => a.id === 'cus_fixed')?.contract).toMatchObject(contract);
  });

  it('opens a review for a late payer with no contract once Stripe events settle, and reschedules it when the contract is recorded', async () => {
    await makeLatePayer('cus_nocontract');
    let reviews = await reviewsOf('cus_nocontract');
    expect(reviews).toHaveLength(1);
    // Stripe-triggered openings wait out the settle period (policy reviewSettleMinutes, 60).
    expect(reviews[0]).toMatchObject({ status: 'scheduled', track: 'no_contract' });
    const settleMinutes = (Date.parse(reviews[0]!.openAt) - Date.now()) / 60_000;
    expect(settleMinutes).toBeGreaterThan(50);
    expect(settleMinutes).toBeLessThanOrEqual(60);
    const sweep = await api.post('/admin/sweep', { now: new Date(Date.parse(reviews[0]!.openAt) + 60_000).toISOString() });
    expect(sweep.body.reviewsOpened).toBe(1);
    reviews = await reviewsOf('cus_nocontract');
    expect(reviews[0]).toMatchObject({ status: 'open', track: 'no_contract' });
    expect(reviews[0]!.reasons.join(' ')).toContain('record the contract');
    expect(reviews[0]!.checklist).toHaveLength(6);
    await putContract('cus_nocontract', { endDate: day(200), noticeDays: 30, renewal: 'auto' });
    reviews = await reviewsOf('cus_nocontract');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ status: 'scheduled', targetEnd: day(200), track: 'before_open' });
  });

  it("carries the account's late-payment counts as evidence, with the late invoices listed", async () => {
    await makeLatePayer('cus_evidence');
    await putContract('cus_evidence', { endDate: day(200), noticeDays: 30, renewal: 'auto' });
    const [review] = await reviewsOf('cus_evidence');
    const task = (await api.get(`/tasks/${encodeURIComponent(review!.id)}`)).body;
    const account = (await api.get('/accounts/cus_evidence')).body;
    const { evidence: _listed, ...counts } = account.latePayment;
    expect(task.evidence.latePayment).toMatchObject({ ...counts, lateInvoices: 4 });
    expect(task.evidence.latePayment.evidence.map((e: { daysLate: number }) => e.daysLate)).toEqual([15, 15, 15, 15]);
  });

  it('makes one review from parallel evaluations of one account', async () => {
    await putContract('cus_parallel', { endDate: day(120), noticeDays: 30, renewal: 'auto' });
    const stories: InvoiceStory[] = [200, 150, 100, 50].map((age, i) => ({
      customer: 'cus_parallel',
      invoiceId: `in_par_${i}`,
      finalizedAt: daysBefore(now, age + 30),
      dueAt: daysBefore(now, age),
      paidAt: daysBefore(now, age - 15),
    }));
    await Promise.all(stories.flatMap(invoiceEvents).map((e) => api.deliver(e)));
    await watcher.queue.drained();
    await Promise.all(Array.from({ length: 5 }, () => api.post('/admin/sweep', {})));
    expect(await reviewsOf('cus_parallel')).toHaveLength(1);
  });

  it('a contract end moved back to a term already decided keeps that decision and cancels the newer review; the account and the sweep carry on', async () => {
    const customer = 'cus_back_to_decided';
    await makeLatePayer(customer);
    await putContract(customer, { endDate: day(120), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    const [first] = await reviewsOf(customer);
    expect((await api.post(`/tasks/${encodeURIComponent(first!.id)}/decision`, { decision: 'retain', note: 'paying on time since the call' })).status).toBe(
      200,
    );
    await putContract(customer, { endDate: day(150), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    const second = (await reviewsOf(customer)).find((t) => t.id !== first!.id)!;
    expect(second).toMatchObject({ status: 'scheduled', targetEnd: day(150) });

    // Back to the first term end: its decision stands, the newer review is cancelled (not moved
    // into the decided one's slot, which failed every evaluation of the account from then on:
    // this PUT answered 409 and every sweep failed on the account).
    await putContract(customer, { endDate: day(120), noticeDays: 30, renewal: 'auto', renewalTermMonths: 12 });
    const reviews = await reviewsOf(customer);
    expect(reviews.find((t) => t.id === first!.id)).toMatchObject({ status: 'decided', targetEnd: day(120) });
    expect(reviews.find((t) => t.id === second.id)).toMatchObject({ status: 'cancelled', targetEnd: day(150) });
    const sweep = await api.post('/admin/sweep', { now: addDays(now, 1).toISOString() });
    expect(sweep.body).toMatchObject({ failures: 0 });
  });
});

describe('contract CSV import', () => {
  const csv = [
    'accountId,endDate,noticeDays,renewal,renewalTermMonths',
    `cus_csv1,${day(300)},30,auto,12`,
    `cus_csv2,2027-02-30,30,fixed,`,
    `cus_csv3,${day(100)},-4,auto,12`,
    `cus_csv4,${day(100)},60,evergreen,1`,
    `cus_csv5,${day(100)},30,monthly,`,
  ].join('\n');

  async function importCsv(text: string) {
    const response = await fetch(`${watcher.url}/contracts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'text/csv' },
      body: text,
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('keeps good rows, reports each bad row with its line and reason, and a re-import changes nothing', async () => {
    const first = await importCsv(csv);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ rows: 5, recorded: 2, unchanged: 0 });
    expect(first.body.errors.map((e: { line: number; field: string }) => [e.line, e.field])).toEqual([
      [3, 'endDate'],
      [4, 'noticeDays'],
      [6, 'renewal'],
    ]);
    expect((await api.get('/accounts/cus_csv1')).body.contract).toMatchObject({ endDate: day(300), source: 'csv' });
    expect((await api.get('/accounts/cus_csv2')).status).toBe(404);
    const again = await importCsv(csv);
    expect(again.body).toMatchObject({ recorded: 0, unchanged: 2 });
  });

  it('filters tasks due before a date (or an instant)', async () => {
    await makeLatePayer('cus_due_soon');
    await makeLatePayer('cus_due_later');
    await putContract('cus_due_soon', { endDate: day(100), noticeDays: 30, renewal: 'fixed' });
    await putContract('cus_due_later', { endDate: day(230), noticeDays: 30, renewal: 'fixed' });
    const accountsDueBefore = async (dueBefore: string) =>
      (await api.get(`/tasks?limit=200&dueBefore=${encodeURIComponent(dueBefore)}`)).body.items.map((t: { accountId: string }) => t.accountId);
    const soon = await accountsDueBefore(day(100));
    expect(soon).toContain('cus_due_soon');
    expect(soon).not.toContain('cus_due_later');
    // The review is due at the end of its notice deadline (day 70): before day 71, not before day 70.
    expect(await accountsDueBefore(day(71))).toContain('cus_due_soon');
    expect(await accountsDueBefore(day(70))).not.toContain('cus_due_soon');
    expect(await accountsDueBefore(addDays(now, 300).toISOString())).toEqual(expect.arrayContaining(['cus_due_soon', 'cus_due_later']));
  });

  it('lists only renewals whose notice deadline falls in the window (90 days by default)', async () => {
    await putContract('cus_window_in', { endDate: day(100), noticeDays: 30, renewal: 'auto' });
    await putContract('cus_window_out', { endDate: day(230), noticeDays: 30, renewal: 'auto' });
    const ids = async (query: string) => {
      const found: string[] = [];
      let cursor: string | undefined;
      do {
        const { body } = await api.get(`/renewals?limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        found.push(...body.items.map((r: { accountId: string }) => r.accountId));
        cursor = body.nextCursor;
      } while (cursor);
      return found;
    };
    const byDefault = await ids('');
    expect(byDefault).toContain('cus_window_in');
    expect(byDefault).not.toContain('cus_window_out');
    expect(await ids('&withinDays=60')).not.toContain('cus_window_in');
    expect(await ids('&withinDays=210')).toEqual(expect.arrayContaining(['cus_window_in', 'cus_window_out']));
  });

  it('lists renewals by notice deadline with flags and a risk rank', async () => {
    const { body } = await api.get('/renewals?withinDays=400');
    const deadlines = body.items.map((r: { noticeDeadline: string }) => r.noticeDeadline);
    expect(deadlines).toEqual([...deadlines].sort());
    const timed = body.items.find((r: { accountId: string }) => r.accountId === 'cus_timed');
    expect(timed).toMatchObject({ flags: ['late_payer'], noticeDeadline: day(120) });
    expect(timed.riskRank).toBeGreaterThan(0);
  });

  it('exports tasks as CSV with a header row', async () => {
    const response = await fetch(`${watcher.url}/tasks?format=csv`, { headers: { authorization: `Bearer ${watcher.apiToken}` } });
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,accountId,kind,status,targetEnd,noticeDeadline,openAt,dueAt,reasons,latestDecision,decidedBy,decidedAt');
    expect(lines.length).toBeGreaterThan(3);
  });
});

describe('renewal reminders', () => {
  it('a deadline 25 days away gets exactly one reminder (30 days) however many sweeps run that day, then the 7-day one on its day', async () => {
    await putContract('cus_remind', { endDate: day(55), noticeDays: 30, renewal: 'auto' });
    for (let i = 0; i < 3; i++) await api.post('/admin/sweep', {});
    let notes = (await api.get('/notifications?accountId=cus_remind&type=renewal_reminder')).body.items;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'renewal_reminder', offsetDays: 30 });
    expect(notes[0].text).toContain(`Notice deadline ${day(25)}`);
    // Two sweeps at once on the 7-day day (deadline day(25): the 7-day day is day(18)).
    const sevenDayDay = new Date(Date.parse(`${day(18)}T00:00:00Z`) + 7 * 3_600_000).toISOString();
    await Promise.all([api.post('/admin/sweep', { now: sevenDayDay }), api.post('/admin/sweep', { now: sevenDayDay })]);
    notes = (await api.get('/notifications?accountId=cus_remind&type=renewal_reminder')).body.items;
    expect(notes.map((n: { offsetDays: number }) => n.offsetDays).sort()).toEqual([30, 7]);
  });

  it('a far contract gets nothing until its 60-day day', async () => {
    await putContract('cus_far', { endDate: day(300), noticeDays: 30, renewal: 'auto' });
    await api.post('/admin/sweep', {});
    expect((await api.get('/notifications?accountId=cus_far&type=renewal_reminder')).body.items).toHaveLength(0);
    const sixtyDayDay = new Date(Date.parse(`${day(210)}T00:00:00Z`) + 7 * 3_600_000).toISOString();
    // The sweep catches up at most 62 days per run: run it until it reaches that day.
    for (let i = 0; i < 5; i++) await api.post('/admin/sweep', { now: sixtyDayDay });
    const notes = (await api.get('/notifications?accountId=cus_far&type=renewal_reminder')).body.items;
    expect(notes.map((n: { offsetDays: number }) => n.offsetDays)).toEqual([60]);
  });
});
