import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import chromium from '@sparticuz/chromium';
import { chromium as pw, type Browser, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { addDays, formatISO } from 'date-fns';
import type { RunningWatcher } from '../../local/watcher.ts';
import { client, startTestWatcher } from '../support/watcher.ts';
import { daysBefore, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';
import { screenshot } from './browser.ts';

/**
 * The dashboard in a real headless Chromium against the local runner on DynamoDB Local, fed
 * Stripe events signed with the SDK. Pages are driven by role and accessible name, as a person
 * (or a screen reader) finds them.
 */
const now = new Date();
const day = (offset: number) => formatISO(addDays(now, offset), { representation: 'date' });
const HOSTILE = '<img src=x onerror=alert(1)>';
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

async function latePayer(customer: string, name: string, ages: number[], daysLate: number[], amount = 480_000) {
  const created = Math.floor(now.getTime() / 1000) - 420 * 86_400;
  expect((await api.deliver(stripeEvent('customer.created', { ...fixture('customer'), id: customer, name }, created))).status).toBe(200);
  const stories: InvoiceStory[] = ages.map((age, i) => ({
    customer,
    invoiceId: `in_${customer}_${i}`,
    amount,
    currency: 'usd',
    finalizedAt: daysBefore(now, age + 30),
    dueAt: daysBefore(now, age),
    ...(daysLate[i]! >= 0 ? { paidAt: daysBefore(now, age - daysLate[i]!) } : {}),
  }));
  for (const event of stories.flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
}

async function settled() {
  await watcher.queue.drained();
}

async function openTaskOf(accountId: string) {
  const tasks = (await api.get(`/tasks?accountId=${accountId}`)).body.items as Array<{ id: string; status: string }>;
  return tasks[0]!;
}

async function axe(p: Page) {
  const result = await new AxeBuilder({ page: p }).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

beforeAll(async () => {
  watcher = await startTestWatcher();
  api = client(watcher);
  // Harbor Analytics: monthly invoices, most paid 9-26 days late, the last one still unpaid.
  await latePayer('cus_harbor', 'Harbor Analytics Ltd', [340, 310, 280, 250, 220, 190, 160, 130, 100, 70, 40, 10], [2, 12, 0, 18, 9, 26, 1, 14, 22, 0, 35, -1]);
  await latePayer('cus_hostile', HOSTILE, [200, 150, 100, 50], [15, 15, 15, 15], 90_000);
  await latePayer('cus_northwind', 'Northwind Logistics GmbH', [250, 190, 130, 70], [20, 11, 16, 13], 125_000);
  await settled();
  expect((await api.send('PUT', '/accounts/cus_harbor/contract', { endDate: day(20), noticeDays: 30, renewal: 'fixed' })).status).toBe(200);
  expect((await api.send('PUT', '/accounts/cus_hostile/contract', { endDate: day(25), noticeDays: 30, renewal: 'fixed' })).status).toBe(200);
  expect(
    (await api.send('PUT', '/accounts/cus_northwind/contract', { endDate: day(120), noticeDays: 60, renewal: 'auto', renewalTermMonths: 12 })).status,
  ).toBe(200);
  expect(
    (await api.send('POST', '/accounts/cus_harbor/costs', { amount: 180_000, currency: 'usd', date: day(-40), category: 'support', note: 'Escalations' }))
      .status,
  ).toBe(201);
  const executablePath = await chromium.executablePath();
  browser = await pw.launch({ executablePath, args: chromium.args, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
});

describe('the dashboard', { timeout: 90_000 }, () => {
  it('is served without credentials, with a strict CSP, and / redirects to /app/', async () => {
    const root = await fetch(`${watcher.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/app/');
    for (const path of ['/app/', '/app/tasks/cus_x~r1', '/app/accounts/cus_x']) {
      const response = await fetch(`${watcher.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('/app/assets/app.js');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const js = await fetch(`${watcher.url}/app/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.arrayBuffer()).byteLength).toBeLessThan(150 * 1024);
    // The API still wants the token.
    expect((await fetch(`${watcher.url}/tasks`)).status).toBe(401);
  });

  it('shows no data before sign-in, then the queue with the late payer by name; names are text', async () => {
    await page.goto(`${watcher.url}/app/`);
    await expect.poll(() => page.getByRole('textbox', { name: 'API token' }).count()).toBe(1);
    expect(await page.getByText('Harbor Analytics Ltd').count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    await page.getByRole('textbox', { name: 'API token' }).fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByRole('textbox', { name: 'API token' }).fill(watcher.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reviews' }).waitFor();
    await page.getByRole('link', { name: 'Harbor Analytics Ltd' }).waitFor();
    // The hostile name shows its characters and runs nothing.
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(await page.locator('h1').count()).toBe(1);
    // A notice deadline already over says so; one ahead counts its days.
    expect(
      await page
        .getByRole('row', { name: /Harbor Analytics Ltd/ })
        .getByRole('cell')
        .nth(4)
        .textContent(),
    ).toBe('passed');
    expect(
      Number(
        await page
          .getByRole('row', { name: /Northwind Logistics/ })
          .getByRole('cell')
          .nth(4)
          .textContent(),
      ),
    ).toBeGreaterThan(7);
    for (const name of ['Reviews', 'Renewals', 'Accounts', 'Notifications']) await page.getByRole('link', { name, exact: true }).waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'queue');
  });

  it('reaches the main controls by keyboard', async () => {
    const reached: string[] = [];
    const wanted = ['Reviews', 'Renewals', 'Accounts', 'Notifications', 'Harbor Analytics Ltd'];
    // Past the navigation (seven links), sign-out and the queue's three filters to the first row.
    for (let i = 0; i < 25 && !wanted.every((name) => reached.some((r) => r.startsWith(name))); i++) {
      await page.keyboard.press('Tab');
      // A string, run in the page: this project's TypeScript has no DOM library.
      reached.push(await page.evaluate<string>("(document.activeElement?.textContent ?? '').trim() || document.activeElement?.tagName || ''"));
    }
    for (const name of wanted)
      expect(
        reached.some((r) => r.startsWith(name)),
        `${name} in ${JSON.stringify(reached)}`,
      ).toBe(true);
  });

  it('opens the task, keeps a ticked checklist step across a reload, records a decision seen through the API', async () => {
    const task = await openTaskOf('cus_harbor');
    expect(task.status).toBe('open');
    await page.getByRole('link', { name: 'Harbor Analytics Ltd' }).click();
    await page.getByRole('heading', { level: 1, name: 'Harbor Analytics Ltd' }).waitFor();
    const boxes = page.getByRole('checkbox');
    expect(await boxes.count()).toBe(6);
    const first = page.getByRole('checkbox', { name: /Check the contract/ });
    expect(await first.isChecked()).toBe(false);
    await first.click(); // the box follows the API's answer, not the click (check() would see it unticked until then)
    await page.getByText(/done by \S+, /).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Harbor Analytics Ltd' }).waitFor();
    expect(await page.getByRole('checkbox', { name: /Check the contract/ }).isChecked()).toBe(true);
    const viaApi = (await api.get(`/tasks/${encodeURIComponent(task.id)}`)).body;
    expect(viaApi.name).toBe('Harbor Analytics Ltd');
    expect(viaApi.checklist[0]).toMatchObject({ step: 1, done: true });
    expect(viaApi.checklist[1]).toMatchObject({ step: 2, done: false });
    // Every calendar date is inside <time datetime="YYYY-MM-DD">.
    const datetimes = await page.locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
    expect(datetimes.length).toBeGreaterThan(3);
    for (const d of datetimes) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The draft notice names the customer and the term end.
    const notice = await page.getByRole('textbox', { name: /Notice text/ }).inputValue();
    expect(notice).toContain('Harbor Analytics Ltd');
    expect(notice).toContain('transition');
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'task');
    await page.goto(`${watcher.url}/app/tasks/${encodeURIComponent(task.id)}?lang=es`);
    expect(await page.getByRole('textbox', { name: /Notice text/ }).inputValue()).toContain('Estimado equipo de Harbor Analytics Ltd');

    await page.getByRole('textbox', { name: 'Note' }).fill('Paid late 9 of 12 months; renegotiate with upfront billing.');
    await page.getByRole('button', { name: 'Retain' }).waitFor();
    await page.getByRole('button', { name: 'Terminate' }).waitFor();
    await page.getByRole('button', { name: 'Renegotiate' }).click();
    await page.getByText(/renegotiate by \S+ on/).waitFor();
    const decided = (await api.get(`/tasks/${encodeURIComponent(task.id)}`)).body;
    expect(decided.decisions.at(-1)).toMatchObject({ decision: 'renegotiate', note: 'Paid late 9 of 12 months; renegotiate with upfront billing.' });
  });

  it('shows the account with its payment-history chart', async () => {
    await page.goto(`${watcher.url}/app/accounts/cus_harbor`);
    const chart = page.getByRole('img', { name: /^Payment history/ });
    await chart.waitFor();
    expect(await chart.getAttribute('aria-label')).toMatch(/12 invoices.*1 unpaid/);
    expect(await page.locator('svg circle').count()).toBe(12);
    await page.getByRole('cell', { name: '$1,800.00', exact: true }).waitFor();
    // Revenue against cost month by month, one chart per currency.
    const monthly = page.getByRole('img', { name: /^Revenue against cost in USD, 12 months/ });
    await monthly.waitFor();
    expect(await monthly.getAttribute('aria-label')).toContain('cost $1,800.00');
    expect(await page.getByRole('img', { name: /^Revenue against cost in/ }).count()).toBe(1);
    // The audit trail says what happened in words, with its code, and names the fields each update changed; a creation (whole) names none.
    await page
      .getByRole('listitem')
      .filter({ hasText: /Review created by Termwatch \(evaluation\) task\.created$/ })
      .first()
      .waitFor();
    await page
      .getByRole('listitem')
      .filter({ hasText: /by Termwatch \(evaluation\): [a-zA-Z, ]*updatedAt task\.[a-z_.]+$/ })
      .first()
      .waitFor();
    // Newest first: the decision taken on the task page heads the trail.
    const trail = page.locator('ul.audit > li');
    expect(await trail.first().textContent()).toMatch(/Decided: renegotiate by \S+: [a-zA-Z, ]* task\.decided\.renegotiate$/);
    // The evaluation refreshing the review's evidence after each invoice is one line, opened by keyboard onto each time.
    const refreshes = page.getByText(/Review updated by Termwatch \(evaluation\): evidence, updatedAt, \d+ times task\.updated$/);
    const times = Number(/(\d+) times/.exec((await refreshes.textContent()) ?? '')?.[1]);
    expect(times).toBeGreaterThan(1);
    const listed = await page.locator('ul.audit').evaluate((ul) => ul.querySelectorAll(':scope > li').length);
    expect(listed).toBeLessThan((await api.get('/accounts/cus_harbor/audit?limit=200')).body.items.length);
    await refreshes.focus();
    await page.keyboard.press('Enter');
    const each = page.locator('ul.audit details[open] li time');
    expect(await each.count()).toBe(times);
    expect(await each.first().textContent()).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} UTC$/);
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'account');
  });

  it('records a signal, a cost in yen (no minor units) and an exclusion from the account page', async () => {
    await page.getByRole('textbox', { name: 'Signal note' }).fill('Asked for work outside the contract again.');
    await page.getByRole('combobox', { name: 'Signal' }).selectOption('scope_mismatch');
    await page.getByRole('button', { name: 'Record signal' }).click();
    await page.getByText('Asked for work outside the contract again.').waitFor();
    await page.getByRole('textbox', { name: 'Cost amount' }).fill('12000');
    await page.getByRole('textbox', { name: 'Currency' }).fill('jpy');
    await page.getByRole('button', { name: 'Record cost' }).click();
    await page.getByRole('img', { name: /^Revenue against cost in JPY, 12 months: revenue ¥0, cost ¥12,000/ }).waitFor();
    const costs = (await api.get('/accounts/cus_harbor/costs')).body.items as Array<{ amount: number; currency: string }>;
    expect(costs.find((c) => c.currency === 'jpy')).toMatchObject({ amount: 12_000 });
    await page.getByRole('combobox', { name: 'Exclude from' }).selectOption('unprofitable');
    await page.getByRole('textbox', { name: 'Exclusion reason' }).fill('Strategic logo: keep whatever the margin.');
    await page.getByRole('button', { name: 'Add exclusion' }).click();
    await page.getByRole('spinbutton', { name: 'Grace days' }).fill('5');
    await page.getByRole('button', { name: 'Save overrides' }).click();
    await page.getByText('Excluded from unprofitable: Strategic logo: keep whatever the margin.').waitFor();
    const overrides = (await api.get('/accounts/cus_harbor/overrides')).body;
    expect(overrides.exclusions).toEqual([{ scope: 'unprofitable', reason: 'Strategic logo: keep whatever the margin.' }]);
    expect(overrides.policy).toEqual({ graceDays: 5 });
    await page.getByRole('img', { name: /grace period 5 days/ }).waitFor();
    expect(await axe(page)).toEqual([]);
  });

  it('has no serious or critical axe findings on the other pages', async () => {
    for (const [path, heading] of [
      ['/app/renewals', 'Renewals'],
      ['/app/accounts', 'Accounts'],
      ['/app/notifications', 'Notifications'],
      ['/app/import', 'Import contracts'],
      [`/app/accounts/cus_hostile`, HOSTILE],
    ] as const) {
      await page.goto(`${watcher.url}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(await axe(page), path).toEqual([]);
    }
    expect(dialogs).toEqual([]);
  });

  it('shows renewals as a ranked list and a month-by-month timeline', async () => {
    await page.goto(`${watcher.url}/app/renewals`);
    await page.getByRole('heading', { level: 1, name: 'Renewals' }).waitFor();
    await page.getByRole('radio', { name: '180 days' }).check();
    await page.getByRole('heading', { name: 'Month by month' }).waitFor();
    await page.getByRole('link', { name: 'Northwind Logistics GmbH' }).waitFor();
    // The timeline: every month of the window, Northwind's deadline in its own.
    await expect.poll(() => page.getByRole('heading', { level: 3 }).count()).toBeGreaterThanOrEqual(6);
    await page.getByRole('listitem').filter({ hasText: 'Northwind Logistics GmbH (late payer)' }).last().waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'renewals');
  });

  it('imports a contracts CSV and shows each bad row with its line and problem', async () => {
    await page.goto(`${watcher.url}/app/import`);
    await page.getByRole('heading', { level: 1, name: 'Import contracts' }).waitFor();
    const csv = [
      'accountId,endDate,noticeDays,renewal,renewalTermMonths',
      `cus_imported,${day(200)},30,fixed,`,
      'cus_bad,not-a-date,30,fixed,',
      'cus_worse,2027-01-01,-5,weekly,',
    ].join('\n');
    await page.getByLabel('Contracts CSV file').setInputFiles({ name: 'contracts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByText('1 recorded, 0 unchanged, 2 with errors, of 3 rows.').waitFor();
    const errors = page.getByRole('table', { name: 'Rows not imported' });
    expect(await errors.getByRole('row').filter({ hasText: 'cus_bad' }).filter({ hasText: 'endDate' }).count()).toBe(1);
    expect(await errors.getByRole('row').filter({ hasText: 'cus_worse' }).count()).toBeGreaterThanOrEqual(1);
    expect(await errors.getByRole('cell', { name: '3', exact: true }).count()).toBe(1);
    expect((await api.get('/accounts/cus_imported')).status).toBe(200);
    expect(await axe(page)).toEqual([]);
  });

  it('searches flagged accounts by name or id, and opens any account by its id', async () => {
    await page.goto(`${watcher.url}/app/accounts`);
    await page.getByRole('link', { name: 'Harbor Analytics Ltd' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search by name or id' }).fill('northwind');
    await page.getByRole('link', { name: 'Northwind Logistics GmbH' }).waitFor();
    expect(await page.getByRole('link', { name: 'Harbor Analytics Ltd' }).count()).toBe(0);
    await page.getByRole('searchbox', { name: 'Search by name or id' }).fill('cus_imported');
    await page.getByRole('link', { name: 'Open account cus_imported' }).click();
    await page.getByRole('heading', { level: 1, name: 'cus_imported' }).waitFor();
  });

  it('says so when a page cannot load, and offers to try again; an unknown path is a page of its own', async () => {
    await page.goto(`${watcher.url}/app/tasks/${encodeURIComponent('cus_nobody~r1')}`);
    await page
      .getByRole('alert')
      .getByText(/^Could not load: /)
      .waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    expect(await axe(page)).toEqual([]);
    await page.goto(`${watcher.url}/app/nowhere`);
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    await page.getByRole('link', { name: 'Back to the reviews' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reviews' }).waitFor();
  });

  it('reaches the account page forms by keyboard', async () => {
    await page.goto(`${watcher.url}/app/accounts/cus_northwind`);
    await page.getByRole('img', { name: /^Payment history/ }).waitFor();
    const reached = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate<string>(
          "(document.activeElement?.getAttribute('aria-label') || document.activeElement?.labels?.[0]?.textContent || document.activeElement?.textContent || '').trim()",
        ),
      );
    }
    for (const name of ['Signal note', 'Cost amount', 'Exclusion reason', 'Grace days', 'Save overrides']) expect([...reached], name).toContain(name);
  });

  it('drops the token on sign-out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('textbox', { name: 'API token' }).waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });

  it('goes back to the sign-in page when the API refuses the token mid-session', async () => {
    await page.getByRole('textbox', { name: 'API token' }).fill(watcher.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reviews' }).waitFor();
    // The page's own requests finished with the good token first: the refusal must come from the
    // next page's (a list still loading when the token changes would end the session here).
    await page.getByRole('status').filter({ hasText: 'Loading reviews' }).waitFor({ state: 'detached' });
    await page.waitForLoadState('networkidle');
    await page.evaluate("sessionStorage.setItem('termwatch.token', 'revoked-meanwhile')");
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page
      .getByRole('alert')
      .getByText(/Your session ended/)
      .waitFor();
    await page.getByRole('textbox', { name: 'API token' }).waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });
});
