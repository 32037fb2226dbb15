import { createHash, randomBytes, randomUUID } from 'node:crypto';
import ical, { ICalAlarmType } from 'ical-generator';
import type { Policy } from '../domain/policy.ts';
import { localDate } from '../domain/timing.ts';
import type { Task } from '../domain/review.ts';
import type { Store } from '../store/client.ts';
import { CalendarFeedNotFoundError, findFeedByTokenHash, putCalendarFeed, type CalendarFeed } from '../store/calendar-feed.ts';
import { getAccounts } from '../store/account.ts';
import { listTasksByStatus } from '../store/task.ts';
import { listRenewals } from './renewals.ts';

/** Most events of each kind one feed carries (a calendar app re-fetches it every few hours). */
const MAX_EVENTS = 2000;
/** Notice deadlines this far ahead are in the feed. */
const HORIZON_DAYS = 730;

/** 256 bits of randomness, URL-safe: the feed URL is the credential. */
export function newFeedToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashFeedToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const feedPath = (token: string) => `/calendar/${token}.ics`;

/** Creates a feed; the answer is the only place its secret URL ever appears. */
export async function createCalendarFeed(deps: { store: Store; publicUrl: string }, input: { name: string; actor: string; now: Date }) {
  const token = newFeedToken();
  const feed: CalendarFeed = { id: `cf_${randomUUID().replace(/-/g, '')}`, name: input.name, createdAt: input.now.toISOString(), createdBy: input.actor };
  await putCalendarFeed(deps.store, feed, hashFeedToken(token));
  return { id: feed.id, name: feed.name, url: `${deps.publicUrl}${feedPath(token)}`, createdAt: feed.createdAt };
}

/** Line breaks and other control characters folded, the length bounded: a name cannot break out of its property. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);

/**
 * The feed's iCalendar text: each contract's upcoming notice deadline as an all-day event with
 * alarms at the policy's reminder offsets, and each open or scheduled review's due day. UIDs are
 * derived from what the event is about (the account for its upcoming deadline; the task id),
 * so a calendar app updates the event when a date moves instead of adding another. ical-generator
 * escapes text values (`;`, `,`, `\`, line breaks), so no name can add a property.
 */
export async function renderCalendarFeed(
  deps: { store: Store; policy: Pick<Policy, 'timeZone' | 'reminderOffsetsDays'>; publicUrl: string },
  token: string,
  now: Date,
): Promise<string> {
  const feedId = await findFeedByTokenHash(deps.store, hashFeedToken(token));
  if (!feedId) throw new CalendarFeedNotFoundError('calendar feed not found');
  const zone = deps.policy.timeZone;
  const calendar = ical({ name: 'Termwatch', description: 'Notice deadlines and review due dates', ttl: 3600 });
  calendar.x([['X-WR-TIMEZONE', zone]]);

  const renewals: Awaited<ReturnType<typeof listRenewals>>['items'] = [];
  let cursor: string | undefined;
  do {
    const page = await listRenewals(deps, { withinDays: HORIZON_DAYS, limit: 100, now, ...(cursor ? { cursor } : {}) });
    renewals.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && renewals.length < MAX_EVENTS);
  for (const r of renewals) {
    const who = r.name ? `${oneLine(r.name)} (${oneLine(r.accountId)})` : oneLine(r.accountId);
    calendar.createEvent({
      // One upcoming deadline per contract: keyed by the account, so a changed contract (a new end
      // date, another notice period) moves the event in the calendar instead of adding another.
      id: `deadline-${hashId(r.accountId)}@termwatch`,
      start: r.noticeDeadline,
      allDay: true,
      stamp: now,
      summary: `Notice deadline: ${who}`,
      description: `Term ends ${r.termEnd} (${r.renewal}). Decide before this day: renew, renegotiate or give notice.`,
      url: `${deps.publicUrl}/app/accounts/${encodeURIComponent(r.accountId)}`,
      alarms: deps.policy.reminderOffsetsDays.map((days) => ({
        type: ICalAlarmType.display,
        trigger: days * 86_400,
        description: `Notice deadline in ${days} days: ${who}`,
      })),
    });
  }

  const tasks: Task[] = [];
  cursor = undefined;
  do {
    const page = await listTasksByStatus(deps.store, { statuses: ['open', 'scheduled'], limit: 100, ...(cursor ? { cursor } : {}) });
    tasks.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && tasks.length < MAX_EVENTS);
  const names = new Map((await getAccounts(deps.store, [...new Set(tasks.map((t) => t.accountId))])).map((a) => [a.accountId, a.name]));
  for (const t of tasks) {
    const name = names.get(t.accountId);
    const who = name ? `${oneLine(name)} (${oneLine(t.accountId)})` : oneLine(t.accountId);
    calendar.createEvent({
      id: `review-${hashId(t.id)}@termwatch`,
      start: localDate(t.dueAt, zone),
      allDay: true,
      stamp: now,
      summary: `${t.kind === 'for_cause' ? 'For-cause review' : 'Review'} due: ${who}`,
      description: `${t.status === 'open' ? 'Open' : 'Scheduled'} review ${t.id}. ${t.reasons.map(oneLine).join('; ')}`,
      url: `${deps.publicUrl}/app/tasks/${encodeURIComponent(t.id)}`,
    });
  }
  return calendar.toString();
}

/** Ids in UIDs as hex: an account id may hold characters a UID should not. */
function hashId(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}
