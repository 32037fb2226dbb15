import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { smtpMailSender } from '../../shared/adapters/mail.ts';
import { defaultPolicy } from '../../shared/config/policy.ts';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Store } from '../../shared/store/client.ts';
import { getClaim, listDeliveryDeadLetters } from '../../shared/store/delivery.ts';
import { notificationPut } from '../../shared/store/notification.ts';
import { sendDigests, type DigestDeps } from '../../shared/usecases/digest.ts';
import { startSmtpReceiver } from '../support/smtp-receiver.ts';
import { createTestStore } from '../support/store.ts';

/**
 * The daily email digest over real SMTP (smtp-server in the test, the message parsed with
 * mailparser) on DynamoDB Local: once per day and recipient, even with two sweeps racing or a
 * crash after the server took it; nothing on a day with nothing to say; plain text and HTML
 * with links into the dashboard; names cannot add headers or markup.
 */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const EVIL = 'Evil Corp\r\nBcc: victim@example.com\r\nX-Injected: 1 <script>alert(1)</script> <a href="https://phish.example">pay</a>';

function opened(accountId: string, sentAt: string, accountName = 'Acme SA'): Notification {
  return {
    id: `review_opened~${accountId}~r1`,
    type: 'review_opened',
    accountId,
    sentAt,
    taskId: `${accountId}~r1`,
    subject: 'Review open',
    text: 'text',
    payload: { accountName, reasons: ['late_payer: 3 late invoices'], noticeDeadline: '2026-12-20', daysLeft: 30 },
  };
}

function reminder(accountId: string, sentAt: string): Notification {
  return {
    id: `renewal_reminder~${accountId}~2027-01-31~30`,
    type: 'renewal_reminder',
    accountId,
    sentAt,
    offsetDays: 30,
    subject: 'Renewal',
    text: 'text',
    payload: { accountName: 'Beta GmbH', noticeDeadline: '2026-12-31', daysLeft: 30, offsetDays: 30, reasons: [] },
  };
}

async function record(store: Store, ...ns: Notification[]) {
  await store.doc.send(new TransactWriteCommand({ TransactItems: ns.map((n) => ({ Put: notificationPut(store, n) as never })) }));
}

async function setup(script: Parameters<typeof startSmtpReceiver>[0] = [], otherwise?: Parameters<typeof startSmtpReceiver>[1]) {
  const smtp = await startSmtpReceiver(script, otherwise);
  closers.push(smtp.close);
  const store = await createTestStore();
  let clock = new Date('2026-11-10T08:00:00.000Z');
  const deps = (): DigestDeps => ({
    store,
    policy: defaultPolicy,
    mail: { sender: smtpMailSender(smtp.url), from: 'termwatch@example.com', to: ['finance@example.com', 'cfo@example.com'] },
    publicUrl: 'https://termwatch.example',
    now: () => clock,
    attempts: 3,
    retryDelayMs: 10,
  });
  return { smtp, store, deps, setClock: (iso: string) => (clock = new Date(iso)) };
}

describe('the daily email digest', () => {
  it('two sweeps racing send one digest per recipient: text and HTML, links into the dashboard', async () => {
    const { smtp, store, deps } = await setup();
    await record(store, opened('cus_a', '2026-11-10T07:00:00.000Z'), reminder('cus_b', '2026-11-10T07:30:00.000Z'));
    const [first, second] = await Promise.all([sendDigests(deps()), sendDigests(deps())]);
    const outcomes = [first, second].flatMap((o) => Object.entries(o));
    expect(
      outcomes
        .filter(([, o]) => o === 'sent')
        .map(([r]) => r)
        .sort(),
    ).toEqual(['cfo@example.com', 'finance@example.com']);
    expect(outcomes.filter(([, o]) => o !== 'sent').every(([, o]) => o === 'already_claimed')).toBe(true);
    expect(smtp.accepted.map((m) => m.envelopeTo).sort()).toEqual([['cfo@example.com'], ['finance@example.com']]);

    const mail = smtp.accepted[0]!;
    expect(mail.subject).toMatch(/^Termwatch digest 2026-11-10/);
    expect(mail.from?.text).toBe('termwatch@example.com');
    expect(mail.text).toContain('Reviews opened since the last digest (1)');
    expect(mail.text).toContain('Acme SA (cus_a)');
    expect(mail.text).toContain('https://termwatch.example/app/tasks/cus_a~r1');
    expect(mail.text).toContain('Renewal reminders since the last digest (1)');
    expect(mail.text).toContain('Beta GmbH (cus_b)');
    expect(mail.html).toContain('<a href="https://termwatch.example/app/tasks/cus_a~r1">Acme SA (cus_a)</a>');

    // Later sweeps the same day: nothing more.
    expect(await sendDigests(deps())).toEqual({ 'finance@example.com': 'already_claimed', 'cfo@example.com': 'already_claimed' });
    expect(smtp.accepted).toHaveLength(2);
  });

  it('skips a day with nothing to say, and the next digest lists only what came after the last one', async () => {
    const { smtp, store, deps, setClock } = await setup();
    expect(await sendDigests(deps())).toEqual({ 'finance@example.com': 'nothing_to_say', 'cfo@example.com': 'nothing_to_say' });
    expect(smtp.accepted).toHaveLength(0);
    expect(await getClaim(store, 'digest', 'finance@example.com#2026-11-10')).toBeUndefined();

    await record(store, opened('cus_c', '2026-11-10T09:00:00.000Z'));
    setClock('2026-11-10T10:00:00.000Z');
    expect((await sendDigests(deps()))['finance@example.com']).toBe('sent');
    setClock('2026-11-11T08:00:00.000Z');
    expect((await sendDigests(deps()))['finance@example.com']).toBe('nothing_to_say');
    await record(store, opened('cus_d', '2026-11-11T09:00:00.000Z'));
    setClock('2026-11-11T10:00:00.000Z');
    expect((await sendDigests(deps()))['finance@example.com']).toBe('sent');
    const toFinance = smtp.accepted.filter((m) => m.envelopeTo.includes('finance@example.com'));
    expect(toFinance).toHaveLength(2);
    expect(toFinance[1]!.text).toContain('cus_d');
    expect(toFinance[1]!.text).not.toContain('cus_c');
  });

  it('a name with line breaks and markup adds no header and no HTML', async () => {
    const { smtp, store, deps } = await setup();
    await record(store, opened('cus_evil', '2026-11-10T07:00:00.000Z', EVIL));
    await sendDigests(deps());
    expect(smtp.accepted).toHaveLength(2);
    for (const mail of smtp.accepted) {
      expect(mail.bcc).toBeUndefined();
      expect(mail.headers.has('x-injected')).toBe(false);
      expect(mail.headers.has('bcc')).toBe(false);
      expect(mail.subject).toMatch(/^Termwatch digest 2026-11-10: 1 item$/);
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain('<a href="https://phish.example">');
      expect(mail.html).toContain('&lt;script&gt;');
      // The name stays on its line in the text part.
      expect(mail.text).toContain('- Evil Corp Bcc: victim@example.com X-Injected: 1');
    }
  });

  it('retries a temporary SMTP refusal, not a permanent one: dead-lettered, listed, and the day is not sent twice', async () => {
    const { smtp, store, deps } = await setup([{ code: 451, message: 'try again later' }], { code: 550, message: 'mailbox unavailable' });
    await record(store, opened('cus_e', '2026-11-10T07:00:00.000Z'));
    // finance: 451 (retried), then 550 (final: no more tries); cfo: 550.
    const outcomes = await sendDigests(deps());
    expect(outcomes).toEqual({ 'finance@example.com': 'dead_lettered', 'cfo@example.com': 'dead_lettered' });
    expect(smtp.refused()).toBe(3);
    const dead = await listDeliveryDeadLetters(store, { limit: 10 });
    expect(dead.items.map((d) => d.messageKey).sort()).toEqual(['cfo@example.com#2026-11-10', 'finance@example.com#2026-11-10']);
    expect(dead.items[0]!.lastError).toContain('550');
    // The sends each run tried before it gave up: finance 451 then 550, cfo 550 at once.
    expect(Object.fromEntries(dead.items.map((d) => [d.messageKey.split('#')[0], d.lastTries]))).toEqual({ 'finance@example.com': 2, 'cfo@example.com': 1 });
    expect(await sendDigests(deps())).toEqual({ 'finance@example.com': 'already_claimed', 'cfo@example.com': 'already_claimed' });
  });

  it('a temporary refusal then acceptance: one digest', async () => {
    const { smtp, store, deps } = await setup([{ code: 451, message: 'greylisted' }]);
    await record(store, opened('cus_f', '2026-11-10T07:00:00.000Z'));
    expect(await sendDigests(deps())).toEqual({ 'finance@example.com': 'sent', 'cfo@example.com': 'sent' });
    expect(smtp.refused()).toBe(1);
    expect(smtp.accepted).toHaveLength(2);
  });

  it('killed after the server took it, before the record: no second digest that day; the next one repeats what it said', async () => {
    const { smtp, store, deps, setClock } = await setup();
    setClock('2026-11-10T20:00:00.000Z');
    await record(store, opened('cus_g', '2026-11-10T19:00:00.000Z'));
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string; Key?: { pk?: string } };
        if (input.UpdateExpression?.startsWith('SET sentAt') && input.Key?.pk === 'DELIVERY#digest#finance@example.com#2026-11-10')
          throw new Error('killed after SMTP accepted');
        return next(args);
      },
      { step: 'initialize', name: 'crashAfterSmtp' },
    );
    const first = await sendDigests(deps());
    store.doc.middlewareStack.remove('crashAfterSmtp');
    expect(first['cfo@example.com']).toBe('sent');
    expect(first['finance@example.com']).toBeUndefined();
    expect(smtp.accepted.filter((m) => m.envelopeTo.includes('finance@example.com'))).toHaveLength(1);
    // Another sweep the same day: the unconfirmed claim stands; no second digest.
    expect((await sendDigests(deps()))['finance@example.com']).toBe('already_claimed');
    expect(smtp.accepted.filter((m) => m.envelopeTo.includes('finance@example.com'))).toHaveLength(1);
    // The next day's starts from the last confirmed digest (none: the day before), so the item is listed again.
    setClock('2026-11-11T08:00:00.000Z');
    await record(store, opened('cus_h', '2026-11-11T07:00:00.000Z'));
    expect((await sendDigests(deps()))['finance@example.com']).toBe('sent');
    const next = smtp.accepted.filter((m) => m.envelopeTo.includes('finance@example.com'))[1]!;
    expect(next.text).toContain('cus_h');
    expect(next.text).toContain('cus_g');
  });
});
