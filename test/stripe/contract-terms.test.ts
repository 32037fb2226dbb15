import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contractFromStripe,
  StripeContractInputError,
  subscriptionBillingMonths,
  subscriptionPeriodEnd,
  type StripeContractInput,
} from '../../shared/stripe/contract-terms.ts';
import {
  chooseContract,
  compareStripeVersions,
  contractBodySchema,
  contractFromBody,
  contractSchema,
  sourceRank,
  type Contract,
  type ContractSource,
} from '../../shared/domain/contract.ts';

type Json = Record<string, any>;

/** Stripe's own example objects in the current API shape (`../shared/stripe/fixtures3.json`). */
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8')) as {
  resources: Record<string, Json>;
};
const fixture = (name: string): Json => structuredClone(fixtures.resources[name] ?? {});

/** Epoch seconds of an ISO instant. */
const epoch = (iso: string): number => Date.parse(iso) / 1000;

/** A live subscription: no cancellation, no schedule, empty metadata; period ends 2026-07-01. */
function subscription(overrides: Json = {}): Json {
  const sub = fixture('subscription');
  sub.cancel_at = null;
  sub.cancel_at_period_end = false;
  sub.canceled_at = null;
  sub.ended_at = null;
  sub.metadata = {};
  sub.items.data[0].current_period_start = epoch('2026-06-01T00:00:00Z');
  sub.items.data[0].current_period_end = epoch('2026-07-01T00:00:00Z');
  return { ...sub, ...overrides };
}

/** An active schedule whose current one-year phase ends 2026-09-30T12:00Z, then releases. */
function schedule(overrides: Json = {}): Json {
  const sched = fixture('subscription_schedule');
  sched.status = 'active';
  sched.current_phase = { start_date: epoch('2025-09-30T12:00:00Z'), end_date: epoch('2026-09-30T12:00:00Z') };
  return { ...sched, ...overrides };
}

function customer(metadata: Json = {}): Json {
  return { ...fixture('customer'), metadata };
}

const observedAt = '2026-06-15T08:00:00.000Z';
const read = (input: Partial<StripeContractInput>) => contractFromStripe({ observedAt, version: '1750000000', timeZone: 'UTC', ...input });

describe('contractBodySchema', () => {
  it.each([
    [{ endDate: '2026-12-31', renewal: 'auto' }],
    [{ endDate: '2028-02-29', noticeDays: 0, renewal: 'fixed' }],
    [{ endDate: '2026-12-31', noticeDays: 90, renewal: 'evergreen', renewalTermMonths: 3 }],
  ])('accepts %j', (body) => {
    expect(contractBodySchema.parse(body)).toEqual(body);
  });

  it.each<[string, unknown, string, string]>([
    ['a day that does not exist', { endDate: '2026-02-30', renewal: 'auto' }, 'endDate', '2026-02-30 is not a real calendar date'],
    ['29 Feb of a common year', { endDate: '2027-02-29', renewal: 'auto' }, 'endDate', '2027-02-29 is not a real calendar date'],
    ['another format', { endDate: '31/12/2026', renewal: 'auto' }, 'endDate', 'must be a date in YYYY-MM-DD form, e.g. 2026-03-31'],
    ['a timestamp', { endDate: '2026-12-31T00:00:00Z', renewal: 'auto' }, 'endDate', 'must be a date in YYYY-MM-DD form, e.g. 2026-03-31'],
    ['a mistyped year', { endDate: '0206-12-31', renewal: 'auto' }, 'endDate', 'must be between 1970-01-01 and 2999-12-31'],
    ['a missing end date', { renewal: 'auto' }, 'endDate', 'is required'],
    ['negative notice', { endDate: '2026-12-31', renewal: 'auto', noticeDays: -1 }, 'noticeDays', 'must be 0 or more days'],
    ['fractional notice', { endDate: '2026-12-31', renewal: 'auto', noticeDays: 30.5 }, 'noticeDays', 'must be a whole number of days'],
    ['notice as a string', { endDate: '2026-12-31', renewal: 'auto', noticeDays: '30' }, 'noticeDays', 'must be a number of days'],
    ['an unknown renewal', { endDate: '2026-12-31', renewal: 'monthly' }, 'renewal', 'must be one of "auto", "fixed" or "evergreen"'],
    ['a missing renewal', { endDate: '2026-12-31' }, 'renewal', 'is required'],
    ['a zero term', { endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 0 }, 'renewalTermMonths', 'must be between 1 and 120 months'],
    ['a huge term', { endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 121 }, 'renewalTermMonths', 'must be between 1 and 120 months'],
    ['a fractional term', { endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 1.5 }, 'renewalTermMonths', 'must be a whole number of months'],
    [
      'a misspelt field',
      { endDate: '2026-12-31', renewal: 'auto', renewalTermMonth: 24 },
      '',
      'unknown field "renewalTermMonth": expected endDate, noticeDays, renewal, renewalTermMonths, cureDays',
    ],
  ])('rejects %s, naming the problem', (_name, body, path, message) => {
    const result = contractBodySchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([[path, message]]);
  });
});

describe('contractFromBody', () => {
  const meta = { source: 'manual' as const, recordedAt: '2026-01-01T00:00:00.000Z' };
  it.each<[string, Json, Json]>([
    ['auto defaults to yearly renewals', { endDate: '2026-12-31', renewal: 'auto' }, { renewalTermMonths: 12 }],
    ['evergreen defaults to monthly periods', { endDate: '2026-12-31', renewal: 'evergreen' }, { renewalTermMonths: 1 }],
    ['a given term is kept', { endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 24 }, { renewalTermMonths: 24 }],
    ['fixed gets no invented term', { endDate: '2026-12-31', renewal: 'fixed' }, {}],
  ])('%s', (_name, body, extra) => {
    const stored = contractFromBody(contractBodySchema.parse(body), meta);
    expect(stored).toEqual({ ...body, ...extra, ...meta });
    expect(contractSchema.parse(stored)).toEqual(stored);
  });

  it('leaves noticeDays absent when not given, so the policy default applies later', () => {
    expect(contractFromBody({ endDate: '2026-12-31', renewal: 'auto' }, meta)).not.toHaveProperty('noticeDays');
  });
});

function stored(overrides: Partial<Contract>): Contract {
  return { endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 12, source: 'manual', recordedAt: '2026-01-01T00:00:00.000Z', ...overrides };
}

describe('sourceRank and chooseContract', () => {
  it('ranks people equally, above metadata, above a schedule, above cancel_at', () => {
    expect(sourceRank('manual')).toBe(sourceRank('csv'));
    expect(sourceRank('csv')).toBeGreaterThan(sourceRank('stripe_metadata'));
    expect(sourceRank('stripe_metadata')).toBeGreaterThan(sourceRank('stripe_schedule'));
    expect(sourceRank('stripe_schedule')).toBeGreaterThan(sourceRank('stripe_cancel_at'));
  });

  const person = stored({ source: 'csv', endDate: '2027-03-31' });
  const metadata = stored({ source: 'stripe_metadata', endDate: '2026-10-31', stripeVersion: '1700000000', recordedAt: '2026-05-01T00:00:00.000Z' });
  it.each<[string, Contract | undefined, Contract, Contract]>([
    ['anything beats nothing', undefined, metadata, metadata],
    ['a newer Stripe observation never replaces a person', person, metadata, person],
    ['a person replaces Stripe terms', metadata, person, person],
    ['a schedule never replaces metadata', metadata, stored({ source: 'stripe_schedule', stripeVersion: '1800000000' }), metadata],
    [
      'newer metadata replaces older metadata (by stripeVersion, numerically)',
      metadata,
      { ...metadata, endDate: '2027-10-31', stripeVersion: '1700000001', recordedAt: '2026-04-01T00:00:00.000Z' },
      { ...metadata, endDate: '2027-10-31', stripeVersion: '1700000001', recordedAt: '2026-04-01T00:00:00.000Z' },
    ],
    [
      'an older metadata observation arriving late is ignored',
      { ...metadata, stripeVersion: '1700000001' },
      metadata,
      { ...metadata, stripeVersion: '1700000001' },
    ],
    [
      'manual and csv: the later recording wins',
      person,
      stored({ source: 'manual', endDate: '2028-01-31', recordedAt: '2026-02-01T00:00:00.000Z' }),
      stored({ source: 'manual', endDate: '2028-01-31', recordedAt: '2026-02-01T00:00:00.000Z' }),
    ],
    [
      'csv recorded earlier than the manual terms does not replace them',
      stored({ source: 'manual', recordedAt: '2026-03-01T00:00:00.000Z' }),
      person,
      stored({ source: 'manual', recordedAt: '2026-03-01T00:00:00.000Z' }),
    ],
  ])('%s', (_name, current, candidate, expected) => {
    expect(chooseContract(current, candidate)).toEqual(expected);
  });

  it('compares versions: absent < digits (numerically) < other strings', () => {
    expect(compareStripeVersions('9', '10')).toBeLessThan(0);
    expect(compareStripeVersions('010', '10')).toBe(0);
    expect(compareStripeVersions(undefined, '1')).toBeLessThan(0);
    expect(compareStripeVersions('99999999999', '2026-01-01T00:00:00Z')).toBeLessThan(0);
    expect(compareStripeVersions('2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z')).toBeGreaterThan(0);
  });

  const stripeSources: ContractSource[] = ['stripe_metadata', 'stripe_schedule', 'stripe_cancel_at'];
  const observationArb = fc.record({
    endDate: fc.constantFrom('2026-06-30', '2026-12-31', '2027-06-30'),
    renewal: fc.constantFrom('auto' as const, 'fixed' as const, 'evergreen' as const),
    source: fc.constantFrom(...stripeSources),
    // Few distinct values so equal ranks and equal versions (ties) are common.
    stripeVersion: fc.option(fc.constantFrom('9', '10', '0010', '1750000000', '2026-01-01T00:00:00Z'), { nil: undefined }),
    recordedAt: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00.000Z'),
    sourceRef: fc.option(fc.constantFrom('sub_1', 'sub_sched_1'), { nil: undefined }),
  }) as fc.Arbitrary<Contract>;
  const permutedArb = fc
    .array(observationArb, { minLength: 1, maxLength: 8 })
    .chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })));
  const fold = (list: Contract[]) => list.reduce<Contract | undefined>((current, next) => chooseContract(current, next), undefined);

  it('is order-independent across Stripe observations (out-of-order and repeated delivery)', () => {
    fc.assert(
      fc.property(permutedArb, ([list, permuted]) => {
        expect(fold(permuted)).toEqual(fold(list));
        expect(fold([...list, ...permuted])).toEqual(fold(list));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the highest-ranked source, and within it the newest version', () => {
    fc.assert(
      fc.property(fc.array(observationArb, { minLength: 1, maxLength: 8 }), (list) => {
        const chosen = fold(list);
        if (chosen === undefined) throw new Error('unreachable: the list is non-empty');
        const topRank = Math.max(...list.map((c) => sourceRank(c.source)));
        expect(sourceRank(chosen.source)).toBe(topRank);
        for (const other of list.filter((c) => sourceRank(c.source) === topRank)) {
          expect(compareStripeVersions(chosen.stripeVersion, other.stripeVersion)).toBeGreaterThanOrEqual(0);
        }
        expect(list).toContainEqual(chosen);
      }),
      { numRuns: 500 },
    );
  });
});

describe('subscriptionPeriodEnd and subscriptionBillingMonths', () => {
  it('reads the current shape (items.data[].current_period_end), the latest when items differ', () => {
    const sub = subscription();
    sub.items.data.push({ ...sub.items.data[0], id: 'si_2', current_period_end: epoch('2026-08-01T00:00:00Z') });
    expect(subscriptionPeriodEnd(sub)).toBe(epoch('2026-08-01T00:00:00Z'));
  });

  it('reads the older shape (subscription.current_period_end)', () => {
    const older = { id: 'sub_old', object: 'subscription', current_period_end: epoch('2026-07-01T00:00:00Z'), items: { data: [{ id: 'si_old' }] } };
    expect(subscriptionPeriodEnd(older)).toBe(epoch('2026-07-01T00:00:00Z'));
  });

  it.each([[undefined], [null], ['sub_123'], [{ items: { data: [] } }]])('is undefined for %j', (value) => {
    expect(subscriptionPeriodEnd(value)).toBeUndefined();
  });

  it.each<[string, Json, number | undefined]>([
    ['monthly price', { interval: 'month', interval_count: 1 }, 1],
    ['quarterly price', { interval: 'month', interval_count: 3 }, 3],
    ['yearly price', { interval: 'year', interval_count: 1 }, 12],
    ['weekly price', { interval: 'week', interval_count: 1 }, undefined],
  ])('billing months: %s', (_name, recurring, expected) => {
    const sub = subscription();
    sub.items.data[0].price.recurring = { ...sub.items.data[0].price.recurring, ...recurring };
    delete sub.items.data[0].plan;
    expect(subscriptionBillingMonths(sub)).toBe(expected);
  });
});

describe('contractFromStripe', () => {
  it('reads nothing from objects without terms', () => {
    expect(read({ subscription: subscription(), customer: customer() })).toEqual({ contract: null, warnings: [] });
    expect(read({})).toEqual({ contract: null, warnings: [] });
  });

  it('Stripe fixture objects as they are: the schedule phase wins over cancel_at (release → evergreen)', () => {
    const result = read({
      subscription: fixture('subscription'),
      schedule: fixture('subscription_schedule'),
      customer: fixture('customer'),
    });
    expect(result.warnings).toEqual([]);
    expect(result.contract).toMatchObject({
      endDate: '2024-08-31',
      renewal: 'evergreen',
      renewalTermMonths: 1,
      source: 'stripe_schedule',
      sourceRef: 'sub_sched_1Pgc7AB7WZ01zgkWaeHcsbnC',
    });
  });

  it('subscription metadata → stripe_metadata terms, stamped with the observation', () => {
    const sub = subscription({
      metadata: { contract_end_date: '2027-03-31', notice_period_days: '45', renewal: 'fixed', renewal_term_months: '24' },
    });
    const result = read({ subscription: sub, schedule: schedule(), customer: customer({ contract_end_date: '2030-01-01' }) });
    expect(result).toEqual({
      contract: {
        endDate: '2027-03-31',
        noticeDays: 45,
        renewal: 'fixed',
        renewalTermMonths: 24,
        source: 'stripe_metadata',
        sourceRef: sub.id,
        recordedAt: observedAt,
        stripeVersion: '1750000000',
      },
      warnings: [],
    });
    expect(contractSchema.parse(result.contract)).toEqual(result.contract);
  });

  it('failing the subscription, the customer metadata', () => {
    const cus = customer({ contract_end_date: '2026-12-31', renewal: 'Auto', renewal_term_months: '12' });
    const result = read({ subscription: subscription(), customer: cus });
    expect(result.contract).toMatchObject({ endDate: '2026-12-31', renewal: 'auto', renewalTermMonths: 12, source: 'stripe_metadata', sourceRef: cus.id });
    expect(result.contract).not.toHaveProperty('noticeDays');
  });

  it('an invalid subscription value falls back to the customer value, with a warning', () => {
    const sub = subscription({ metadata: { contract_end_date: '2026-02-30', renewal: 'auto' } });
    const result = read({ subscription: sub, customer: customer({ contract_end_date: '2026-11-30' }) });
    expect(result.contract).toMatchObject({ endDate: '2026-11-30', renewal: 'auto', source: 'stripe_metadata' });
    expect(result.warnings).toEqual([`subscription ${sub.id} metadata contract_end_date="2026-02-30" 2026-02-30 is not a real calendar date; ignored`]);
  });

  it('invalid metadata everywhere → the next source (the schedule), each value reported', () => {
    const sub = subscription({
      metadata: { contract_end_date: '31/12/2026', notice_period_days: '30.5', renewal: 'monthly', renewal_term_months: '0' },
    });
    const result = read({ subscription: sub, schedule: schedule() });
    expect(result.contract).toMatchObject({ source: 'stripe_schedule', endDate: '2026-09-30', renewal: 'evergreen' });
    expect(result.contract).not.toHaveProperty('noticeDays');
    expect(result.warnings).toEqual([
      `subscription ${sub.id} metadata contract_end_date="31/12/2026" must be a date in YYYY-MM-DD form, e.g. 2026-03-31; ignored`,
      `subscription ${sub.id} metadata notice_period_days="30.5" must be a whole number of days; ignored`,
      `subscription ${sub.id} metadata renewal="monthly" must be one of "auto", "fixed" or "evergreen"; ignored`,
      `subscription ${sub.id} metadata renewal_term_months="0" must be between 1 and 120 months; ignored`,
    ]);
  });

  it('cure_period_days gives the contract its cure period (the for-cause track), from the subscription or the customer', () => {
    const fromSub = read({ subscription: subscription({ metadata: { contract_end_date: '2026-12-31', renewal: 'auto', cure_period_days: '15' } }) });
    expect(fromSub).toMatchObject({ contract: { endDate: '2026-12-31', cureDays: 15 }, warnings: [] });
    const fromCustomer = read({
      subscription: subscription({ metadata: { contract_end_date: '2026-12-31', renewal: 'auto' } }),
      customer: customer({ cure_period_days: '7' }),
    });
    expect(fromCustomer.contract).toMatchObject({ cureDays: 7 });
    const bad = read({ subscription: subscription({ metadata: { contract_end_date: '2026-12-31', renewal: 'auto', cure_period_days: '-1' } }) });
    expect(bad.contract).not.toHaveProperty('cureDays');
    expect(bad.warnings).toEqual([expect.stringContaining('cure_period_days="-1" must be 0 or more days; ignored')]);
  });

  it.each([['-5'], ['abc'], ['1e3']])('notice_period_days=%s is ignored with a warning', (raw) => {
    const result = read({ subscription: subscription({ metadata: { contract_end_date: '2026-12-31', renewal: 'auto', notice_period_days: raw } }) });
    expect(result.contract).toMatchObject({ endDate: '2026-12-31' });
    expect(result.contract).not.toHaveProperty('noticeDays');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(`notice_period_days="${raw}"`);
  });

  it('metadata without a renewal kind: assumed auto, or fixed when the subscription is set to cancel, with a warning', () => {
    const plain = read({ subscription: subscription({ metadata: { contract_end_date: '2026-12-31' } }) });
    expect(plain.contract).toMatchObject({ renewal: 'auto', renewalTermMonths: 12, source: 'stripe_metadata' });
    expect(plain.warnings).toEqual(['metadata gives contract_end_date but no usable renewal; assumed auto']);
    const cancelling = read({ subscription: subscription({ metadata: { contract_end_date: '2026-12-31' }, cancel_at: epoch('2026-12-31T00:00:00Z') }) });
    expect(cancelling.contract).toMatchObject({ renewal: 'fixed', source: 'stripe_metadata' });
  });

  it('evergreen metadata without an end date ends at the current billing period end (current and older shapes)', () => {
    const current = read({ subscription: subscription({ metadata: { renewal: 'evergreen', notice_period_days: '15' } }) });
    expect(current.contract).toMatchObject({ endDate: '2026-07-01', renewal: 'evergreen', renewalTermMonths: 1, noticeDays: 15, source: 'stripe_metadata' });
    const older = {
      id: 'sub_old',
      object: 'subscription',
      metadata: { renewal: 'evergreen' },
      current_period_end: epoch('2026-07-15T00:00:00Z'),
      plan: { interval: 'year', interval_count: 1 },
    };
    expect(read({ subscription: older }).contract).toMatchObject({ endDate: '2026-07-15', renewalTermMonths: 12, sourceRef: 'sub_old' });
  });

  it('metadata terms without an end date and nothing else to go on: no contract, with a warning', () => {
    const result = read({ subscription: subscription({ metadata: { renewal: 'auto', notice_period_days: '30' } }) });
    expect(result).toEqual({ contract: null, warnings: ['metadata gives contract terms but no usable contract_end_date; no contract read'] });
  });

  it.each<[string, Json, Json]>([
    ['end_behavior cancel → fixed', { end_behavior: 'cancel' }, { renewal: 'fixed', endDate: '2026-09-30' }],
    ['end_behavior release → evergreen with the billing period', { end_behavior: 'release' }, { renewal: 'evergreen', renewalTermMonths: 1 }],
    ['legacy end_behavior renew → auto, the phase length as term', { end_behavior: 'renew' }, { renewal: 'auto', renewalTermMonths: 12 }],
  ])('schedule: %s', (_name, overrides, expected) => {
    const result = read({ subscription: subscription(), schedule: schedule(overrides) });
    expect(result.contract).toMatchObject({ ...expected, source: 'stripe_schedule' });
    if (expected.renewal === 'fixed') expect(result.contract).not.toHaveProperty('renewalTermMonths');
  });

  it('schedule release with metadata saying otherwise: the metadata renewal kind and notice apply', () => {
    const sub = subscription({ metadata: { renewal: 'auto', renewal_term_months: '6', notice_period_days: '60' } });
    const result = read({ subscription: sub, schedule: schedule({ end_behavior: 'release' }) });
    expect(result.contract).toMatchObject({ source: 'stripe_schedule', renewal: 'auto', renewalTermMonths: 6, noticeDays: 60, endDate: '2026-09-30' });
  });

  it('schedule without current_phase: the phase of phases[] containing the observation time', () => {
    const sched = schedule({
      current_phase: null,
      phases: [
        { start_date: epoch('2025-01-01T00:00:00Z'), end_date: epoch('2026-01-01T00:00:00Z') },
        { start_date: epoch('2026-01-01T00:00:00Z'), end_date: epoch('2027-01-01T00:00:00Z') },
        { start_date: epoch('2027-01-01T00:00:00Z'), end_date: epoch('2028-01-01T00:00:00Z') },
      ],
      end_behavior: 'cancel',
    });
    expect(read({ schedule: sched }).contract).toMatchObject({ endDate: '2027-01-01', renewal: 'fixed', source: 'stripe_schedule' });
    expect(read({ schedule: sched, observedAt: '2030-01-01T00:00:00Z' }).contract).toBeNull();
  });

  it.each([['released'], ['canceled'], ['completed']])('a %s schedule no longer governs: cancel_at applies', (status) => {
    const sub = subscription({ cancel_at: epoch('2026-08-15T10:00:00Z') });
    expect(read({ subscription: sub, schedule: schedule({ status }) }).contract).toMatchObject({
      source: 'stripe_cancel_at',
      endDate: '2026-08-15',
      renewal: 'fixed',
      sourceRef: sub.id,
    });
  });

  it('cancel_at_period_end without cancel_at (older versions) ends at the period end', () => {
    const sub = subscription({ cancel_at_period_end: true });
    expect(read({ subscription: sub }).contract).toMatchObject({ source: 'stripe_cancel_at', endDate: '2026-07-01', renewal: 'fixed' });
  });

  it.each([
    ['UTC', '2026-03-01'],
    ['America/Los_Angeles', '2026-02-28'],
    ['Pacific/Auckland', '2026-03-01'],
  ])('epoch instants become dates in the business zone: cancel_at 2026-03-01T05:00Z in %s is %s', (timeZone, date) => {
    const sub = subscription({ cancel_at: epoch('2026-03-01T05:00:00Z') });
    expect(read({ subscription: sub, timeZone }).contract?.endDate).toBe(date);
  });

  it('a schedule phase ending late on 30 Sep UTC is already 1 Oct in Auckland', () => {
    const sched = schedule({ current_phase: { start_date: epoch('2025-10-01T00:00:00Z'), end_date: epoch('2026-09-30T20:00:00Z') } });
    expect(read({ schedule: sched, timeZone: 'Pacific/Auckland' }).contract?.endDate).toBe('2026-10-01');
    expect(read({ schedule: sched, timeZone: 'America/Los_Angeles' }).contract?.endDate).toBe('2026-09-30');
  });

  it('refuses a bad observation stamp with a named error', () => {
    expect(() => read({ observedAt: 'now' })).toThrow(StripeContractInputError);
    expect(() => read({ version: '' })).toThrow(StripeContractInputError);
  });

  it('tolerates junk in place of objects', () => {
    expect(read({ subscription: 'sub_123', schedule: 42, customer: null })).toEqual({ contract: null, warnings: [] });
    expect(read({ subscription: { metadata: null, items: 'x', cancel_at: 'soon' } })).toEqual({ contract: null, warnings: [] });
  });
});
