import AxeBuilder from '@axe-core/playwright';
import chromium from '@sparticuz/chromium';
import { chromium as pw, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { startTestWatcher } from '../support/watcher.ts';
import { screenshot } from './browser.ts';

/** The dashboard's calendar feeds page in a real headless Chromium: create (URL shown once), list, revoke. */
let watcher: RunningWatcher;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  watcher = await startTestWatcher();
  browser = await pw.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
});

describe('calendar feeds in the dashboard', { timeout: 90_000 }, () => {
  it('creates a feed whose URL a calendar can fetch, lists it, and revokes it', async () => {
    await page.goto(`${watcher.url}/app/calendar`);
    await page.getByRole('textbox', { name: 'API token' }).fill(watcher.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Calendar feeds' }).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.getByText('No calendar feed yet.').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar', exact: true }).count()).toBe(1);

    await page.getByRole('textbox', { name: 'Feed name' }).fill('Finance <team>');
    await page.getByRole('button', { name: 'Create feed' }).click();
    const urlBox = page.getByRole('textbox', { name: 'Feed URL' });
    await expect.poll(() => urlBox.count(), { timeout: 15_000 }).toBe(1);
    const url = await urlBox.inputValue();
    expect(url).toMatch(/\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(await feed.text()).toContain('BEGIN:VCALENDAR');
    await expect.poll(() => page.getByRole('cell', { name: 'Finance <team>', exact: true }).count(), { timeout: 15_000 }).toBe(1);
    const violations = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(violations.map((v) => v.id)).toEqual([]);
    await screenshot(page, 'calendar');

    await page.getByRole('button', { name: 'Revoke Finance <team>' }).click();
    await expect.poll(() => page.getByText('No calendar feed yet.').count(), { timeout: 15_000 }).toBe(1);
    expect((await fetch(url)).status).toBe(404);
  });
});
