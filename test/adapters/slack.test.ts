import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { escapeMrkdwn, SlackNotifier } from '../../shared/adapters/slack.ts';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Store } from '../../shared/store/client.ts';
import { getClaim, listDeliveryDeadLetters } from '../../shared/store/delivery.ts';
import { listUndispatched, notificationPut } from '../../shared/store/notification.ts';
import { dispatchNotifications } from '../../shared/usecases/dispatch-notifications.ts';
import { startSlackReceiver } from '../support/slack-receiver.ts';
import { createTestStore } from '../support/store.ts';

/**
 * Slack delivery over real HTTP (a local incoming-webhook endpoint that fails on purpose) and a
 * real DynamoDB Local: one message per notification, retried through 429 (Retry-After), 500 and
 * dropped connections, dead-lettered when it keeps failing, and what a crash between the POST and
 * its record does (the README's worst case: a second post marked "possible duplicate").
 */
let store: Store;
let receivers: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  store = await createTestStore();
});
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

let seq = 0;
function notification(overrides: Partial<Notification> = {}, payload: Record<string, unknown> = {}): Notification {
  seq++;
  const accountId = `cus_slack${seq}`;
  return {
    id: `review_opened~${accountId}~r1`,
    type: 'review_opened',
    accountId,
    sentAt: new Date(Date.UTC(2026, 10, 1, 10, 0, seq)).toISOString(),
    taskId: `${accountId}~r1`,
    subject: 'Review open',
    text: 'text',
    payload: { accountName: 'Acme SA', reasons: ['late_payer: 3 late invoices'], noticeDeadline: '2026-12-01', daysLeft: 30, ...payload },
    ...overrides,
  };
}

async function record(...ns: Notification[]) {
  await store.doc.send(new TransactWriteCommand({ TransactItems: ns.map((n) => ({ Put: notificationPut(store, n) as never })) }));
}

async function receiver(...args: Parameters<typeof startSlackReceiver>) {
  const r = await startSlackReceiver(...args);
  receivers.push(r);
  return r;
}

const slack = (url: string, now: () => Date = () => new Date(), leaseMs?: number) =>
  new SlackNotifier({
    store,
    webhookUrl: url,
    publicUrl: 'https://termwatch.example',
    now,
    send: { baseDelayMs: 10, timeoutMs: 2000 },
    ...(leaseMs ? { leaseMs } : {}),
  });

/** Dispatches only this test's notifications (the table is shared by the file's tests). */
async function dispatch(notifier: SlackNotifier, now: () => Date = () => new Date()) {
  return dispatchNotifications({ store, notifiers: [notifier], now }, 1000);
}

describe('Slack delivery', () => {
  it('retries 429 (waiting out Retry-After), 500 and a dropped connection, then posts exactly one message', async () => {
    const r = await receiver([{ status: 429, headers: { 'retry-after': '1' } }, { status: 500 }, 'drop']);
    const n = notification();
    await record(n);
    const started = Date.now();
    expect(await dispatch(slack(r.url))).toMatchObject({ failed: 0 });
    expect(r.requests.map((q) => q.answer)).toEqual([429, 500, 'drop', 200]);
    // Retry-After: 1 was honoured (the backoff alone is 10 + 20 + 40 ms).
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.delivered()).toHaveLength(1);

    // The Block Kit message: name and id, reason, deadline and days left, a button to the task.
    const message = r.delivered()[0]!.body;
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Acme SA (`cus_slack1`)');
    expect(text).toContain('late_payer: 3 late invoices');
    expect(text).toContain('2026-12-01 (30 days left)');
    expect(message.blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ type: 'button', url: 'https://termwatch.example/app/tasks/cus_slack1~r1' }] });
    expect(text).not.toContain('Possible duplicate');

    // Sweeps after it (and a restart: a new notifier) post nothing more.
    await dispatch(slack(r.url));
    await slack(r.url).send(n);
    expect(r.delivered()).toHaveLength(1);
    expect((await getClaim(store, 'slack', n.id))?.sentAt).toEqual(expect.any(String));
  });

  it('dead-letters a message Slack keeps refusing: listed with the reason, never lost, never retried in a loop', async () => {
    const r = await receiver([], { status: 500, body: 'internal_error' });
    const n = notification();
    await record(n);
    await dispatch(slack(r.url));
    expect(r.requests).toHaveLength(4);
    expect(r.delivered()).toHaveLength(0);
    const dead = await listDeliveryDeadLetters(store, { limit: 50 });
    expect(dead.items).toContainEqual(
      expect.objectContaining({
        channel: 'slack',
        messageKey: n.id,
        subject: 'Review open',
        deadAt: expect.any(String),
        lastError: expect.stringContaining('HTTP 500 internal_error'),
        lastTries: 4,
      }),
    );
    expect((await listUndispatched(store, 1000)).map((p) => p.notification.id)).not.toContain(n.id);
    await dispatch(slack(r.url));
    await slack(r.url).send(n);
    expect(r.requests).toHaveLength(4);
  });

  it('dead-letters at once on a 4xx Slack will never accept (no_service)', async () => {
    const r = await receiver([], { status: 404, body: 'no_service' });
    const n = notification();
    await record(n);
    await dispatch(slack(r.url));
    expect(r.requests).toHaveLength(1);
    expect(await getClaim(store, 'slack', n.id)).toMatchObject({ deadAt: expect.any(String), lastError: expect.stringContaining('404'), lastTries: 1 });
  });

  it('cannot be made to post a link, a mention or an extra line by a customer name', async () => {
    const r = await receiver();
    const evil = 'Evil <https://phish.example|Click here> & <!channel>\n*Approved* <@U123>';
    const n = notification({}, { accountName: evil, reasons: ['note: <https://x.example|pay here>'] });
    await record(n);
    await dispatch(slack(r.url));
    const message = r.delivered()[0]!.body;
    const mrkdwn = [message.text, ...JSON.stringify(message.blocks).match(/"text":"[^"]*"/g)!].join('\n');
    expect(mrkdwn).not.toContain('<https://phish.example');
    expect(mrkdwn).not.toContain('<!channel>');
    expect(mrkdwn).not.toContain('<@U123>');
    expect(mrkdwn).not.toContain('<https://x.example');
    expect(JSON.stringify(message.blocks)).toContain(escapeMrkdwn('Evil <https://phish.example|Click here> & <!channel> *Approved* <@U123>'));
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('killed between the POST and its record: no second post while the claim is live, then one resend marked as a possible duplicate', async () => {
    const r = await receiver();
    const n = notification();
    await record(n);
    // The "crash": the write that records Slack's 200 never happens (the process died after the POST).
    let crash = true;
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string; Key?: { pk?: string } };
        if (crash && input.UpdateExpression?.startsWith('SET sentAt') && input.Key?.pk === `DELIVERY#slack#${n.id}`)
          throw new Error('killed after the POST, before recording it');
        return next(args);
      },
      { step: 'initialize', name: 'crashAfterSlackPost' },
    );
    try {
      const t0 = Date.now();
      let clock = t0;
      const now = () => new Date(clock);
      expect(await dispatch(slack(r.url, now), now)).toMatchObject({ failed: 1 });
      expect(r.delivered()).toHaveLength(1);
      crash = false;
      // A sweep right after (another sweep, a restart): the claim is live, so nothing is posted.
      expect(await dispatch(slack(r.url, now), now)).toMatchObject({ failed: 1 });
      expect(r.delivered()).toHaveLength(1);
      expect(await getClaim(store, 'slack', n.id)).toMatchObject({ attempts: 1 });
      expect((await getClaim(store, 'slack', n.id))?.sentAt).toBeUndefined();
      // After the lease: sent again, saying it may be a duplicate; then recorded and never again.
      clock = t0 + 6 * 60_000;
      expect(await dispatch(slack(r.url, now), now)).toMatchObject({ failed: 0 });
      expect(r.delivered()).toHaveLength(2);
      expect(JSON.stringify(r.delivered()[0]!.body)).not.toContain('Possible duplicate');
      expect(JSON.stringify(r.delivered()[1]!.body)).toContain('Possible duplicate');
      expect(r.delivered()[1]!.body.text).toMatch(/^\(possible duplicate\)/);
      expect(await getClaim(store, 'slack', n.id)).toMatchObject({ attempts: 2, sentAt: expect.any(String) });
      clock = t0 + 60 * 60_000;
      await dispatch(slack(r.url, now), now);
      expect(r.delivered()).toHaveLength(2);
    } finally {
      store.doc.middlewareStack.remove('crashAfterSlackPost');
    }
  });

  it('while Slack is down, pauses after three messages in a row fail: the others stay pending and go out once it is back', async () => {
    const r = await receiver([], { status: 503 });
    const ns = Array.from({ length: 10 }, () => notification());
    await record(...ns);
    let clock = Date.now();
    const now = () => new Date(clock);
    const notifier = slack(r.url, now);
    // The dispatcher keeps four in flight, starting the next as each ends: four start, the first
    // and second failures each start one more, the third trips the pause. So the three failures
    // and at most three more already started are dead-lettered (how many depends on timing);
    // the rest, at least four of the ten, wait unclaimed.
    const first = await dispatch(notifier, now);
    expect(first.sent + first.failed).toBe(10);
    expect(first.sent).toBeGreaterThanOrEqual(3);
    expect(first.sent).toBeLessThanOrEqual(6);
    // Each dead-lettered message's retries (4 attempts each), nothing for the paused ones.
    expect(r.requests).toHaveLength(4 * first.sent);
    const dead = (await listDeliveryDeadLetters(store, { limit: 200 })).items.filter((d) => ns.some((n) => n.id === d.messageKey));
    expect(dead).toHaveLength(first.sent);
    const pending = (await listUndispatched(store, 1000)).map((p) => p.notification.id);
    expect(ns.filter((n) => pending.includes(n.id))).toHaveLength(first.failed);
    // None of the paused ones was claimed, so they go out unmarked (no possible-duplicate line).
    r.setOtherwise({ status: 200 });
    clock += 61_000;
    expect(await dispatch(notifier, now)).toEqual({ sent: first.failed, failed: 0 });
    expect(r.delivered()).toHaveLength(first.failed);
    expect(r.delivered().every((q) => !JSON.stringify(q.body).includes('Possible duplicate'))).toBe(true);
  });

  it('bounds a Slack that never answers with a per-request timeout: retried, then posted once when it answers', async () => {
    const r = await receiver(['hang', 'hang']);
    const n = notification();
    await record(n);
    const notifier = new SlackNotifier({
      store,
      webhookUrl: r.url,
      publicUrl: 'https://termwatch.example',
      now: () => new Date(),
      // Long enough for a loaded machine to answer the 200 in time; the hanging requests never answer.
      send: { baseDelayMs: 10, timeoutMs: 2_000 },
    });
    // The receiver never answers a 'hang': without the per-request timeout this would not return.
    await dispatch(notifier);
    expect(r.requests.map((q) => q.answer)).toEqual(['hang', 'hang', 200]);
    expect(r.delivered()).toHaveLength(1);
    expect((await getClaim(store, 'slack', n.id))?.sentAt).toEqual(expect.any(String));
  });
});
