import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type Policy, type PolicyInput } from '../../shared/domain/policy.ts';
import { termMonthsOf, type Contract } from '../../shared/domain/contract.ts';
import {
  addDaysToDate,
  addMonthsToDate,
  contractEndedReason,
  endOfLocalDay,
  localDate,
  localTimeOnDate,
  NO_CONTRACT_REASON,
  nextTermEnd,
  noticeDeadline,
  planForCause,
  planReview,
  planReviews,
  reviewPlanSchema,
  startOfLocalDay,
  termEndAt,
  TimingInputError,
  upcomingTerm,
  type PlanInput,
  type PlanSignal,
  type ReviewPlan,
} from '../../shared/domain/timing.ts';

const policyWith = (overrides: PolicyInput = {}): Policy => parsePolicy(overrides);
const utc = policyWith();

function contract(overrides: Partial<Contract> = {}): Contract {
  return {
    endDate: '2026-05-01',
    noticeDays: 30,
    renewal: 'auto',
    renewalTermMonths: 12,
    source: 'manual',
    recordedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const zones = ['UTC', 'America/Los_Angeles', 'Pacific/Auckland', 'America/Santiago', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'] as const;

const latePayer: PlanSignal[] = [{ reason: 'late_payer', at: '2025-12-20T09:00:00.000Z', evidence: { lateInvoices: 3 } }];

describe('calendar helpers', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-02-29', 48, '2028-02-29'],
    ['2026-01-31', 2, '2026-03-31'],
    ['2026-12-31', -10, '2026-02-28'],
  ])('addMonthsToDate(%s, %i) = %s (clamps to month end)', (date, months, expected) => {
    expect(addMonthsToDate(date, months)).toBe(expected);
  });

  it.each([
    ['UTC', '2026-04-01', '2026-04-01T00:00:00.000Z', '2026-04-01T23:59:59.999Z'],
    ['America/Los_Angeles', '2026-04-01', '2026-04-01T07:00:00.000Z', '2026-04-02T06:59:59.999Z'],
    ['Pacific/Auckland', '2026-04-01', '2026-03-31T11:00:00.000Z', '2026-04-01T10:59:59.999Z'],
    // DST ends in Auckland on 2026-04-05: that day is 25 hours long.
    ['Pacific/Auckland', '2026-04-05', '2026-04-04T11:00:00.000Z', '2026-04-05T11:59:59.999Z'],
    // Santiago skips midnight on 2024-09-08: the day starts at 01:00 local.
    ['America/Santiago', '2024-09-08', '2024-09-08T04:00:00.000Z', '2024-09-09T02:59:59.999Z'],
  ])('in %s, %s runs from %s to %s', (timeZone, date, start, end) => {
    expect(startOfLocalDay(date, timeZone).toISOString()).toBe(start);
    expect(endOfLocalDay(date, timeZone).toISOString()).toBe(end);
  });

  it.each([
    ['2026-04-02T03:00:00Z', 'UTC', '2026-04-02'],
    ['2026-04-02T03:00:00Z', 'America/Los_Angeles', '2026-04-01'],
    ['2026-04-01T12:00:00Z', 'Pacific/Auckland', '2026-04-02'],
  ])('localDate(%s, %s) = %s', (instant, timeZone, expected) => {
    expect(localDate(instant, timeZone)).toBe(expected);
  });
  const intlDate = (ms: number, timeZone: string): string =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);

  it('agree with Intl in any zone, whatever the process zone (run with TZ=America/Santiago too)', () => {
    const oddZones = [...zones, 'Australia/Lord_Howe', 'Asia/Tehran', 'America/Havana', 'Europe/Madrid'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...oddZones), (ms, timeZone) => {
        const date = localDate(ms, timeZone);
        expect(date).toBe(intlDate(ms, timeZone));
        const start = startOfLocalDay(date, timeZone).getTime();
        expect(start).toBeLessThanOrEqual(ms);
        expect(intlDate(start, timeZone)).toBe(date);
        expect(intlDate(start - 1, timeZone) < date).toBe(true);
        expect(endOfLocalDay(date, timeZone).getTime()).toBeGreaterThanOrEqual(ms);
        expect(intlDate(endOfLocalDay(date, timeZone).getTime() + 1, timeZone) > date).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('noticeDeadline, nextTermEnd, upcomingTerm', () => {
  it('D = E − N, with the policy default when the contract gives no notice period', () => {
    expect(noticeDeadline(contract({ endDate: '2026-05-01', noticeDays: 30 }), utc)).toBe('2026-04-01');
    expect(noticeDeadline(contract({ endDate: '2026-05-01', noticeDays: undefined }), policyWith({ noticeDays: 60 }))).toBe('2026-03-02');
    expect(noticeDeadline(contract({ endDate: '2026-03-01', noticeDays: 0 }), utc)).toBe('2026-03-01');
  });

  it('termEndAt counts from the original end, never chained', () => {
    const monthly = contract({ endDate: '2026-01-31', renewalTermMonths: 1 });
    expect([0, 1, 2, 3, 4].map((k) => termEndAt(monthly, k))).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31']);
  });

  it.each<[string, Partial<Contract>, string, string | null]>([
    ['recorded deadline ahead', {}, '2026-03-01T00:00:00Z', '2026-05-01'],
    ['deadline day itself, last millisecond', {}, '2026-04-01T23:59:59.999Z', '2026-05-01'],
    ['auto rolls a year', {}, '2026-04-02T00:00:00Z', '2027-05-01'],
    ['auto rolls many terms', { endDate: '2019-05-01' }, '2026-04-02T00:00:00Z', '2027-05-01'],
    ['evergreen rolls a period', { renewal: 'evergreen', renewalTermMonths: 1 }, '2026-04-02T00:00:00Z', '2026-06-01'],
    ['fixed past its deadline has none', { renewal: 'fixed', renewalTermMonths: undefined }, '2026-04-02T00:00:00Z', null],
  ])('nextTermEnd: %s', (_name, overrides, now, expected) => {
    expect(nextTermEnd(contract(overrides), utc, now)).toBe(expected);
  });

  it('upcomingTerm gives the window instants in the business zone', () => {
    const window = upcomingTerm(contract(), policyWith({ timeZone: 'America/Los_Angeles' }), '2026-01-01T00:00:00Z');
    expect(window).toEqual({
      termEnd: '2026-05-01',
      noticeDeadline: '2026-04-01',
      openAt: new Date('2026-03-18T07:00:00.000Z'),
      dueAt: new Date('2026-04-02T06:59:59.999Z'),
    });
  });
});

type Row = {
  name: string;
  contract?: Contract;
  policy?: Policy;
  now: string;
  expected: Partial<ReviewPlan>;
  /** Keys that must be absent. */
  absent?: Array<keyof ReviewPlan>;
};

/** 2026-01-01T10:00Z + 120 days = 2026-05-01: the acceptance example. */
const acceptanceNow = '2026-01-01T10:00:00.000Z';

const rows: Row[] = [
  {
    name: 'acceptance: late payer, contract ends in 120 days, 30 days notice, auto → scheduled, due E−30, opening 14 days before',
    contract: contract({ endDate: addDaysToDate('2026-01-01', 120) }),
    now: acceptanceNow,
    expected: {
      kind: 'review',
      status: 'scheduled',
      track: 'before_open',
      targetEnd: '2026-05-01',
      noticeDeadline: '2026-04-01',
      openAt: '2026-03-18T00:00:00.000Z',
      dueAt: '2026-04-01T23:59:59.999Z',
      reasons: ['late_payer'],
    },
  },
  {
    name: 'exactly at openAt → still scheduled (it opens by itself then)',
    contract: contract(),
    now: '2026-03-18T00:00:00.000Z',
    expected: { status: 'scheduled', track: 'before_open', openAt: '2026-03-18T00:00:00.000Z' },
  },
  {
    name: 'one millisecond after openAt → open, openAt kept at D − L, due D',
    contract: contract(),
    now: '2026-03-18T00:00:00.001Z',
    expected: {
      status: 'open',
      track: 'within_window',
      targetEnd: '2026-05-01',
      openAt: '2026-03-18T00:00:00.000Z',
      dueAt: '2026-04-01T23:59:59.999Z',
    },
  },
  {
    name: 'the last millisecond of the deadline day → open, still this term',
    contract: contract(),
    now: '2026-04-01T23:59:59.999Z',
    expected: { status: 'open', track: 'within_window', targetEnd: '2026-05-01', noticeDeadline: '2026-04-01' },
  },
  {
    name: 'auto, deadline already past → targets the next term end, scheduled against it',
    contract: contract(),
    now: '2026-04-02T00:00:00.000Z',
    expected: {
      status: 'scheduled',
      track: 'auto_rolled',
      targetEnd: '2027-05-01',
      noticeDeadline: '2027-04-01',
      openAt: '2027-03-18T00:00:00.000Z',
      dueAt: '2027-04-01T23:59:59.999Z',
      reasons: ['late_payer', 'notice deadline 2026-04-01 for the term ending 2026-05-01 has passed: targeting the term ending 2027-05-01'],
    },
  },
  {
    name: 'auto, several terms stale → the first renewal whose deadline is ahead',
    contract: contract({ endDate: '2021-05-01' }),
    now: '2026-04-15T00:00:00.000Z',
    expected: { track: 'auto_rolled', status: 'scheduled', targetEnd: '2027-05-01', noticeDeadline: '2027-04-01' },
  },
  {
    name: 'auto rolled, the new term already inside its window → open now',
    contract: contract({ endDate: '2026-01-31', renewalTermMonths: 1, noticeDays: 45 }),
    now: '2026-02-10T00:00:00.000Z',
    // 2026-02-28's deadline (01-14) passed; 2026-03-31's is 02-14, its window opened 01-31.
    expected: {
      track: 'auto_rolled',
      status: 'open',
      targetEnd: '2026-03-31',
      noticeDeadline: '2026-02-14',
      openAt: '2026-01-31T00:00:00.000Z',
      dueAt: '2026-02-14T23:59:59.999Z',
    },
  },
  {
    name: 'fixed, deadline past, term not over → open now, due at the term end',
    contract: contract({ renewal: 'fixed', renewalTermMonths: undefined }),
    now: '2026-04-10T12:00:00.000Z',
    expected: {
      status: 'open',
      track: 'fixed_past_deadline',
      targetEnd: '2026-05-01',
      noticeDeadline: '2026-04-01',
      openAt: '2026-03-18T00:00:00.000Z',
      dueAt: '2026-05-01T23:59:59.999Z',
      reasons: ['late_payer', 'notice deadline 2026-04-01 has passed: decide before the term ends on 2026-05-01 (do not renew)'],
    },
  },
  {
    name: 'fixed, on the term end day itself → still fixed_past_deadline',
    contract: contract({ renewal: 'fixed', renewalTermMonths: undefined }),
    now: '2026-05-01T23:59:59.999Z',
    expected: { track: 'fixed_past_deadline', dueAt: '2026-05-01T23:59:59.999Z', targetEnd: '2026-05-01' },
  },
  {
    name: 'fixed, term already over → open now asking for the current contract, no target',
    contract: contract({ renewal: 'fixed', renewalTermMonths: undefined }),
    now: '2026-05-02T00:00:00.000Z',
    expected: {
      status: 'open',
      track: 'contract_ended',
      openAt: '2026-05-02T00:00:00.000Z',
      dueAt: '2026-05-02T00:00:00.000Z',
      reasons: ['late_payer', contractEndedReason('2026-05-01')],
    },
    absent: ['targetEnd', 'noticeDeadline'],
  },
  {
    name: 'evergreen, recorded period deadline ahead → the recorded end, like any term',
    contract: contract({ renewal: 'evergreen', renewalTermMonths: 1 }),
    now: acceptanceNow,
    expected: { track: 'before_open', targetEnd: '2026-05-01' },
  },
  {
    name: 'evergreen, deadline past → the earliest period end whose deadline is ahead',
    contract: contract({ endDate: '2026-01-31', renewal: 'evergreen', renewalTermMonths: 1, noticeDays: 30 }),
    now: '2026-02-10T00:00:00.000Z',
    // 2026-02-28's deadline is 01-29 (passed); 2026-03-31's is 03-01, window opens 02-15.
    expected: {
      track: 'evergreen_period',
      status: 'scheduled',
      targetEnd: '2026-03-31',
      noticeDeadline: '2026-03-01',
      openAt: '2026-02-15T00:00:00.000Z',
      dueAt: '2026-03-01T23:59:59.999Z',
    },
  },
  {
    name: 'evergreen without a period length → monthly periods',
    contract: contract({ endDate: '2026-01-31', renewal: 'evergreen', renewalTermMonths: undefined, noticeDays: 30 }),
    now: '2026-02-10T00:00:00.000Z',
    expected: { track: 'evergreen_period', targetEnd: '2026-03-31' },
  },
  {
    name: 'evergreen quarterly periods',
    contract: contract({ endDate: '2026-01-31', renewal: 'evergreen', renewalTermMonths: 3, noticeDays: 30 }),
    now: '2026-02-10T00:00:00.000Z',
    expected: { track: 'evergreen_period', targetEnd: '2026-04-30', noticeDeadline: '2026-03-31' },
  },
  {
    name: 'no contract → open now, due now, asks finance to record it',
    now: acceptanceNow,
    expected: {
      kind: 'review',
      status: 'open',
      track: 'no_contract',
      openAt: acceptanceNow,
      dueAt: acceptanceNow,
      reasons: ['late_payer', NO_CONTRACT_REASON],
    },
    absent: ['targetEnd', 'noticeDeadline'],
  },
  {
    name: '29 Feb, yearly auto: the next term ends 28 Feb in a common year',
    contract: contract({ endDate: '2024-02-29', noticeDays: 30 }),
    now: '2024-06-01T00:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2025-02-28', noticeDeadline: '2025-01-29' },
  },
  {
    name: '29 Feb, yearly auto rolled into the next leap year returns to the 29th',
    contract: contract({ endDate: '2024-02-29', noticeDays: 30 }),
    now: '2027-03-01T00:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2028-02-29', noticeDeadline: '2028-01-30' },
  },
  {
    name: 'notice counted across 29 Feb: E 2028-03-15, 30 days → D 2028-02-14',
    contract: contract({ endDate: '2028-03-15', noticeDays: 30 }),
    now: '2028-02-01T00:00:00.000Z',
    expected: { track: 'within_window', noticeDeadline: '2028-02-14', openAt: '2028-01-31T00:00:00.000Z' },
  },
  {
    name: '31st, monthly auto: rolls to 31 Mar, not 28 Mar (counted from the original end)',
    contract: contract({ endDate: '2026-01-31', renewalTermMonths: 1, noticeDays: 0 }),
    policy: policyWith({ reviewLeadDays: 0 }),
    now: '2026-03-05T00:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2026-03-31', noticeDeadline: '2026-03-31', dueAt: '2026-03-31T23:59:59.999Z' },
  },
  {
    name: '31st, quarterly auto: 31 Jan → 30 Apr → 31 Jul',
    contract: contract({ endDate: '2026-01-31', renewalTermMonths: 3, noticeDays: 10 }),
    now: '2026-04-25T00:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2026-07-31', noticeDeadline: '2026-07-21' },
  },
  {
    name: 'Los Angeles: 03:00 UTC on 2 Apr is still 1 Apr locally → inside the window',
    contract: contract(),
    policy: policyWith({ timeZone: 'America/Los_Angeles' }),
    now: '2026-04-02T03:00:00.000Z',
    expected: {
      status: 'open',
      track: 'within_window',
      targetEnd: '2026-05-01',
      openAt: '2026-03-18T07:00:00.000Z',
      dueAt: '2026-04-02T06:59:59.999Z',
    },
  },
  {
    name: 'UTC control for the same instant: the deadline has passed → rolled',
    contract: contract(),
    now: '2026-04-02T03:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2027-05-01' },
  },
  {
    name: 'Auckland: 12:00 UTC on 1 Apr is already 2 Apr locally → past the deadline',
    contract: contract(),
    policy: policyWith({ timeZone: 'Pacific/Auckland' }),
    now: '2026-04-01T12:00:00.000Z',
    expected: { track: 'auto_rolled', targetEnd: '2027-05-01', dueAt: '2027-04-01T10:59:59.999Z' },
  },
  {
    name: 'UTC control for the Auckland instant: still inside the window',
    contract: contract(),
    now: '2026-04-01T12:00:00.000Z',
    expected: { track: 'within_window', targetEnd: '2026-05-01' },
  },
  {
    name: 'Auckland: openAt is local midnight, the day before in UTC',
    contract: contract(),
    policy: policyWith({ timeZone: 'Pacific/Auckland' }),
    now: '2026-03-17T10:59:59.999Z',
    expected: { status: 'scheduled', track: 'before_open', openAt: '2026-03-17T11:00:00.000Z', dueAt: '2026-04-01T10:59:59.999Z' },
  },
  {
    name: 'policy notice default and lead apply',
    contract: contract({ noticeDays: undefined }),
    policy: policyWith({ noticeDays: 60, reviewLeadDays: 7 }),
    now: acceptanceNow,
    expected: { noticeDeadline: '2026-03-02', openAt: '2026-02-23T00:00:00.000Z', dueAt: '2026-03-02T23:59:59.999Z' },
  },
];

describe('planReview: every branch', () => {
  it.each(rows)('$name', (row) => {
    const plan = planReview({ contract: row.contract, signals: latePayer, policy: row.policy ?? utc, now: row.now });
    expect(plan).not.toBeNull();
    expect(reviewPlanSchema.parse(plan)).toEqual(plan);
    expect(plan).toMatchObject(row.expected);
    for (const key of row.absent ?? []) expect(plan).not.toHaveProperty(key);
  });

  it('returns null without signals, with or without a contract', () => {
    expect(planReview({ contract: contract(), signals: [], policy: utc, now: acceptanceNow })).toBeNull();
    expect(planReview({ signals: [], policy: utc, now: acceptanceNow })).toBeNull();
  });

  it('lists each reason once, by when it first held, whatever the input order', () => {
    const signals: PlanSignal[] = [
      { reason: 'unprofitable', at: '2026-01-01T00:00:00Z' },
      { reason: 'late_payer', at: '2025-11-01T00:00:00Z' },
      { reason: 'unprofitable', at: '2025-10-01T00:00:00Z' },
      { reason: 'abusive', at: '2025-11-01T00:00:00Z' },
    ];
    const forward = planReview({ contract: contract(), signals, policy: utc, now: acceptanceNow });
    const backward = planReview({ contract: contract(), signals: [...signals].reverse(), policy: utc, now: acceptanceNow });
    expect(forward?.reasons).toEqual(['unprofitable', 'abusive', 'late_payer']);
    expect(backward).toEqual(forward);
  });

  it('accepts now as a Date or an ISO string alike', () => {
    const input = { contract: contract(), signals: latePayer, policy: utc };
    expect(planReview({ ...input, now: new Date(acceptanceNow) })).toEqual(planReview({ ...input, now: acceptanceNow }));
  });

  it('refuses an invalid now or signal time with a named error', () => {
    expect(() => planReview({ contract: contract(), signals: latePayer, policy: utc, now: 'yesterday' })).toThrow(TimingInputError);
    expect(() => planReview({ contract: contract(), signals: [{ reason: 'late_payer', at: 'soon' }], policy: utc, now: acceptanceNow })).toThrow(
      TimingInputError,
    );
  });
});

describe('for-cause track', () => {
  const trigger = { at: '2026-01-01T00:00:00Z', reason: 'invoice in_123 unpaid 30 days past due' };
  const enabled = policyWith({ forCause: { enabled: true } });

  it('is off by default: no plan even with a trigger', () => {
    expect(planForCause({ policy: utc, now: acceptanceNow, forCauseTrigger: trigger })).toBeNull();
    expect(planReviews({ contract: contract(), signals: latePayer, policy: utc, now: acceptanceNow, forCauseTrigger: trigger })).toEqual([
      planReview({ contract: contract(), signals: latePayer, policy: utc, now: acceptanceNow }),
    ]);
  });

  it('enabled without a trigger: no plan', () => {
    expect(planForCause({ policy: enabled, now: acceptanceNow })).toBeNull();
  });

  it('enabled with a trigger: a separate review, open now, not tied to a term end', () => {
    const plan = planForCause({ policy: enabled, now: acceptanceNow, forCauseTrigger: trigger });
    expect(plan).toEqual({
      kind: 'for_cause',
      status: 'open',
      openAt: acceptanceNow,
      dueAt: acceptanceNow,
      reasons: [trigger.reason],
      track: 'for_cause',
    });
    expect(reviewPlanSchema.parse(plan)).toEqual(plan);
  });

  it('planReviews gives both plans; planReview alone never turns into the for-cause one', () => {
    const input: PlanInput = { contract: contract(), signals: latePayer, policy: enabled, now: acceptanceNow, forCauseTrigger: trigger };
    const plans = planReviews(input);
    expect(plans.map((plan) => [plan.kind, plan.track])).toEqual([
      ['review', 'before_open'],
      ['for_cause', 'for_cause'],
    ]);
    expect(planReview(input)?.kind).toBe('review');
    // A trigger alone (no signals yet) still opens the for-cause review.
    expect(planReviews({ ...input, signals: [] }).map((plan) => plan.kind)).toEqual(['for_cause']);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const DAY_MS = 86_400_000;
const EPOCH_2020 = Date.UTC(2020, 0, 1);

const contractArb: fc.Arbitrary<Contract> = fc
  .record({
    endOffsetDays: fc.integer({ min: 0, max: 16 * 366 }),
    endOfMonth: fc.boolean(),
    renewal: fc.constantFrom('auto', 'fixed', 'evergreen'),
    renewalTermMonths: fc.option(fc.integer({ min: 1, max: 36 }), { nil: undefined }),
    noticeDays: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  })
  .map(({ endOffsetDays, endOfMonth, renewal, renewalTermMonths, noticeDays }) => {
    let endDate = addDaysToDate('2020-01-01', endOffsetDays);
    // Month-end dates are where clamping bites: make them common.
    if (endOfMonth) endDate = addDaysToDate(addMonthsToDate(`${endDate.slice(0, 7)}-01`, 1), -1);
    return contract({ endDate, renewal, renewalTermMonths, noticeDays });
  });

const policyArb = fc
  .record({
    timeZone: fc.constantFrom(...zones),
    reviewLeadDays: fc.integer({ min: 0, max: 60 }),
    noticeDays: fc.integer({ min: 0, max: 120 }),
  })
  .map((overrides) => policyWith(overrides));

const instantArb = fc.integer({ min: EPOCH_2020 - 400 * DAY_MS, max: EPOCH_2020 + 20 * 366 * DAY_MS });

const signalsArb = fc.array(
  fc.record({ reason: fc.constantFrom('late_payer', 'unprofitable', 'disputes', 'abusive'), at: instantArb.map((ms) => new Date(ms).toISOString()) }),
  { minLength: 1, maxLength: 5 },
);

function monthIndex(date: string): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
}

/** k such that targetEnd = termEndAt(contract, k), or undefined when it is no term end. */
function termIndexOf(c: Contract, targetEnd: string): number | undefined {
  if (c.renewal === 'fixed') return targetEnd === c.endDate ? 0 : undefined;
  const months = monthIndex(targetEnd) - monthIndex(c.endDate);
  const term = termMonthsOf(c);
  if (months < 0 || months % term !== 0) return undefined;
  const k = months / term;
  return termEndAt(c, k) === targetEnd ? k : undefined;
}

describe('planReview properties', () => {
  it('targets a term end on or after today, with openAt ≤ dueAt ≤ end of that day, due at its notice deadline', () => {
    fc.assert(
      fc.property(contractArb, policyArb, signalsArb, instantArb, (c, policy, signals, nowMs) => {
        const now = new Date(nowMs);
        const plan = planReview({ contract: c, signals, policy, now });
        expect(plan).not.toBeNull();
        if (plan === null) return;
        expect(reviewPlanSchema.safeParse(plan).success).toBe(true);
        const openAt = Date.parse(plan.openAt);
        const dueAt = Date.parse(plan.dueAt);
        expect(openAt).toBeLessThanOrEqual(dueAt);
        // An open review is never born overdue.
        expect(nowMs).toBeLessThanOrEqual(dueAt);

        if (plan.track === 'contract_ended') {
          expect(plan).toMatchObject({ status: 'open', openAt: now.toISOString(), dueAt: now.toISOString() });
          expect(c.renewal).toBe('fixed');
          expect(nowMs).toBeGreaterThan(endOfLocalDay(c.endDate, policy.timeZone).getTime());
          expect(plan.targetEnd).toBeUndefined();
          return;
        }
        // Against a term: scheduled exactly when now has not passed openAt.
        expect(plan.status === 'scheduled').toBe(nowMs <= openAt);
        const targetEnd = plan.targetEnd;
        expect(targetEnd).toBeDefined();
        if (targetEnd === undefined) return;
        const k = termIndexOf(c, targetEnd);
        expect(k, `${targetEnd} is not a term end of ${JSON.stringify(c)}`).toBeDefined();
        expect(targetEnd >= localDate(now, policy.timeZone)).toBe(true);
        expect(dueAt).toBeLessThanOrEqual(endOfLocalDay(targetEnd, policy.timeZone).getTime());
        expect(plan.noticeDeadline).toBe(noticeDeadline(c, policy, targetEnd));
        expect(plan.openAt).toBe(startOfLocalDay(addDaysToDate(plan.noticeDeadline ?? '', -policy.reviewLeadDays), policy.timeZone).toISOString());
        if (plan.track === 'fixed_past_deadline') {
          expect(plan.dueAt).toBe(endOfLocalDay(targetEnd, policy.timeZone).toISOString());
        } else {
          expect(plan.dueAt).toBe(endOfLocalDay(plan.noticeDeadline ?? '', policy.timeZone).toISOString());
        }
        // The earliest possible term: the one before it had its deadline pass already.
        if (k !== undefined && k > 0) {
          const previous = noticeDeadline(c, policy, termEndAt(c, k - 1));
          expect(nowMs).toBeGreaterThan(endOfLocalDay(previous, policy.timeZone).getTime());
          expect(plan.track).toBe(c.renewal === 'auto' ? 'auto_rolled' : 'evergreen_period');
        } else {
          expect(['before_open', 'within_window', 'fixed_past_deadline']).toContain(plan.track);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: planning twice, or with the signals reordered, gives the same plan', () => {
    fc.assert(
      fc.property(
        fc.option(contractArb, { nil: undefined }),
        policyArb,
        signalsArb.chain((signals) => fc.tuple(fc.constant(signals), fc.shuffledSubarray(signals, { minLength: signals.length, maxLength: signals.length }))),
        instantArb,
        (c, policy, [signals, shuffled], nowMs) => {
          const first = planReview({ contract: c, signals, policy, now: new Date(nowMs) });
          const again = planReview({ contract: structuredClone(c), signals: structuredClone(shuffled), policy, now: new Date(nowMs).toISOString() });
          expect(again).toEqual(first);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('re-planning later, before the due time, keeps the same target and dates (only status and track may move on)', () => {
    fc.assert(
      fc.property(contractArb, policyArb, signalsArb, instantArb, fc.integer({ min: 0, max: 90 * DAY_MS }), (c, policy, signals, nowMs, later) => {
        const first = planReview({ contract: c, signals, policy, now: new Date(nowMs) });
        const second = planReview({ contract: c, signals, policy, now: new Date(nowMs + later) });
        if (first === null || second === null || first.targetEnd === undefined) return;
        if (nowMs + later > Date.parse(first.dueAt)) return;
        expect({ ...second, status: first.status, track: first.track }).toEqual(first);
        if (first.status === 'open') expect(second.status).toBe('open');
        if (first.track !== second.track) expect([first.track, second.track]).toEqual(['before_open', 'within_window']);
      }),
      { numRuns: 300 },
    );
  });

  it('without a contract: always open now, due now, asking for the contract', () => {
    fc.assert(
      fc.property(policyArb, signalsArb, instantArb, (policy, signals, nowMs) => {
        const plan = planReview({ signals, policy, now: new Date(nowMs) });
        const iso = new Date(nowMs).toISOString();
        expect(plan).toMatchObject({ status: 'open', track: 'no_contract', openAt: iso, dueAt: iso });
        expect(plan?.reasons.at(-1)).toBe(NO_CONTRACT_REASON);
        expect(plan?.targetEnd).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('localTimeOnDate', () => {
  it('is the wall-clock time on that date in the zone, across clock changes', () => {
    expect(localTimeOnDate('2027-01-15', '06:00', 'UTC').toISOString()).toBe('2027-01-15T06:00:00.000Z');
    expect(localTimeOnDate('2027-01-15', '07:30', 'Europe/Madrid').toISOString()).toBe('2027-01-15T06:30:00.000Z');
    expect(localTimeOnDate('2027-07-15', '07:30', 'Europe/Madrid').toISOString()).toBe('2027-07-15T05:30:00.000Z');
    // Spring forward in Madrid on 2027-03-28: 02:00 → 03:00. 02:30 does not exist: 03:30.
    expect(localTimeOnDate('2027-03-28', '02:30', 'Europe/Madrid').toISOString()).toBe('2027-03-28T01:30:00.000Z');
    expect(localTimeOnDate('2027-03-28', '06:00', 'Europe/Madrid').toISOString()).toBe('2027-03-28T04:00:00.000Z');
    // Fall back on 2027-10-31: 03:00 → 02:00. 02:30 happens twice: the first one.
    expect(localTimeOnDate('2027-10-31', '02:30', 'Europe/Madrid').toISOString()).toBe('2027-10-31T00:30:00.000Z');
    expect(localTimeOnDate('2027-06-01', '23:59', 'America/New_York').toISOString()).toBe('2027-06-02T03:59:00.000Z');
  });
});

describe('days left and overrides, in the policy time zone', () => {
  // 23:30 UTC on the 9th is already 00:30 on the 10th in Madrid.
  const lateEvening = new Date('2027-01-09T23:30:00Z');

  it("counts a deadline's days left to the end of its day where the deadline is", async () => {
    const { daysUntilEndOf } = await import('../../shared/domain/timing.ts');
    expect(daysUntilEndOf('2027-01-10', 'UTC', lateEvening)).toBe(2);
    expect(daysUntilEndOf('2027-01-10', 'Europe/Madrid', lateEvening)).toBe(1);
    expect(daysUntilEndOf('2027-01-09', 'Europe/Madrid', lateEvening)).toBe(0);
  });

  it("ends an override's `until` day where the business is", async () => {
    const { activeOverrides } = await import('../../shared/domain/account-inputs.ts');
    const overrides = { exclusions: [{ scope: 'late_payer' as const, reason: 'agreed payment plan', until: '2027-01-09' }], invoiceHolds: [], policy: {} };
    expect(activeOverrides(overrides, lateEvening, 'UTC').exclusions).toHaveLength(1);
    expect(activeOverrides(overrides, lateEvening, 'Europe/Madrid').exclusions).toHaveLength(0);
  });
});
