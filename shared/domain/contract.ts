import * as z from '../zod.ts';

/**
 * Contract terms: the one definition of their shapes (HTTP body and stored terms) and the rule
 * that decides which of two recorded versions of an account's terms is the one in force.
 *
 * Where terms come from (`../shared/contract.md`): a person (`manual` via the API, `csv` via
 * the import) wins over Stripe, since the signed contract is the legal truth and billing may
 * lag it; among Stripe's sources metadata wins over a schedule, and a schedule over `cancel_at`.
 */

/** Bounds that catch a mistyped year (e.g. 0206-03-31) instead of silently rolling centuries. */
const MIN_YEAR = 1970;
const MAX_YEAR = 2999;
/** A notice period beyond ten years is a data-entry error, not a contract. */
export const MAX_NOTICE_DAYS = 3650;
export const MIN_TERM_MONTHS = 1;
export const MAX_TERM_MONTHS = 120;
/** Defaults when a contract gives no term length: a yearly auto-renewal, a monthly evergreen period. */
export const DEFAULT_AUTO_TERM_MONTHS = 12;
export const DEFAULT_EVERGREEN_PERIOD_MONTHS = 1;

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A type error's message: "is required" when the field is missing, else `wrongType`. */
function requiredOr(wrongType: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : wrongType);
}

/** True when `value` is `YYYY-MM-DD` naming a day that exists (2026-02-30 does not). */
export function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls impossible days over (Feb 30 -> Mar 2); a real date survives the round trip.
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

/** A calendar date in the policy's business time zone, `YYYY-MM-DD`. */
export const calendarDateSchema = z.string({ error: requiredOr('must be a date string in YYYY-MM-DD form') }).check(
  z.regex(CALENDAR_DATE, { error: 'must be a date in YYYY-MM-DD form, e.g. 2026-03-31', abort: true }),
  z.refine(isCalendarDate, { error: (issue) => `${String(issue.input)} is not a real calendar date`, abort: true }),
  z.refine(
    (value) => {
      const year = Number(value.slice(0, 4));
      return year >= MIN_YEAR && year <= MAX_YEAR;
    },
    { error: `must be between ${MIN_YEAR}-01-01 and ${MAX_YEAR}-12-31` },
  ),
);
export type CalendarDate = z.infer<typeof calendarDateSchema>;

export const renewalSchema = z.enum(['auto', 'fixed', 'evergreen'], {
  error: requiredOr('must be one of "auto", "fixed" or "evergreen"'),
});
export type Renewal = z.infer<typeof renewalSchema>;

/** A period in whole days, 0 to MAX_NOTICE_DAYS: a notice period, or a cure period. */
const daysSchema = z
  .number({ error: 'must be a number of days' })
  .check(
    z.int({ error: 'must be a whole number of days' }),
    z.gte(0, { error: 'must be 0 or more days' }),
    z.lte(MAX_NOTICE_DAYS, { error: `must be at most ${MAX_NOTICE_DAYS} days` }),
  );

const termMonthsSchema = z
  .number({ error: 'must be a number of months' })
  .check(
    z.int({ error: 'must be a whole number of months' }),
    z.gte(MIN_TERM_MONTHS, { error: `must be between ${MIN_TERM_MONTHS} and ${MAX_TERM_MONTHS} months` }),
    z.lte(MAX_TERM_MONTHS, { error: `must be between ${MIN_TERM_MONTHS} and ${MAX_TERM_MONTHS} months` }),
  );

/**
 * `PUT /accounts/{accountId}/contract` body (and one CSV row once parsed).
 * - `noticeDays` absent: the policy's `noticeDays` applies when the terms are used.
 * - `renewalTermMonths`: for `auto`, the length of each renewal (default 12); for `evergreen`,
 *   the billing period after which it may end (default 1); for `fixed`, kept as information.
 * - `cureDays`: the contract's cure period for non-payment (domain.md, the for-cause track);
 *   absent: the policy's `forCause.cureDays` applies.
 * Unknown keys are refused so a typo (`renewalTermMonth`) never silently falls back to a default.
 */
export const contractBodySchema = z.strictObject(
  {
    endDate: calendarDateSchema,
    noticeDays: z.optional(daysSchema),
    renewal: renewalSchema,
    renewalTermMonths: z.optional(termMonthsSchema),
    cureDays: z.optional(daysSchema),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}: expected endDate, noticeDays, renewal, renewalTermMonths, cureDays`
        : 'must be a JSON object with endDate, renewal and optionally noticeDays, renewalTermMonths, cureDays',
  },
);
export type ContractBody = z.infer<typeof contractBodySchema>;

export const contractSourceSchema = z.enum(['manual', 'csv', 'stripe_metadata', 'stripe_schedule', 'stripe_cancel_at']);
export type ContractSource = z.infer<typeof contractSourceSchema>;
export type PersonSource = Extract<ContractSource, 'manual' | 'csv'>;
export type StripeSource = Exclude<ContractSource, PersonSource>;

/**
 * Stored terms: the body normalised (`renewalTermMonths` filled for `auto` and `evergreen`)
 * plus where they came from. `noticeDays` stays absent when the source gave none, so a later
 * change of the policy default applies to it.
 * - `sourceRef`: the Stripe object read (subscription, schedule or customer id) or an import id.
 * - `recordedAt`: when the terms were recorded or observed (ISO 8601).
 * - `stripeVersion`: orders observations of the same Stripe source; see `compareStripeVersions`.
 */
export const contractSchema = z.object({
  endDate: calendarDateSchema,
  noticeDays: z.optional(daysSchema),
  renewal: renewalSchema,
  renewalTermMonths: z.optional(termMonthsSchema),
  cureDays: z.optional(daysSchema),
  source: contractSourceSchema,
  sourceRef: z.optional(z.string().check(z.minLength(1))),
  recordedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' }),
  stripeVersion: z.optional(z.string().check(z.minLength(1))),
});
export type Contract = z.infer<typeof contractSchema>;

/** The renewal term (auto) or billing period (evergreen) in months, with the defaults applied. */
export function termMonthsOf(contract: Pick<Contract, 'renewal' | 'renewalTermMonths'>): number {
  if (contract.renewalTermMonths !== undefined) return contract.renewalTermMonths;
  return contract.renewal === 'evergreen' ? DEFAULT_EVERGREEN_PERIOD_MONTHS : DEFAULT_AUTO_TERM_MONTHS;
}

/** Turns a validated body into stored terms recorded by a person. */
export function contractFromBody(body: ContractBody, meta: { source: PersonSource; recordedAt: string; sourceRef?: string }): Contract {
  const contract: Contract = {
    endDate: body.endDate,
    renewal: body.renewal,
    source: meta.source,
    recordedAt: meta.recordedAt,
  };
  if (body.noticeDays !== undefined) contract.noticeDays = body.noticeDays;
  if (body.cureDays !== undefined) contract.cureDays = body.cureDays;
  if (body.renewal !== 'fixed' || body.renewalTermMonths !== undefined) {
    contract.renewalTermMonths = termMonthsOf(body);
  }
  if (meta.sourceRef !== undefined) contract.sourceRef = meta.sourceRef;
  return contract;
}

const SOURCE_RANK: Record<ContractSource, number> = {
  manual: 3,
  csv: 3,
  stripe_metadata: 2,
  stripe_schedule: 1,
  stripe_cancel_at: 0,
};

/** Precedence of a source: higher wins. People (manual, csv) rank equal, above every Stripe source. */
export function sourceRank(source: ContractSource): number {
  return SOURCE_RANK[source];
}

export function isStripeSource(source: ContractSource): source is StripeSource {
  return source !== 'manual' && source !== 'csv';
}

const DIGITS = /^\d+$/;

/**
 * Orders two `stripeVersion` values: absent < all-digit versions (compared as integers, e.g.
 * the event's `created` epoch seconds) < any other string (compared code unit by code unit,
 * e.g. fixed-width ISO timestamps). Putting each kind in its own band keeps the order total
 * and transitive even when callers mix kinds.
 */
export function compareStripeVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const aDigits = DIGITS.test(a);
  const bDigits = DIGITS.test(b);
  if (aDigits !== bDigits) return aDigits ? -1 : 1;
  if (aDigits) {
    const [x, y] = [a.replace(/^0+(?=\d)/, ''), b.replace(/^0+(?=\d)/, '')];
    if (x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : 1;
}

function compareInstants(a: string, b: string): number {
  const diff = Date.parse(a) - Date.parse(b);
  return Number.isNaN(diff) ? 0 : Math.sign(diff);
}

/** Key-sorted JSON: a last, content-based tie-break so equal-ranked, equal-time terms still order the same way every time. */
function canonical(contract: Contract): string {
  const entries = Object.entries(contract)
    .filter(([, value]) => value !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * Total order of recorded terms by precedence: positive when `a` should be in force rather
 * than `b`. Rank first; within a rank the newer observation (Stripe: `stripeVersion`, then
 * `recordedAt`; people: `recordedAt`); then the content, so only identical terms compare equal.
 */
export function compareContracts(a: Contract, b: Contract): number {
  const byRank = sourceRank(a.source) - sourceRank(b.source);
  if (byRank !== 0) return byRank;
  if (isStripeSource(a.source)) {
    const byVersion = compareStripeVersions(a.stripeVersion, b.stripeVersion);
    if (byVersion !== 0) return byVersion;
  }
  const byTime = compareInstants(a.recordedAt, b.recordedAt);
  if (byTime !== 0) return byTime;
  const [x, y] = [canonical(a), canonical(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The terms in force after observing `candidate`: a lower-ranked source never replaces a
 * higher one; within a rank the newer wins. Being the maximum of a total order, folding any
 * set of observations in any order (Stripe delivers out of order and twice) gives one answer.
 */
export function chooseContract(current: Contract | undefined, candidate: Contract): Contract {
  if (current === undefined) return candidate;
  return compareContracts(candidate, current) > 0 ? candidate : current;
}
