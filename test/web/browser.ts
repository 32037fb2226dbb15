import chromium from '@sparticuz/chromium';
import { chromium as pw, type Browser, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { expect } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import type { client } from '../support/watcher.ts';
import { daysBefore, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../support/stripe-events.ts';

/** The Chromium inside @sparticuz/chromium, headless: no download, no apt step. */
export async function launchBrowser(): Promise<Browser> {
  return pw.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
}

/**
 * A full-page screenshot of what the test sees. Written over the README's pictures in
 * docs/screenshots/ only when TERMWATCH_SCREENSHOTS=1 (so `npm test` leaves the tree clean);
 * otherwise taken and kept in memory, so the page is still rendered to pixels in every run.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true, ...(process.env.TERMWATCH_SCREENSHOTS === '1' ? { path: `docs/screenshots/${name}.png` } : {}) });
  expect(png.byteLength).toBeGreaterThan(0);
}

/** Serious and critical axe-core findings on the page as it stands (minor ones are left to review). */
export async function axe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

/** Signs in through the token form, as a person would, and waits for the queue. */
export async function signInWithToken(page: Page, watcher: RunningWatcher, token: string): Promise<void> {
  await page.goto(`${watcher.url}/app/`);
  await page.getByRole('textbox', { name: 'API token' }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reviews' }).waitFor();
}

/** A customer with monthly invoices `ages` days ago, each paid `daysLate` days after its due date (negative: unpaid). */
export async function latePayer(
  api: ReturnType<typeof client>,
  now: Date,
  story: { customer: string; name: string; ages: number[]; daysLate: number[]; amount?: number; currency?: string },
): Promise<void> {
  const created = Math.floor(now.getTime() / 1000) - 420 * 86_400;
  expect((await api.deliver(stripeEvent('customer.created', { ...fixture('customer'), id: story.customer, name: story.name }, created))).status).toBe(200);
  const stories: InvoiceStory[] = story.ages.map((age, i) => {
    const late = story.daysLate[i] ?? -1;
    return {
      customer: story.customer,
      invoiceId: `in_${story.customer}_${i}`,
      amount: story.amount ?? 480_000,
      currency: story.currency ?? 'usd',
      finalizedAt: daysBefore(now, age + 30),
      dueAt: daysBefore(now, age),
      ...(late >= 0 ? { paidAt: daysBefore(now, age - late) } : {}),
    };
  });
  for (const event of stories.flatMap(invoiceEvents)) expect((await api.deliver(event)).status).toBe(200);
}
