import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { startSlackReceiver } from '../support/slack-receiver.ts';
import { client, startTestWatcher, writeUsersFile } from '../support/watcher.ts';
import { axe, latePayer, launchBrowser, screenshot, signInWithToken } from './browser.ts';

/**
 * The Notifications page in a real headless Chromium, against a Slack that refuses every
 * message: each notification with its message as people got it (text, never markup), and for
 * admins the deliveries given up on after their retries, with the receiver's last answer.
 */
const NAME = '<b>Bold & Sons</b>';
const now = new Date();
const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);

let watcher: RunningWatcher;
let api: ReturnType<typeof client>;
let slack: Awaited<ReturnType<typeof startSlackReceiver>>;
let browser: Browser;
let page: Page;
let tokens: Record<string, string>;
/** The watcher's clock runs this far ahead of the machine's (to see Slack's pause after an outage end). */
let clockAheadMs = 0;

beforeAll(async () => {
  slack = await startSlackReceiver([], { status: 500, body: 'channel_is_archived' });
  const users = writeUsersFile(mkdtempSync(join(tmpdir(), 'termwatch-notif-')), { 'ana@finance': 'admin', 'vera@finance': 'viewer' });
  tokens = users.tokens;
  watcher = await startTestWatcher({
    env: { WATCHER_USERS: users.file, WATCHER_SLACK_WEBHOOK_URL: slack.url },
    slack: { baseDelayMs: 5 },
    clock: () => new Date(Date.now() + clockAheadMs),
  });
  api = client(watcher);
  await latePayer(api, now, { customer: 'cus_bold', name: NAME, ages: [200, 150, 100, 50], daysLate: [15, 15, 15, 15] });
  await watcher.queue.drained();
  // Two more, for the outage case: several messages given up on, sent again together.
  for (const customer of ['cus_plain1', 'cus_plain2'])
    await latePayer(api, now, { customer, name: `Plain ${customer.slice(-1)} Ltd`, ages: [200, 150, 100, 50], daysLate: [15, 15, 15, 15] });
  await watcher.queue.drained();
  for (const customer of ['cus_bold', 'cus_plain1', 'cus_plain2'])
    expect((await api.send('PUT', `/accounts/${customer}/contract`, { endDate: day(20), noticeDays: 30, renewal: 'fixed' })).status).toBe(200);
  expect((await api.post('/admin/sweep', {})).status).toBe(200);
  // The sweep sends what it opened before it answers: Slack refused every try, so each is set aside.
  expect((await api.get('/deliveries/dead-letters')).body.items).toHaveLength(3);
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
  await slack?.close();
});

describe('the Notifications page', { timeout: 90_000 }, () => {
  it("shows each notification's message and, to an admin, the Slack message given up on with Slack's last answer", async () => {
    await signInWithToken(page, watcher, tokens['ana@finance']!);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    const sent = ((await api.get('/notifications')).body.items as Array<{ accountId: string; subject: string; text: string; taskId: string }>).find(
      (n) => n.accountId === 'cus_bold',
    );
    // The subject is the line; the message opens from it by keyboard, as text (the name's markup is shown, not run).
    const subject = page.locator('summary').getByText(sent!.subject, { exact: true });
    await subject.waitFor();
    expect(sent!.subject).toContain(NAME);
    // The fixed term's notice deadline has passed: the message says so, and counts the days left to decide.
    expect(sent!.text).toMatch(/notice deadline \d{4}-\d{2}-\d{2} has passed \(\d+ days left to decide, before the term ends\)/);
    await subject.focus();
    await page.keyboard.press('Enter');
    const message = page.locator('details[open] pre.message');
    expect(await message.textContent()).toBe(sent!.text);
    expect(await page.locator('b').count()).toBe(0);
    await page.getByRole('link', { name: `Review ${sent!.taskId}` }).waitFor();
    await page.getByRole('link', { name: NAME, exact: true }).waitFor();

    await page.getByRole('heading', { level: 2, name: 'Deliveries given up on' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: sent!.subject }).filter({ hasText: 'slack' });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[1]).toBe('slack');
    expect(cells[2]).toBe(sent!.subject);
    // Every send Slack refused is counted (four, the notifier's retries), and only those were made.
    expect(cells[3]).toBe('4');
    expect(slack.requests.filter((r) => JSON.stringify(r.body).includes('cus_bold'))).toHaveLength(4);
    expect(slack.requests).toHaveLength(12);
    expect(cells[4]).toBe('HTTP 500 channel_is_archived');
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'notifications');
  });

  it('sends Slack messages again once the channel is fixed, one or all: once each, to Slack alone, not marked possible duplicates', async () => {
    slack.setOtherwise({ status: 200, body: 'ok' });
    const sent = ((await api.get('/notifications')).body.items as Array<{ id: string; accountId: string; subject: string }>).find(
      (n) => n.accountId === 'cus_bold',
    );
    await page.getByRole('button', { name: `Send again: ${sent!.subject}` }).click();
    await page.getByText(/^Queued: the next sweep sends/).waitFor();
    await page.getByRole('button', { name: 'Send all 2 Slack messages again' }).click();
    await page.getByText('Queued 2 Slack messages for the next sweep.').waitFor();
    await page.getByText('None: every Slack message and email digest was taken by its receiver.').waitFor();
    expect((await api.get('/deliveries/dead-letters')).body.items).toEqual([]);
    // Asked twice (a second tab, a double click that got through): nothing left to resend.
    const again = await api.send('POST', '/deliveries/dead-letters/resend', { channel: 'slack', messageKey: sent!.id });
    expect(again.status).toBe(404);
    expect(slack.delivered()).toHaveLength(0);
    // Three messages in a row failed, so Slack is paused for a minute: a sweep now leaves them pending.
    expect((await api.post('/admin/sweep', {})).status).toBe(200);
    expect(slack.delivered()).toHaveLength(0);
    clockAheadMs = 61_000;
    expect((await api.post('/admin/sweep', {})).status).toBe(200);
    expect(slack.delivered()).toHaveLength(3);
    const texts = slack.delivered().map((d) => JSON.stringify(d.body));
    expect(texts.filter((t) => t.includes('Bold &amp; Sons'))).toHaveLength(1);
    for (const customer of ['cus_plain1', 'cus_plain2']) expect(texts.filter((t) => t.includes(customer))).toHaveLength(1);
    for (const t of texts) expect(t).not.toContain('Possible duplicate');
    // Later sweeps send nothing more; the notification is dispatched again, on time.
    expect((await api.post('/admin/sweep', {})).status).toBe(200);
    expect(slack.delivered()).toHaveLength(3);
    expect(await axe(page)).toEqual([]);
  });

  it('shows a viewer the notifications but not the deliveries, which the API refuses them too', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await signInWithToken(page, watcher, tokens['vera@finance']!);
    await page.goto(`${watcher.url}/app/notifications`);
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.locator('details summary').first().waitFor();
    expect(await page.getByRole('heading', { name: 'Deliveries given up on' }).count()).toBe(0);
    expect((await api.get('/deliveries/dead-letters', { authorization: `Bearer ${tokens['vera@finance']}` })).status).toBe(403);
    const resend = await fetch(`${watcher.url}/deliveries/dead-letters/resend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['vera@finance']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'slack', messageKey: 'review_opened~cus_bold~r1' }),
    });
    expect(resend.status).toBe(403);
    expect(await axe(page)).toEqual([]);
  });
});
