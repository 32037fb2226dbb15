import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { parsePolicy } from '../../shared/config/policy.ts';
import { startSlackReceiver } from '../support/slack-receiver.ts';
import { startSmtpReceiver } from '../support/smtp-receiver.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';
import { client, startTestWatcher } from '../support/watcher.ts';

/**
 * Delivery to people on the local runner, as `npm start` runs it with the variables set: a
 * Slack endpoint and an SMTP server on loopback, real HTTP and SMTP, DynamoDB Local. A review
 * that opens reaches Slack once, the day's digest arrives once (two sweeps racing), and a
 * calendar app parsing the feed (ical.js) sees the notice deadlines and review due dates.
 */
const PUBLIC_URL = 'https://termwatch.example.com';
const EVIL = 'Evil\r\nDTSTART:19700101\r\nATTENDEE:mailto:x@evil.example <https://phish.example|Click> & co';
const ZONE = 'Europe/Madrid';

let watcher: RunningWatcher;
let api: ReturnType<typeof client>;
let slack: Awaited<ReturnType<typeof startSlackReceiver>>;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
const tokens = { viewer: `v-${randomUUID()}`, reviewer: `r-${randomUUID()}` };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  slack = await startSlackReceiver();
  smtp = await startSmtpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'termwatch-delivery-'));
  const users = join(dir, 'users.json');
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  writeFileSync(
    users,
    JSON.stringify([
      { name: 'vera@finance', role: 'viewer', tokenSha256: sha(tokens.viewer) },
      { name: 'rita@finance', role: 'reviewer', tokenSha256: sha(tokens.reviewer) },
    ]),
  );
  watcher = await startTestWatcher({
    policy: parsePolicy({ timeZone: ZONE }),
    env: {
      WATCHER_USERS: users,
      WATCHER_SLACK_WEBHOOK_URL: slack.url,
      WATCHER_SMTP_URL: smtp.url,
      WATCHER_MAIL_FROM: 'termwatch@example.com',
      WATCHER_MAIL_TO: 'finance@example.com, cfo@example.com',
      WATCHER_PUBLIC_URL: `${PUBLIC_URL}/`,
    },
    slack: { baseDelayMs: 10 },
    digest: { retryDelayMs: 10 },
  });
  api = client(watcher);
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
  await slack?.close();
  await smtp?.close();
});

const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });
async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${watcher.apiToken}` }) {
  const response = await fetch(`${watcher.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, contentType: response.headers.get('content-type') ?? '' };
}

function events(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  return {
    calendar,
    events: calendar.getAllSubcomponents('vevent').map((e) => ({
      uid: String(e.getFirstPropertyValue('uid')),
      summary: String(e.getFirstPropertyValue('summary')),
      start: e.getFirstPropertyValue('dtstart') as ICAL.Time,
      starts: e.getAllProperties('dtstart').length,
      attendees: e.getAllProperties('attendee').length,
      alarms: e.getAllSubcomponents('valarm').map((a) => String(a.getFirstPropertyValue('trigger'))),
    })),
  };
}

describe('delivery on the local runner', () => {
  let taskId: string;

  it('knows which channels are on, the public URL without its trailing slash', () => {
    expect(watcher.delivery).toMatchObject({
      publicUrl: PUBLIC_URL,
      slack: { webhookUrl: slack.url },
      mail: { to: ['finance@example.com', 'cfo@example.com'] },
    });
  });

  it('a review opened reaches Slack once and the day digest arrives once, with two sweeps racing', async () => {
    const created = stripeEvent('customer.created', { ...fixture('customer'), id: 'cus_evil', name: EVIL }, epoch(new Date()) - 60);
    expect((await api.deliver(created)).status).toBe(200);
    await watcher.queue.drained();
    expect((await request('PUT', '/accounts/cus_evil/contract', { endDate: day(40), noticeDays: 30, renewal: 'auto' })).status).toBe(200);
    expect((await request('POST', '/accounts/cus_evil/signals', { signal: 'abusive', note: 'Shouted at the team' })).status).toBe(201);
    expect((await request('PUT', '/accounts/cus_sched/contract', { endDate: day(200), noticeDays: 30, renewal: 'auto' })).status).toBe(200);
    expect((await request('POST', '/accounts/cus_sched/signals', { signal: 'scope_mismatch', note: 'Outside the SOW' })).status).toBe(201);

    const [a, b] = await Promise.all([request('POST', '/admin/sweep', {}), request('POST', '/admin/sweep', {})]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const digestOutcomes = [a.json.digests, b.json.digests].flatMap((d: Record<string, string>) => Object.values(d));
    expect(digestOutcomes.filter((o) => o === 'sent')).toHaveLength(2);
    // And a third sweep later the same day.
    expect((await request('POST', '/admin/sweep', {})).json.digests).toEqual({
      'finance@example.com': 'already_claimed',
      'cfo@example.com': 'already_claimed',
    });

    const notifications = (await request('GET', '/notifications?limit=200')).json.items as Array<{
      id: string;
      type: string;
      accountId: string;
      taskId?: string;
    }>;
    const opened = notifications.find((n) => n.type === 'review_opened' && n.accountId === 'cus_evil')!;
    expect(opened).toBeDefined();
    taskId = opened.taskId!;
    // Exactly one Slack message per notification.
    const posted = slack.delivered().map((r) => JSON.stringify(r.body));
    expect(posted).toHaveLength(notifications.length);
    const about = (n: { accountId: string; type: string }) =>
      posted.filter((p) => p.includes(`\`${n.accountId}\``) && p.includes(n.type === 'review_opened' ? 'Review opened' : 'Renewal reminder'));
    for (const n of notifications) expect(about(n), n.id).toHaveLength(1);
    const reviewMessage = slack.delivered().find((r) => JSON.stringify(r.body).includes('Review opened') && JSON.stringify(r.body).includes('cus_evil'))!.body;
    expect(reviewMessage.blocks.at(-1).elements[0].url).toBe(`${PUBLIC_URL}/app/tasks/${encodeURIComponent(taskId)}`);
    expect(JSON.stringify(reviewMessage)).not.toContain('<https://phish.example');

    // The digest: once per recipient, what opened, what is due within 14 days, the reminders.
    expect(smtp.accepted.map((m) => m.envelopeTo[0]).sort()).toEqual(['cfo@example.com', 'finance@example.com']);
    const mail = smtp.accepted[0]!;
    expect(mail.subject).toContain('Termwatch');
    expect(mail.text).toContain('Reviews opened since the last digest');
    expect(mail.text).toContain('Reviews due in the next 14 days');
    expect(mail.text).toContain(`${PUBLIC_URL}/app/tasks/${encodeURIComponent(taskId)}`);
    expect(mail.html).toContain(`href="${PUBLIC_URL}/app/tasks/${encodeURIComponent(taskId)}"`);
    expect(mail.headers.has('attendee')).toBe(false);
    expect(mail.html).not.toContain('<https://phish');
  });

  it('calendar feeds: reviewer creates, viewer lists, the feed parses with stable UIDs, revoke makes it 404', async () => {
    expect((await request('POST', '/calendar-feeds', { name: 'mine' }, as('viewer'))).status).toBe(403);
    const created = await request('POST', '/calendar-feeds', { name: 'Finance team' }, as('reviewer'));
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^cf_/),
      name: 'Finance team',
      url: expect.stringMatching(new RegExp(`^${PUBLIC_URL}/calendar/[A-Za-z0-9_-]{43}\\.ics$`)),
      createdAt: expect.any(String),
    });
    const listed = await request('GET', '/calendar-feeds', undefined, as('viewer'));
    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([{ id: created.json.id, name: 'Finance team', createdAt: created.json.createdAt, createdBy: 'rita@finance' }]);
    expect(listed.text).not.toContain(new URL(created.json.url).pathname.slice('/calendar/'.length, -4));

    const path = new URL(created.json.url).pathname;
    const first = await request('GET', path, undefined, {});
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/calendar/);
    const { calendar, events: got } = events(first.text);
    expect(calendar.getFirstPropertyValue('x-wr-timezone')).toBe(ZONE);

    const renewals = (await request('GET', '/renewals?withinDays=365')).json.items as Array<{ accountId: string; noticeDeadline: string }>;
    const deadline = renewals.find((r) => r.accountId === 'cus_evil')!.noticeDeadline;
    const deadlineEvents = got.filter((e) => e.summary.startsWith('Notice deadline'));
    expect(deadlineEvents).toHaveLength(renewals.length);
    const evil = deadlineEvents.find((e) => e.summary.includes('cus_evil'))!;
    expect(evil.start.isDate).toBe(true);
    expect(evil.start.toString()).toBe(deadline);
    expect(evil.alarms.sort()).toEqual(['-P30D', '-P60D', '-P7D'].sort());
    // The name stayed inside SUMMARY: no second DTSTART, no ATTENDEE.
    expect(evil.starts).toBe(1);
    expect(evil.attendees).toBe(0);
    expect(evil.summary).toContain('Evil DTSTART:19700101 ATTENDEE:mailto:x@evil.example');

    const tasks = [...(await request('GET', '/tasks?status=open')).json.items, ...(await request('GET', '/tasks?status=scheduled')).json.items] as Array<{
      id: string;
      accountId: string;
      dueAt: string;
    }>;
    const reviewEvents = got.filter((e) => /^Review due/.test(e.summary));
    expect(reviewEvents.map((e) => e.summary.match(/(cus_[a-z]+)/)?.[1]).sort()).toEqual(tasks.map((t) => t.accountId).sort());
    expect(tasks.map((t) => t.accountId)).toEqual(expect.arrayContaining(['cus_evil', 'cus_sched']));

    // Fetched again (and after a change): the same UIDs.
    expect((await request('PUT', '/accounts/cus_sched/contract', { endDate: day(210), noticeDays: 30, renewal: 'auto' })).status).toBe(200);
    const second = events((await request('GET', path, undefined, {})).text).events;
    expect(second.map((e) => e.uid).sort()).toEqual(got.map((e) => e.uid).sort());

    expect((await request('GET', '/calendar/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics', undefined, {})).status).toBe(404);
    expect((await request('DELETE', `/calendar-feeds/${created.json.id}`, undefined, as('viewer'))).status).toBe(403);
    expect((await request('DELETE', `/calendar-feeds/${created.json.id}`, undefined, as('reviewer'))).status).toBe(204);
    expect((await request('GET', path, undefined, {})).status).toBe(404);
    expect((await request('GET', '/calendar-feeds', undefined, as('viewer'))).json.items).toEqual([]);
  });

  it('lists no dead letters when every channel took its messages; the list needs admin', async () => {
    expect((await request('GET', '/deliveries/dead-letters')).json).toEqual({ items: [] });
    expect((await request('GET', '/deliveries/dead-letters', undefined, as('reviewer'))).status).toBe(403);
  });
});
