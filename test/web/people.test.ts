import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addDays, formatISO } from 'date-fns';
import type { RunningWatcher } from '../../local/watcher.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { axe, latePayer, launchBrowser, screenshot, signInWithToken } from './browser.ts';

/**
 * People in the dashboard, in a real Chromium against the local runner: each person signs in
 * with their own token and sees what their role lets them do; a termination asked for by a
 * reviewer waits, shown as pending (and overdue) in the queue, until an approver answers it.
 */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
const PEOPLE = { 'vera@finance': 'viewer', 'rita@finance': 'reviewer', 'alex@finance': 'approver' } as const;
type Person = keyof typeof PEOPLE;
const tokens = Object.fromEntries(Object.keys(PEOPLE).map((name) => [name, `tok-${randomUUID()}`])) as Record<Person, string>;
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;
let browser: Browser;
let taskId: string;

async function as(person: Person): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInWithToken(page, watcher, tokens[person]);
  await page.getByText(`${person} · ${PEOPLE[person]}`).waitFor();
  return page;
}

async function openTask(page: Page) {
  await page.goto(`${watcher.url}/app/tasks/${encodeURIComponent(taskId)}`);
  await page.getByRole('heading', { level: 1, name: 'Quarry Works SA' }).waitFor();
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termwatch-people-'));
  const file = join(dir, 'users.json');
  writeFileSync(
    file,
    JSON.stringify(
      Object.entries(PEOPLE).map(([name, role]) => ({
        name,
        role,
        tokenSha256: createHash('sha256')
          .update(tokens[name as Person])
          .digest('hex'),
      })),
    ),
  );
  watcher = await startTestWatcher({ env: { WATCHER_USERS: file } });
  api = client(watcher);
  await latePayer(api, now, { customer: 'cus_quarry', name: 'Quarry Works SA', ages: [200, 150, 100, 50], daysLate: [18, 22, 15, 30] });
  await watcher.queue.drained();
  // The notice deadline passed ten days ago: a termination left pending is overdue.
  expect((await api.send('PUT', '/accounts/cus_quarry/contract', { endDate: day(20), noticeDays: 30, renewal: 'fixed' })).status).toBe(200);
  // A human signal and a cost above the revenue: the review's evidence names both.
  expect((await api.send('POST', '/accounts/cus_quarry/signals', { signal: 'communication', note: 'Stopped answering our emails in May.' })).status).toBe(201);
  expect(
    (await api.send('POST', '/accounts/cus_quarry/costs', { amount: 3_000_000, currency: 'usd', date: day(-20), category: 'delivery', note: 'Onsite rework' }))
      .status,
  ).toBe(201);
  await watcher.queue.drained();
  taskId = ((await api.get('/tasks?accountId=cus_quarry')).body.items[0] as { id: string }).id;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
});

describe('people in the dashboard', { timeout: 90_000 }, () => {
  it('shows a viewer who is signed in and no forms: no decision, no owner, no signal or cost, no import', async () => {
    const page = await as('vera@finance');
    await openTask(page);
    expect(await page.getByRole('checkbox').count()).toBe(6);
    await page.getByRole('heading', { name: 'Human signals' }).waitFor();
    await page
      .getByRole('listitem')
      .filter({ hasText: 'Stopped answering our emails in May.' })
      .filter({ hasText: /by \S+:/ })
      .waitFor();
    await page.getByRole('heading', { name: 'Profitability by currency' }).waitFor();
    await page.getByText(/delivery: \$30,000\.00 \(Onsite rework\)/).waitFor();
    for (const box of await page.getByRole('checkbox').all()) expect(await box.isDisabled()).toBe(true);
    for (const name of ['Retain', 'Renegotiate', 'Terminate', 'Set owner', 'Approve', 'Reject'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Note' }).count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    await page.goto(`${watcher.url}/app/accounts/cus_quarry`);
    await page.getByRole('img', { name: /^Payment history/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Record signal' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Record cost' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save overrides' }).count()).toBe(0);
    await page.goto(`${watcher.url}/app/import`);
    await page.getByText('Importing contracts takes the reviewer role').waitFor();
    expect(await page.getByRole('button', { name: 'Import' }).count()).toBe(0);
    // Contexts stay open: with --single-process, closing the last one ends the browser.
  });

  it('lets a reviewer take the review and ask for a termination, which waits; no Approve for them', async () => {
    const page = await as('rita@finance');
    await openTask(page);
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await page.getByText('Owned by rita@finance (you).').waitFor();
    expect((await api.get(`/tasks/${encodeURIComponent(taskId)}`)).body.assignee).toBe('rita@finance');
    await page.getByRole('textbox', { name: 'Note' }).fill('Four late payments in a row; we end at term.');
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('heading', { name: 'Termination awaiting approval' }).waitFor();
    await page.getByText(/You asked for this termination/).waitFor();
    await page.getByText('overdue', { exact: true }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    // The server refuses it too: the requester cannot approve their own request.
    const own = await fetch(`${watcher.url}/tasks/${encodeURIComponent(taskId)}/approval`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['rita@finance']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ approve: true, note: 'mine' }),
    });
    expect(own.status).toBe(403);
    // The queue shows it pending, overdue, with its owner.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reviews' }).click();
    const row = page.getByRole('row', { name: /Quarry Works SA/ });
    await row.getByText('pending approval').waitFor();
    await row.getByText('overdue').waitFor();
    await row.getByRole('cell', { name: 'rita@finance', exact: true }).first().waitFor();
    await screenshot(page, 'queue-pending');
    await page.getByRole('checkbox', { name: 'Only reviews I own' }).check();
    await page.getByRole('row', { name: /Quarry Works SA/ }).waitFor();
    expect(await axe(page)).toEqual([]);
  });

  it('lets an approver reject with a note (the review opens again), then approve the next request', async () => {
    const approver = await as('alex@finance');
    await approver
      .getByRole('row', { name: /Quarry Works SA/ })
      .getByText('pending approval')
      .waitFor();
    await openTask(approver);
    await approver.getByText('Asked by rita@finance').waitFor();
    expect(await axe(approver)).toEqual([]);
    await screenshot(approver, 'approval');
    await approver.getByRole('textbox', { name: 'Note' }).fill('Give them the cure period first.');
    await approver.getByRole('button', { name: 'Reject' }).click();
    await approver.getByRole('button', { name: 'Renegotiate' }).waitFor();
    const rejected = (await api.get(`/tasks/${encodeURIComponent(taskId)}`)).body;
    expect(rejected.status).toBe('open');
    expect(JSON.stringify(rejected.history)).toContain('Give them the cure period first.');

    const reviewer = await as('rita@finance');
    await openTask(reviewer);
    await reviewer.getByRole('textbox', { name: 'Note' }).fill('Cure period over, still unpaid.');
    await reviewer.getByRole('button', { name: 'Terminate' }).click();
    await reviewer.getByRole('heading', { name: 'Termination awaiting approval' }).waitFor();

    await openTask(approver);
    await approver.getByRole('textbox', { name: 'Note' }).fill('Agreed.');
    await approver.getByRole('button', { name: 'Approve' }).click();
    await approver.getByText(/^\(approved by alex@finance on/).waitFor();
    const decided = (await api.get(`/tasks/${encodeURIComponent(taskId)}`)).body;
    expect(decided.status).toBe('decided');
    expect(decided.decisions.at(-1)).toMatchObject({ decision: 'terminate', by: 'rita@finance', approvedBy: 'alex@finance' });
  });
});
