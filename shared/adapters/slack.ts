import { dashboardLink } from '../domain/dashboard-link.ts';
import { daysLeftNote, type Notification } from '../domain/notification.ts';
import { logger } from '../powertools.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { Store } from '../store/client.ts';
import { claimDelivery, markDeadLetter, markDelivered } from '../store/delivery.ts';

/**
 * Slack through an incoming webhook (plain fetch: one POST of JSON, no SDK needed).
 *
 * Exactly once, as far as a webhook allows: the delivery is claimed in the store (conditional
 * put) before the POST and marked sent after Slack's 200. A crash between the two leaves a claim
 * without `sentAt`; once its lease (SLACK_LEASE_MS, longer than any one send with its retries)
 * has run out, the next dispatch sends it again with a "possible duplicate" line. Worst case a
 * person sees the message twice, the second one saying it may be a duplicate; never zero times.
 * A message Slack keeps refusing is dead-lettered (a store item, `GET /deliveries/dead-letters`).
 */
export const SLACK_LEASE_MS = 5 * 60_000;

/** Escapes text for Slack mrkdwn: `<`, `>` and `&` are the only characters that make links and mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A line of text with line breaks folded, so a name cannot start a new block of its own. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The Block Kit message: customer name and id, reasons, deadline and days left, a button to the task. */
export function slackMessage(n: Notification, options: { publicUrl: string; possibleDuplicate?: boolean }) {
  const p = n.payload;
  const name = str(p.accountName);
  const who = name ? `${escapeMrkdwn(oneLine(name))} (\`${escapeMrkdwn(oneLine(n.accountId))}\`)` : `\`${escapeMrkdwn(oneLine(n.accountId))}\``;
  const title =
    n.type === 'review_opened'
      ? p.kind === 'for_cause'
        ? 'For-cause review opened'
        : 'Review opened'
      : `Renewal reminder (${String(p.offsetDays ?? n.offsetDays ?? '')} days)`;
  const reasons = Array.isArray(p.reasons) ? p.reasons.filter((r): r is string => typeof r === 'string') : [];
  const deadline = str(p.noticeDeadline);
  const daysLeft = typeof p.daysLeft === 'number' ? p.daysLeft : undefined;
  const fallback = `${title}: ${who}${deadline ? `, notice deadline ${deadline}` : ''}`;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Termwatch: ${title}`.slice(0, 150), emoji: false } },
    ...(options.possibleDuplicate
      ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: ':warning: Possible duplicate: an earlier attempt may have posted this message already.' }] }]
      : []),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Customer*\n${who}` },
        {
          type: 'mrkdwn',
          text: `*Notice deadline*\n${deadline ? `${deadline}${daysLeftNote(p.deadlinePassed === true, daysLeft)}` : 'none on record'}`,
        },
      ],
    },
    ...(reasons.length > 0
      ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Reasons*\n${reasons.map((r) => `• ${escapeMrkdwn(oneLine(r))}`).join('\n')}`.slice(0, 3000) } }]
      : []),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: n.taskId ? 'Open the review' : 'Open the account' },
          url: dashboardLink(options.publicUrl, n),
          action_id: 'open',
        },
      ],
    },
  ];
  return { text: options.possibleDuplicate ? `(possible duplicate) ${fallback}` : fallback, blocks };
}

export interface SlackSendOptions {
  /** Per request (AbortSignal.timeout). */
  timeoutMs?: number;
  attempts?: number;
  baseDelayMs?: number;
  /** A longer Retry-After than this is not waited out in this run: the attempt counts as failed. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

type PostResult = { ok: true } | { ok: false; retryable: boolean; retryAfterMs?: number; reason: string };

async function postOnce(url: string, body: string, timeoutMs: number): Promise<PostResult> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = (await response.text()).slice(0, 200);
    if (response.ok) return { ok: true };
    const retryAfter = Number(response.headers.get('retry-after'));
    const retryable = response.status === 429 || response.status >= 500;
    return {
      ok: false,
      retryable,
      reason: `HTTP ${response.status} ${text}`,
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  } catch (error) {
    // Timeouts, refused and dropped connections: Slack may not have it; worth another try.
    const e = error as Error & { cause?: { code?: string } };
    return { ok: false, retryable: true, reason: `${e.name}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}` };
  }
}

/** POSTs a message, retrying 429 and 5xx (honouring Retry-After) and network failures with backoff. */
export async function postToSlack(
  url: string,
  message: unknown,
  options: SlackSendOptions = {},
): Promise<{ ok: true; attempts: number } | { ok: false; attempts: number; reason: string }> {
  const attempts = options.attempts ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const body = JSON.stringify(message);
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await postOnce(url, body, options.timeoutMs ?? 5000);
    if (result.ok) return { ok: true, attempts: attempt };
    last = result.reason;
    if (!result.retryable) return { ok: false, attempts: attempt, reason: last };
    if (attempt === attempts) break;
    const backoff = (options.baseDelayMs ?? 500) * 2 ** (attempt - 1);
    const wait = result.retryAfterMs ?? backoff;
    if (wait > (options.maxRetryAfterMs ?? 30_000))
      return { ok: false, attempts: attempt, reason: `${last} (Retry-After ${wait / 1000}s is longer than one run waits)` };
    await sleep(wait);
  }
  return { ok: false, attempts, reason: last };
}

/** Another sender holds a live claim on the message: it stays pending and the next run looks again. */
export class DeliveryInFlightError extends Error {
  override readonly name = 'DeliveryInFlightError';
}

/**
 * Slack is down (several messages in a row failed after their retries): the rest of this run
 * does not try, so one outage costs one message's retries a few times, not every message's. Thrown
 * before anything is claimed or posted: the notification stays pending for the next run.
 */
export class SlackUnavailableError extends Error {
  override readonly name = 'SlackUnavailableError';
}

/** Messages in a row that exhaust their retries before the notifier pauses. */
const BREAKER_FAILURES = 3;
/** How long it pauses; the next sweep after it tries again. */
const BREAKER_PAUSE_MS = 60_000;

export class SlackNotifier implements Notifier {
  readonly channel = 'slack';
  private consecutiveFailures = 0;
  private pausedUntil = 0;
  /** Messages this notifier dead-lettered since it was made (the sweep function counts them as a metric). */
  deadLettered = 0;
  constructor(
    private readonly deps: {
      store: Store;
      webhookUrl: string | (() => Promise<string>);
      /** A function where the URL is known only once the local server listens. */
      publicUrl: string | (() => string);
      now: () => Date;
      send?: SlackSendOptions;
      leaseMs?: number;
    },
  ) {}

  async send(n: Notification): Promise<void> {
    if (this.deps.now().getTime() < this.pausedUntil)
      throw new SlackUnavailableError(`slack paused after ${BREAKER_FAILURES} messages in a row failed; ${n.id} stays pending`);
    const claimed = await claimDelivery(this.deps.store, {
      channel: this.channel,
      messageKey: n.id,
      now: this.deps.now(),
      leaseMs: this.deps.leaseMs ?? SLACK_LEASE_MS,
      allowReclaim: true,
      subject: n.subject,
      extra: { accountId: n.accountId },
    });
    if (claimed.state === 'sent' || claimed.state === 'dead') return;
    if (claimed.state === 'in_flight')
      throw new DeliveryInFlightError(`slack message ${n.id} is being sent by another run (claimed ${claimed.claim.claimedAt})`);
    const possibleDuplicate = claimed.state === 'reclaimed';
    if (possibleDuplicate)
      logger.warn('slack message claimed before but never confirmed; sending again marked as a possible duplicate', {
        notificationId: n.id,
        attempts: claimed.claim.attempts,
      });
    const url = typeof this.deps.webhookUrl === 'string' ? this.deps.webhookUrl : await this.deps.webhookUrl();
    const result = await postToSlack(
      url,
      slackMessage(n, { publicUrl: typeof this.deps.publicUrl === 'string' ? this.deps.publicUrl : this.deps.publicUrl(), possibleDuplicate }),
      this.deps.send,
    );
    if (result.ok) {
      this.consecutiveFailures = 0;
      await markDelivered(this.deps.store, { channel: this.channel, messageKey: n.id }, this.deps.now().toISOString());
      return;
    }
    if (++this.consecutiveFailures >= BREAKER_FAILURES) {
      this.pausedUntil = this.deps.now().getTime() + BREAKER_PAUSE_MS;
      this.consecutiveFailures = 0;
    }
    // Returned, not thrown: the other channels and the rest of the run carry on; the dead letter is visible.
    logger.error('slack message dead-lettered', { notificationId: n.id, reason: result.reason, attempts: result.attempts });
    this.deadLettered++;
    await markDeadLetter(this.deps.store, { channel: this.channel, messageKey: n.id }, this.deps.now().toISOString(), result.reason, result.attempts);
  }
}
