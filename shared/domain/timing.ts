import { zoneOffset } from './zone.ts';
import { DAY_MS, utcDay } from './days.ts';
import { addDays, addMonths, lightFormat } from 'date-fns';
import * as z from '../zod.ts';
import type { Policy } from './policy.ts';
import { calendarDateSchema, termMonthsOf, type CalendarDate, type Contract } from './contract.ts';

/**
 * The timing rule (`../shared/domain.md`): a review about ending a client lands at a term end,
 * never mid-term, and is due by that term's notice deadline.
 *
 * Conventions, fixed here and used everywhere:
 * - Contract dates (term end E, notice deadline D) are calendar dates in `policy.timeZone`.
 * - Notice given on day D is in time: the deadline instant is the END of day D in the business
 *   zone, so `dueAt` = the last millisecond of D (start of D+1 minus 1 ms), as UTC ISO.
 * - A review opens at the START of day D − L (L = `policy.reviewLeadDays`) in the business zone.
 * - The decision instant is `now`: a plan is recomputed whenever signals are evaluated.
 *   `now ≤ openAt` → scheduled; `openAt < now ≤ dueAt` → open (openAt stays D − L, so
 *   re-planning inside the window yields the same plan); `now > dueAt` → this term is missed.
 * - Term ends roll from the ORIGINAL end: the k-th end is addMonths(E, k × term), not a chain
 *   of single steps, so a 31 Jan monthly term gives 28/29 Feb then 31 Mar (chaining would stick
 *   at the 28th forever). addMonths clamps to the month end: 29 Feb + 12 months = 28 Feb.
 */

export class TimingInputError extends Error {
  override readonly name = 'TimingInputError';
}

const DAY_FORMAT = 'yyyy-MM-dd';

/**
 * A calendar date as noon of that day in the process zone. Day and month arithmetic with
 * date-fns on it is exact whatever the process zone (noon exists on every day, even where DST
 * skips midnight), and unlike a zone-pinned TZDate it costs no Intl lookup per operation.
 * Only instants (start and end of a day) need the business zone.
 */
function calendarNoon(date: CalendarDate): Date {
  const [year, month, day] = date.split('-').map(Number);
  if (year === undefined || month === undefined || day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new TimingInputError(`${date} is not a YYYY-MM-DD date`);
  }
  const noon = new Date(year, month - 1, day, 12);
  noon.setFullYear(year); // the constructor maps years 0-99 to 1900-1999
  return noon;
}

export function addDaysToDate(date: CalendarDate, days: number): CalendarDate {
  return lightFormat(addDays(calendarNoon(date), days), DAY_FORMAT);
}

/** Month arithmetic clamping to the month end: 2026-01-31 + 1 month = 2026-02-28. */
export function addMonthsToDate(date: CalendarDate, months: number): CalendarDate {
  return lightFormat(addMonths(calendarNoon(date), months), DAY_FORMAT);
}

function toMillis(instant: Date | string | number, what: string): number {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === 'number' ? instant : Date.parse(instant);
  if (Number.isNaN(ms)) throw new TimingInputError(`${what} is not a valid instant: ${String(instant)}`);
  return ms;
}

/** The calendar date an instant falls on in `timeZone`. */
export function localDate(instant: Date | string | number, timeZone: string): CalendarDate {
  const ms = toMillis(instant, 'instant');
  const offsetMinutes = zoneOffset(timeZone, new Date(ms));
  if (Number.isNaN(offsetMinutes)) throw new TimingInputError(`${timeZone} is not a time zone`);
  // The zone's wall clock, read through UTC fields so the process zone plays no part (and
  // several times cheaper than a TZDate, which matters in the sweep).
  return utcDay(ms + offsetMinutes * 60_000);
}

const HOUR_MS = 3_600_000;

/**
 * First instant of `date` in `timeZone` (01:00 where the clocks skip midnight). Built from the
 * zone's UTC offsets rather than TZDate's wall-clock constructor, whose DST adjustment goes
 * through the process's own zone and is an hour off when that zone changes clocks the same day.
 */
export function startOfLocalDay(date: CalendarDate, timeZone: string): Date {
  const noon = calendarNoon(date);
  // Local midnight read as if it were UTC; minus the zone's offset it is the instant. Around a
  // transition the offset before and after differ: try both, keep the earliest that is `date`.
  const wall = Date.UTC(noon.getFullYear(), noon.getMonth(), noon.getDate());
  const offsets = [zoneOffset(timeZone, new Date(wall - 24 * HOUR_MS)), zoneOffset(timeZone, new Date(wall + 24 * HOUR_MS))];
  const starts = [...new Set(offsets)].map((minutes) => wall - minutes * 60_000).filter((instant) => localDate(instant, timeZone) === date);
  // No instant has that local date when the zone skipped the whole day (Kiritimati, 1994-12-31).
  if (starts.length === 0) return startOfLocalDay(addDaysToDate(date, 1), timeZone);
  return new Date(Math.min(...starts));
}

/**
 * The instant the wall clock in `timeZone` shows `time` (HH:MM) on `date`. In the hour a clock
 * change repeats, the first occurrence; in the hour it skips, moved forward by the change
 * (02:30 on a day the clocks go from 02:00 to 03:00 is 03:30).
 */
export function localTimeOnDate(date: CalendarDate, time: string, timeZone: string): Date {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  const noon = calendarNoon(date);
  const wall = Date.UTC(noon.getFullYear(), noon.getMonth(), noon.getDate(), hours, minutes);
  const offsets = [...new Set([zoneOffset(timeZone, new Date(wall - 24 * HOUR_MS)), zoneOffset(timeZone, new Date(wall + 24 * HOUR_MS))])];
  const candidates = offsets.map((offset) => wall - offset * 60_000);
  const exact = candidates.filter((instant) => instant + zoneOffset(timeZone, new Date(instant)) * 60_000 === wall);
  if (exact.length > 0) return new Date(Math.min(...exact));
  // Skipped by a clock change: read with the offset before the change, i.e. moved forward by it.
  return new Date(wall - (offsets[0] as number) * 60_000);
}

/** Last millisecond of `date` in `timeZone`: the instant a notice deadline on that day expires. */
export function endOfLocalDay(date: CalendarDate, timeZone: string): Date {
  return new Date(startOfLocalDay(addDaysToDate(date, 1), timeZone).getTime() - 1);
}

/** Whole days from `now` until `date` (a calendar date in `timeZone`) has ended, rounded up: a deadline's days left. */
export function daysUntilEndOf(date: CalendarDate, timeZone: string, now: Date): number {
  const days = Math.ceil((endOfLocalDay(date, timeZone).getTime() + 1 - now.getTime()) / DAY_MS);
  return days === 0 ? 0 : days; // never -0 (a deadline that passed within the last day)
}

/** Notice period in days: the contract's own, or the policy default when it gives none. */
export function noticeDaysOf(contract: Pick<Contract, 'noticeDays'>, policy: Policy): number {
  return contract.noticeDays ?? policy.noticeDays;
}

/** D = E − N for the given term end (the recorded end by default). */
export function noticeDeadline(contract: Pick<Contract, 'endDate' | 'noticeDays'>, policy: Policy, termEnd: CalendarDate = contract.endDate): CalendarDate {
  return addDaysToDate(termEnd, -noticeDaysOf(contract, policy));
}

/** The k-th term end counted from the recorded end (k = 0 is the recorded end itself). */
export function termEndAt(contract: Pick<Contract, 'endDate' | 'renewal' | 'renewalTermMonths'>, k: number): CalendarDate {
  return k === 0 ? contract.endDate : addMonthsToDate(contract.endDate, k * termMonthsOf(contract));
}

/** One term's dates and the instants derived from them in the business zone. */
export type TermWindow = {
  termEnd: CalendarDate;
  noticeDeadline: CalendarDate;
  /** Start of day (noticeDeadline − reviewLeadDays). */
  openAt: Date;
  /** End of day noticeDeadline. */
  dueAt: Date;
};

export function termWindow(contract: Contract, policy: Policy, termEnd: CalendarDate = contract.endDate): TermWindow {
  const deadline = noticeDeadline(contract, policy, termEnd);
  return {
    termEnd,
    noticeDeadline: deadline,
    openAt: startOfLocalDay(addDaysToDate(deadline, -policy.reviewLeadDays), policy.timeZone),
    dueAt: endOfLocalDay(deadline, policy.timeZone),
  };
}

function monthIndex(date: CalendarDate): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
}

/**
 * The earliest rolled term (k ≥ 1) whose notice deadline is still ahead at `nowMs`, with the
 * term before it (whose deadline passed). Any k whose end falls in a month before today's
 * has a passed deadline (D ≤ E < today), so the search starts there instead of at k = 1.
 */
function firstRolledTermAhead(
  contract: Contract,
  policy: Policy,
  nowMs: number,
): { window: TermWindow; previous: Pick<TermWindow, 'termEnd' | 'noticeDeadline'> } {
  const term = termMonthsOf(contract);
  const today = localDate(nowMs, policy.timeZone);
  const monthsSinceEnd = monthIndex(today) - monthIndex(contract.endDate);
  for (let k = Math.max(1, Math.floor((monthsSinceEnd - 1) / term)); ; k += 1) {
    const termEnd = termEndAt(contract, k);
    // Cheap date comparison first; the instant check below is the rule itself.
    if (noticeDeadline(contract, policy, termEnd) < today) continue;
    const window = termWindow(contract, policy, termEnd);
    if (nowMs <= window.dueAt.getTime()) {
      const previousEnd = termEndAt(contract, k - 1);
      return { window, previous: { termEnd: previousEnd, noticeDeadline: noticeDeadline(contract, policy, previousEnd) } };
    }
  }
}

/**
 * The next term end whose notice deadline is still ahead at `now` (inclusive of the deadline
 * day), rolling `auto` and `evergreen` terms forward; `null` for a `fixed` contract whose
 * deadline has passed. What the renewal reminders and the contract view count down to.
 */
export function upcomingTerm(contract: Contract, policy: Policy, now: Date | string): TermWindow | null {
  const nowMs = toMillis(now, 'now');
  const recorded = termWindow(contract, policy);
  if (nowMs <= recorded.dueAt.getTime()) return recorded;
  if (contract.renewal === 'fixed') return null;
  return firstRolledTermAhead(contract, policy, nowMs).window;
}

/** `upcomingTerm(...)?.termEnd`: the term end the next notice deadline belongs to. */
export function nextTermEnd(contract: Contract, policy: Policy, now: Date | string): CalendarDate | null {
  return upcomingTerm(contract, policy, now)?.termEnd ?? null;
}

export const reviewKindSchema = z.enum(['review', 'for_cause']);
export const plannedStatusSchema = z.enum(['scheduled', 'open']);
/** Which branch of the timing rule produced a plan. */
export const reviewTrackSchema = z.enum([
  /** Recorded term, before its review window: scheduled. */
  'before_open',
  /** Recorded term, inside its review window: open, due at its deadline. */
  'within_window',
  /** `auto`, recorded deadline passed: the next renewal whose deadline is ahead. */
  'auto_rolled',
  /** `fixed`, deadline passed but the term has not ended: open, due at the term end. */
  'fixed_past_deadline',
  /** `evergreen`, recorded deadline passed: the earliest period end whose deadline is ahead. */
  'evergreen_period',
  /** No contract on record: open now, due now, asking finance to record it. */
  'no_contract',
  /** A `fixed` contract whose end has passed: the terms on record no longer describe the client. */
  'contract_ended',
  /** The for-cause track: open now, independent of the term end. */
  'for_cause',
]);
export type ReviewTrack = z.infer<typeof reviewTrackSchema>;

/** What the review use case should hold for an account: one review per targeted term end. */
export const reviewPlanSchema = z.strictObject({
  kind: reviewKindSchema,
  status: plannedStatusSchema,
  /** The term end the decision lands on; absent with no usable contract and on the for-cause track. */
  targetEnd: z.optional(calendarDateSchema),
  /** That term's notice deadline (E − N); present whenever `targetEnd` is. */
  noticeDeadline: z.optional(calendarDateSchema),
  /** The for-cause track: the unpaid invoice the review is about (its slot: one review per invoice). */
  causeInvoiceId: z.optional(z.string().check(z.minLength(1))),
  openAt: z.iso.datetime(),
  dueAt: z.iso.datetime(),
  reasons: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  track: reviewTrackSchema,
});
export type ReviewPlan = z.infer<typeof reviewPlanSchema>;

export type PlanSignal = { reason: string; at: string; evidence?: unknown };
/** What triggers the for-cause track: when, why, and the invoice whose non-payment it is (one review per such invoice). */
export type ForCauseTrigger = { at: string; reason: string; invoiceId?: string };
export type PlanInput = {
  contract?: Contract | undefined;
  /** The signals that hold at `now`. */
  signals: readonly PlanSignal[];
  policy: Policy;
  now: Date | string;
  /** For `planForCause`: an invoice unpaid past the cure period. `planReview` ignores it. */
  forCauseTrigger?: ForCauseTrigger | undefined;
};

export const NO_CONTRACT_REASON = 'no contract on record: record the contract (end date, notice period, renewal) so the end can be timed';

export function contractEndedReason(endDate: CalendarDate): string {
  return `the contract on record ended on ${endDate}: record the current contract so the end can be timed`;
}

function missedDeadlineReason(missed: Pick<TermWindow, 'termEnd' | 'noticeDeadline'>, target: CalendarDate): string {
  return `notice deadline ${missed.noticeDeadline} for the term ending ${missed.termEnd} has passed: targeting the term ending ${target}`;
}

function fixedPastDeadlineReason(window: TermWindow): string {
  return `notice deadline ${window.noticeDeadline} has passed: decide before the term ends on ${window.termEnd} (do not renew)`;
}

/** Signal reasons, each once, by when they first held (then by text): independent of input order. */
function signalReasons(signals: readonly PlanSignal[]): string[] {
  const keyed = signals.map((signal) => {
    if (signal.reason.length === 0) throw new TimingInputError('a signal has an empty reason');
    return { reason: signal.reason, at: toMillis(signal.at, `signal ${signal.reason} at`) };
  });
  keyed.sort((x, y) => x.at - y.at || (x.reason < y.reason ? -1 : x.reason > y.reason ? 1 : 0));
  return [...new Set(keyed.map((entry) => entry.reason))];
}

function iso(instant: Date | number): string {
  return new Date(instant).toISOString();
}

function windowPlan(window: TermWindow, nowMs: number, reasons: string[], track: ReviewTrack): ReviewPlan {
  return {
    kind: 'review',
    status: nowMs <= window.openAt.getTime() ? 'scheduled' : 'open',
    targetEnd: window.termEnd,
    noticeDeadline: window.noticeDeadline,
    openAt: iso(window.openAt),
    dueAt: iso(window.dueAt),
    reasons,
    track,
  };
}

function openNowPlan(nowMs: number, reasons: string[], track: ReviewTrack): ReviewPlan {
  return { kind: 'review', status: 'open', openAt: iso(nowMs), dueAt: iso(nowMs), reasons, track };
}

/**
 * Plans the review for an account's signals under the timing rule; `null` when no signal holds.
 * Steps:
 * 1. No contract: open now, due now, asking finance to record it.
 * 2. The recorded term's deadline is still ahead: scheduled before its window, open inside it.
 * 3. Deadline passed: `auto`/`evergreen` roll to the first term (period) end whose deadline is
 *    ahead and apply step 2 to it; `fixed` opens now, due at the term end, or, once the term
 *    itself is over, asks for the current contract as in step 1.
 */
export function planReview(input: PlanInput): ReviewPlan | null {
  if (input.signals.length === 0) return null;
  const { contract, policy } = input;
  const nowMs = toMillis(input.now, 'now');
  const reasons = signalReasons(input.signals);
  if (contract === undefined) return openNowPlan(nowMs, [...reasons, NO_CONTRACT_REASON], 'no_contract');

  const recorded = termWindow(contract, policy);
  if (nowMs <= recorded.dueAt.getTime()) {
    return windowPlan(recorded, nowMs, reasons, nowMs <= recorded.openAt.getTime() ? 'before_open' : 'within_window');
  }

  switch (contract.renewal) {
    case 'fixed': {
      const termEndsAt = endOfLocalDay(contract.endDate, policy.timeZone);
      if (nowMs > termEndsAt.getTime()) {
        return openNowPlan(nowMs, [...reasons, contractEndedReason(contract.endDate)], 'contract_ended');
      }
      return {
        kind: 'review',
        status: 'open',
        targetEnd: recorded.termEnd,
        noticeDeadline: recorded.noticeDeadline,
        openAt: iso(recorded.openAt),
        dueAt: iso(termEndsAt),
        reasons: [...reasons, fixedPastDeadlineReason(recorded)],
        track: 'fixed_past_deadline',
      };
    }
    case 'auto':
    case 'evergreen': {
      const { window, previous } = firstRolledTermAhead(contract, policy, nowMs);
      const track = contract.renewal === 'auto' ? 'auto_rolled' : 'evergreen_period';
      return windowPlan(window, nowMs, [...reasons, missedDeadlineReason(previous, window.termEnd)], track);
    }
  }
}

/**
 * The for-cause track: when the policy enables it and a trigger (an invoice unpaid past the
 * cure period) is given, a separate review opens at once, due at once, not tied to a term end.
 * `null` otherwise. Signals play no part: the trigger is the cause.
 */
export function planForCause(input: Pick<PlanInput, 'policy' | 'now' | 'forCauseTrigger'>): ReviewPlan | null {
  const trigger = input.forCauseTrigger;
  if (!input.policy.forCause.enabled || trigger === undefined) return null;
  if (trigger.reason.length === 0) throw new TimingInputError('the for-cause trigger has an empty reason');
  toMillis(trigger.at, 'for-cause trigger at');
  const nowMs = toMillis(input.now, 'now');
  return {
    kind: 'for_cause',
    status: 'open',
    ...(trigger.invoiceId ? { causeInvoiceId: trigger.invoiceId } : {}),
    openAt: iso(nowMs),
    dueAt: iso(nowMs),
    reasons: [trigger.reason],
    track: 'for_cause',
  };
}

/** Both tracks at once: the term-end review (if any signal holds) and the for-cause review (if triggered). */
export function planReviews(input: PlanInput): ReviewPlan[] {
  return [planReview(input), planForCause(input)].filter((plan): plan is ReviewPlan => plan !== null);
}
