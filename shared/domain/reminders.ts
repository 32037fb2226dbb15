import type { Policy } from './policy.ts';
import type { CalendarDate, Contract } from './contract.ts';
import { addDaysToDate, localTimeOnDate, upcomingTerm } from './timing.ts';

/**
 * Renewal reminders: every contract, flagged or not, is reminded at the policy's offsets before
 * its upcoming notice deadline, once per term and offset. Pure: the caller keeps the keys of
 * the reminders already sent (or skipped) and passes `now`.
 */
export interface ReminderDue {
  key: string;
  termEnd: CalendarDate;
  noticeDeadline: CalendarDate;
  offsetDays: number;
  /** The reminder's day at the policy's `sweepAt` time, in the business time zone. */
  at: string;
}

export interface ReminderPlan {
  /** The one reminder to send now, if any. */
  due?: ReminderDue;
  /** Earlier offsets that passed unsent (late discovery, missed sweeps): recorded, never sent in a burst. */
  skipped: string[];
  /** When the next reminder (or the next term's series) becomes due. */
  nextAt?: string;
}

export function reminderKey(termEnd: CalendarDate, offsetDays: number): string {
  return `${termEnd}#${offsetDays}`;
}

/**
 * 1. Take the upcoming term (auto and evergreen terms roll forward once their deadline passed,
 *    so each renewed term starts its own series).
 * 2. Each offset's day is noticeDeadline − offset, due at `sweepAt` on that day in the policy zone
 *    (finance hears at a working hour, however often the sweep runs).
 * 3. Of the offsets whose day has come and that are not recorded, only the latest (smallest
 *    offset) is sent; the others are recorded as skipped.
 * 4. The next instant is the earliest future offset day of this term, else the moment the term
 *    rolls (its deadline passes).
 */
export function planReminders(input: { contract: Contract; policy: Policy; now: Date; recorded: ReadonlySet<string> }): ReminderPlan {
  const { contract, policy, now, recorded } = input;
  const term = upcomingTerm(contract, policy, now);
  if (!term) return { skipped: [] };
  const offsets = [...new Set(policy.reminderOffsetsDays)].sort((a, b) => b - a);
  const schedule = offsets.map((offsetDays) => {
    const day = addDaysToDate(term.noticeDeadline, -offsetDays);
    return {
      key: reminderKey(term.termEnd, offsetDays),
      termEnd: term.termEnd,
      noticeDeadline: term.noticeDeadline,
      offsetDays,
      at: localTimeOnDate(day, policy.sweepAt, policy.timeZone).toISOString(),
    };
  });
  const pending = schedule.filter((r) => !recorded.has(r.key));
  const come = pending.filter((r) => Date.parse(r.at) <= now.getTime());
  const due = come.at(-1);
  const skipped = come.slice(0, -1).map((r) => r.key);
  const future = pending
    .filter((r) => Date.parse(r.at) > now.getTime())
    .map((r) => r.at)
    .sort()[0];
  const nextAt = future ?? new Date(term.dueAt.getTime() + 1).toISOString();
  return { ...(due ? { due } : {}), skipped, nextAt };
}
