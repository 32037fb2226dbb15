import type { MailSender } from '../ports/mail-sender.ts';
import { dashboardLink } from '../domain/dashboard-link.ts';
import type { Policy } from '../domain/policy.ts';
import { DAY_MS } from '../domain/days.ts';
import { daysLeftNote, type Notification } from '../domain/notification.ts';
import type { Task, TaskStatus } from '../domain/review.ts';
import { localDate } from '../domain/timing.ts';
import { logger } from '../powertools.ts';
import { getAccounts } from '../store/account.ts';
import type { Store } from '../store/client.ts';
import { claimDelivery, getClaim, lastDigestSent, markDeadLetter, markDelivered } from '../store/delivery.ts';
import { listNotificationsBetween } from '../store/notification.ts';
import { listTasksByStatus } from '../store/task.ts';

const DUE_WITHIN_DAYS = 14;
/** Most items of each kind one digest lists; beyond it the digest says how to see the rest. */
const MAX_ITEMS = 100;
/** A first digest (none sent yet to this recipient) covers the day before. */
const FIRST_WINDOW_MS = DAY_MS;
const CHANNEL = 'digest';

export interface DigestItem {
  accountId: string;
  accountName?: string;
  /** What to show after the name: reasons, deadline. */
  detail: string;
  link: string;
}

export interface DigestContent {
  day: string;
  opened: DigestItem[];
  dueSoon: DigestItem[];
  reminders: DigestItem[];
  pendingApproval: DigestItem[];
}

export function isEmptyDigest(d: DigestContent): boolean {
  return d.opened.length + d.dueSoon.length + d.reminders.length + d.pendingApproval.length === 0;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');
const who = (item: DigestItem) => (item.accountName ? `${oneLine(item.accountName)} (${item.accountId})` : item.accountId);

const SECTIONS = [
  ['opened', 'Reviews opened since the last digest'],
  ['dueSoon', `Reviews due in the next ${DUE_WITHIN_DAYS} days`],
  ['reminders', 'Renewal reminders since the last digest'],
  ['pendingApproval', 'Decisions waiting for approval'],
] as const;

/** The digest as mail: plain text and HTML (every value escaped), links into the dashboard. */
export function renderDigest(d: DigestContent, publicUrl: string): { subject: string; text: string; html: string } {
  const count = d.opened.length + d.dueSoon.length + d.reminders.length + d.pendingApproval.length;
  const subject = `Termwatch digest ${d.day}: ${count} item${count === 1 ? '' : 's'}`;
  const text: string[] = [`Termwatch digest for ${d.day}`, ''];
  const html: string[] = [`<h1>Termwatch digest for ${escapeHtml(d.day)}</h1>`];
  for (const [key, title] of SECTIONS) {
    const items = d[key];
    if (items.length === 0) continue;
    text.push(`${title} (${items.length})`, ...items.map((i) => `- ${who(i)}: ${oneLine(i.detail)}\n  ${i.link}`), '');
    html.push(
      `<h2>${escapeHtml(title)} (${items.length})</h2><ul>`,
      ...items.map((i) => `<li><a href="${escapeHtml(i.link)}">${escapeHtml(who(i))}</a>: ${escapeHtml(i.detail)}</li>`),
      '</ul>',
    );
  }
  text.push(`All reviews: ${publicUrl}/app/tasks`);
  html.push(`<p><a href="${escapeHtml(`${publicUrl}/app/tasks`)}">All reviews</a></p>`);
  return { subject, text: text.join('\n'), html: `<!doctype html><html><body>${html.join('\n')}</body></html>` };
}

function fromNotification(n: Notification, publicUrl: string): DigestItem {
  const p = n.payload;
  const reasons = Array.isArray(p.reasons) ? (p.reasons as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  const deadline =
    typeof p.noticeDeadline === 'string'
      ? `notice deadline ${p.noticeDeadline}${daysLeftNote(p.deadlinePassed === true, typeof p.daysLeft === 'number' ? p.daysLeft : undefined)}`
      : 'no notice deadline on record';
  const head = n.type === 'renewal_reminder' ? `reminder ${String(p.offsetDays ?? n.offsetDays)} days before; ` : '';
  return {
    accountId: n.accountId,
    ...(typeof p.accountName === 'string' ? { accountName: p.accountName } : {}),
    detail: `${head}${deadline}${reasons.length > 0 ? `; ${reasons.join('; ')}` : ''}`,
    link: dashboardLink(publicUrl, n),
  };
}

/** Gathers what a recipient's digest for `now`'s day says, since `since`. */
export async function composeDigest(
  deps: { store: Store; policy: Pick<Policy, 'timeZone'>; publicUrl: string },
  since: Date,
  now: Date,
): Promise<DigestContent> {
  const day = localDate(now, deps.policy.timeZone);
  const notifications = await listNotificationsBetween(deps.store, since.toISOString(), now.toISOString(), MAX_ITEMS * 2);
  const dueBefore = new Date(now.getTime() + DUE_WITHIN_DAYS * DAY_MS).toISOString();
  const [due, pending] = await Promise.all([
    listTasksByStatus(deps.store, { statuses: ['open', 'scheduled'], dueBefore, limit: MAX_ITEMS }),
    // The approval step is another change's: the status is read when tasks carry it.
    listTasksByStatus(deps.store, { statuses: ['pending_approval' as TaskStatus], limit: MAX_ITEMS }),
  ]);
  const tasks = [...due.items.filter((t) => t.dueAt >= now.toISOString()), ...pending.items];
  const names = new Map((await getAccounts(deps.store, [...new Set(tasks.map((t) => t.accountId))])).map((a) => [a.accountId, a.name]));
  const fromTask = (t: Task, detail: string): DigestItem => {
    const name = names.get(t.accountId);
    return {
      accountId: t.accountId,
      ...(name ? { accountName: name } : {}),
      detail,
      link: dashboardLink(deps.publicUrl, { accountId: t.accountId, taskId: t.id }),
    };
  };
  return {
    day,
    opened: notifications
      .filter((n) => n.type === 'review_opened')
      .slice(0, MAX_ITEMS)
      .map((n) => fromNotification(n, deps.publicUrl)),
    reminders: notifications
      .filter((n) => n.type === 'renewal_reminder')
      .slice(0, MAX_ITEMS)
      .map((n) => fromNotification(n, deps.publicUrl)),
    dueSoon: due.items
      .filter((t) => t.dueAt >= now.toISOString())
      .map((t) =>
        fromTask(
          t,
          `${t.status} review due ${localDate(t.dueAt, deps.policy.timeZone)}${t.noticeDeadline ? `, notice deadline ${t.noticeDeadline}` : ''}; ${t.reasons.join('; ')}`,
        ),
      ),
    pendingApproval: pending.items.map((t) => fromTask(t, `decision ${t.decisions.at(-1)?.decision ?? ''} waiting for approval`)),
  };
}

export interface DigestDeps {
  store: Store;
  policy: Pick<Policy, 'timeZone'>;
  mail: { sender: MailSender; from: string; to: readonly string[] };
  publicUrl: string;
  now: () => Date;
  /** Attempts per digest within one run (SMTP 4xx, refused or dropped connections). */
  attempts?: number;
  retryDelayMs?: number;
}

export type DigestOutcome = 'sent' | 'nothing_to_say' | 'already_claimed' | 'dead_lettered';

/**
 * The day's email digest, one per recipient, run by the sweep after the day's work.
 * 1. Skip a recipient whose digest for today (policy zone) is already claimed: sent, being sent,
 *    or unconfirmed after a crash. Never two the same day, so an unconfirmed one is not resent.
 * 2. Compose from the last confirmed digest's window end to now; skip a day with nothing to say
 *    (no claim, so a later sweep the same day may still send).
 * 3. Claim today (conditional put: of two racing sweeps one sends), send with bounded retries,
 *    record `sentAt`, or dead-letter after the last attempt.
 * A crash between the server's acceptance and the record leaves the claim unconfirmed: that day
 * is done, and the next digest starts from the last confirmed one, so it repeats what that day's
 * said (nothing is lost; the worst case is an item listed on two days, never two digests a day).
 */
export async function sendDigests(deps: DigestDeps): Promise<Record<string, DigestOutcome>> {
  const outcomes: Record<string, DigestOutcome> = {};
  for (const recipient of deps.mail.to) {
    try {
      outcomes[recipient] = await sendDigest(deps, recipient);
    } catch (error) {
      // One recipient's failure (a store error) must not keep the others' digests.
      logger.error('digest not sent', { recipient, error: error as Error });
    }
  }
  return outcomes;
}

async function sendDigest(deps: DigestDeps, recipient: string): Promise<DigestOutcome> {
  const now = deps.now();
  const day = localDate(now, deps.policy.timeZone);
  const messageKey = `${recipient.toLowerCase()}#${day}`;
  if (await getClaim(deps.store, CHANNEL, messageKey)) return 'already_claimed';
  const last = await lastDigestSent(deps.store, recipient);
  const since = last?.windowEnd ? new Date(last.windowEnd) : new Date(now.getTime() - FIRST_WINDOW_MS);
  const content = await composeDigest(deps, since, now);
  if (isEmptyDigest(content)) return 'nothing_to_say';
  const rendered = renderDigest(content, deps.publicUrl);
  const claim = await claimDelivery(deps.store, {
    channel: CHANNEL,
    messageKey,
    now,
    leaseMs: Number.POSITIVE_INFINITY,
    allowReclaim: false,
    subject: rendered.subject,
    extra: { windowEnd: now.toISOString() },
  });
  if (claim.state !== 'claimed') return 'already_claimed';
  const attempts = deps.attempts ?? 3;
  let lastError = '';
  let tries = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    tries = attempt;
    try {
      await deps.mail.sender.send({
        from: deps.mail.from,
        to: recipient,
        ...rendered,
        messageId: `<digest-${day}-${Buffer.from(recipient).toString('hex').slice(0, 40)}@termwatch>`,
      });
    } catch (error) {
      // An SMTP server takes a message only with its reply to the end of the data: an error before
      // that (refused, 4xx, dropped mid-message) means it does not have it, so another try is safe.
      lastError = (error as Error).message;
      logger.warn('digest attempt failed', { recipient, attempt, error: error as Error });
      // A 5xx reply is the server's final word (no such mailbox, sender refused): no more tries.
      if (((error as { responseCode?: number }).responseCode ?? 0) >= 500) break;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, (deps.retryDelayMs ?? 1000) * 2 ** (attempt - 1)));
      continue;
    }
    // Outside the retries: the server has it now, so a failure to record it must never send it
    // again. It propagates; the claim stays unconfirmed and the day is done (see step 3).
    await markDelivered(deps.store, { channel: CHANNEL, messageKey }, deps.now().toISOString(), { recipient, day });
    return 'sent';
  }
  await markDeadLetter(deps.store, { channel: CHANNEL, messageKey }, deps.now().toISOString(), lastError, tries);
  return 'dead_lettered';
}
