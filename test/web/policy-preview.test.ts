import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import chromium from '@sparticuz/chromium';
import { chromium as pw, type Browser, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import type { RunningWatcher } from '../../local/watcher.ts';
import { allItems } from '../support/scan.ts';
import { client, startTestWatcher, writeUsersFile } from '../support/watcher.ts';
import { screenshot } from './browser.ts';
import { daysBefore, epoch, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';

/**
 * The policy preview page (issue 22) in a real headless Chromium against the local runner on
 * DynamoDB Local: a finance lead changes a threshold and sees who would move, before anything
 * is saved. Driven by role and accessible name.
 *
 * Accounts under the default policy (grace 3 days, 3 late invoices):
 * - cus_pw_grace, Grace Period Co: three invoices paid 5 days late, flagged now, cleared by grace 7;
 * - cus_pw_ok, Punctual Ltd: always on time.
 */
const now = new Date();
const people = { 'ap@pw': 'approver', 'vi@pw': 'viewer' } as const;
const tokens: Record<string, string> = {};
let watcher: RunningWatcher;
let browser: Browser;
let page: Page;

async function axe(p: Page) {
  const result = await new AxeBuilder({ page: p }).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

async function signInAs(token: string) {
  await page.goto(`${watcher.url}/app/`);
  // The shell renders after it has asked who the kept token belongs to: wait for either state.
  const signOut = page.getByRole('button', { name: 'Sign out' });
  await signOut
    .or(page.getByRole('textbox', { name: 'API token' }))
    .first()
    .waitFor();
  if ((await signOut.count()) > 0) await signOut.click();
  await page.getByRole('textbox', { name: 'API token' }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reviews' }).waitFor();
  await page.getByRole('link', { name: 'Policy preview', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Policy preview' }).waitFor();
}

beforeAll(async () => {
  const written = writeUsersFile(mkdtempSync(join(tmpdir(), 'termwatch-pw-people-')), people);
  Object.assign(tokens, written.tokens);
  watcher = await startTestWatcher({ env: { WATCHER_USERS: written.file } });
  const api = client(watcher);
  for (const [customer, name, late] of [
    ['cus_pw_grace', 'Grace Period Co', [5, 5, 5, -2]],
    ['cus_pw_ok', 'Punctual Ltd', [-3, -3, -3, -3]],
  ] as const) {
    expect(
      (await api.deliver(stripeEvent('customer.created', { ...fixture('customer'), id: customer, name, metadata: {} }, epoch(daysBefore(now, 400))))).status,
    ).toBe(200);
    const stories: InvoiceStory[] = late.map((days, i) => {
      const dueAt = daysBefore(now, 250 - i * 40);
      return {
        customer,
        invoiceId: `in_${customer}_${i}`,
        finalizedAt: daysBefore(now, 280 - i * 40),
        dueAt,
        paidAt: new Date(dueAt.getTime() + days * 86_400_000),
      };
    });
    for (const event of stories.flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
  }
  await watcher.queue.drained();
  expect((await api.post('/admin/sweep', {})).status).toBe(200);
  const executablePath = await chromium.executablePath();
  browser = await pw.launch({ executablePath, args: chromium.args, headless: true });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
});

describe('the policy preview page', { timeout: 180_000 }, () => {
  it('an admin sees the policy in force, changes the grace period and sees the account that would be cleared; nothing is written', async () => {
    const before = (await allItems(watcher.store)).length;
    await signInAs(watcher.apiToken);
    const grace = page.getByRole('spinbutton', { name: 'Grace days' });
    expect(await grace.inputValue()).toBe('3');
    expect(await page.getByRole('spinbutton', { name: 'Min late invoices' }).inputValue()).toBe('3');
    // A field with a fixed set of values is a choice, not free text.
    const terminate = page.getByRole('combobox', { name: 'Terminate' });
    expect(await terminate.inputValue()).toBe('two_person');
    expect(await terminate.getByRole('option').allTextContents()).toEqual(['Two people (four eyes)', 'One person']);
    expect(await page.getByText('The fields hold the policy in force').count()).toBe(1);
    expect(await axe(page)).toEqual([]);

    // Under the policy in force nothing moves.
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('No account would change.').waitFor();

    await grace.fill('7');
    await page.getByRole('button', { name: 'Preview' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Grace Period Co' }) });
    await row.waitFor();
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('late payer');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('none');
    expect(await page.getByRole('link', { name: 'Punctual Ltd' }).count()).toBe(0);
    const summary = page.locator('dl');
    expect(await summary.textContent()).toContain('Cleared1');
    expect(await summary.textContent()).toContain('Accounts examined2');
    expect(await page.getByText(/^Assessed at \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\.$/).count()).toBe(1);
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'preview');

    // Every account, one a page (the page's requests rewritten to limit=1): the rest comes by the cursor.
    await page.route('**/policy/preview?*', (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('limit', '1');
      return route.continue({ url: url.toString() });
    });
    await page.getByRole('checkbox', { name: 'List every account, not only those that would change' }).check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('link', { name: 'Grace Period Co' }).waitFor();
    expect(await page.getByRole('link', { name: 'Punctual Ltd' }).count()).toBe(0);
    expect(await summary.textContent()).toContain('Accounts examined1');
    await page.getByRole('button', { name: 'Load more accounts' }).click();
    await page.getByRole('link', { name: 'Punctual Ltd' }).waitFor();
    await expect.poll(() => summary.textContent()).toContain('Accounts examined2');
    await page.unroute('**/policy/preview?*');

    // A bad value is the server's 400, shown, naming the field.
    await grace.fill('-5');
    await page.getByRole('button', { name: 'Preview' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('graceDays');
    expect(await axe(page)).toEqual([]);

    await grace.fill('7');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('link', { name: 'Grace Period Co' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grace Period Co' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/accounts/cus_pw_grace');
    expect((await allItems(watcher.store)).length).toBe(before);
  });

  it('an approver gets the built-in defaults, said so, and can preview', async () => {
    await signInAs(tokens['ap@pw']!);
    await page.getByText('Only an admin may read the policy in force').waitFor();
    const minLate = page.getByRole('spinbutton', { name: 'Min late invoices' });
    expect(await minLate.inputValue()).toBe('3');
    await page.getByRole('spinbutton', { name: 'Grace days' }).fill('7');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('link', { name: 'Grace Period Co' }).waitFor();
    expect(await axe(page)).toEqual([]);
  });

  it('a viewer is told the page is for approvers and admins, and given no form', async () => {
    await signInAs(tokens['vi@pw']!);
    await page.getByText('The policy preview is for approvers and admins').waitFor();
    expect(await page.getByRole('button', { name: 'Preview' }).count()).toBe(0);
    expect(await axe(page)).toEqual([]);
  });
});
