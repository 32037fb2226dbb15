import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy, type Policy, type PolicyInput } from '../../shared/domain/policy.ts';
import { costBodySchema, costEntrySchema, isoCurrencySchema, type CostEntry } from '../../shared/domain/cost.ts';
import { MoneyOverflowError } from '../../shared/domain/money.ts';
import { selectFixedMonthlyCosts, type FixedMonthlyCost } from '../../shared/domain/fixed-costs.ts';
import { profitability, profitabilityResultSchema, type PaidInvoice, type ProfitabilityResult } from '../../shared/domain/profitability.ts';
import { mergeDisputeObservations, mergeRefundObservations, type DisputeFact, type RefundFact } from '../../shared/domain/revenue.ts';
import { observeDispute, observeRefunds } from '../../shared/stripe/revenue.ts';

/** Stripe's own example objects, current API shape. */
const resources: Record<'refund' | 'charge' | 'dispute' | 'balance_transaction' | 'invoice', Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8'),
).resources;

const NOW = new Date('2025-06-15T12:00:00Z');
const DAY = 86_400;
const nowSec = NOW.getTime() / 1000;
/** Epoch seconds `days` before NOW. */
const ago = (days: number) => nowSec - days * DAY;
const isoAgo = (days: number) => new Date(ago(days) * 1000).toISOString();
const dateAgo = (days: number) => isoAgo(days).slice(0, 10);

// --- builders ---------------------------------------------------------------------------------

interface StripeDelivery {
  event: { id: string; type: string; created: number };
  object: Record<string, unknown>;
}

function refundEvent(
  eventId: string,
  created: number,
  r: { id: string; amount: number; charge?: string; status?: string; currency?: string; type?: string },
): StripeDelivery {
  return {
    event: { id: eventId, type: r.type ?? 'refund.created', created },
    object: {
      ...structuredClone(resources.refund),
      id: r.id,
      amount: r.amount,
      charge: r.charge ?? 'ch_1',
      status: r.status ?? 'succeeded',
      currency: r.currency ?? 'usd',
      created,
    },
  };
}

/** `charge.refunded` in the current API: no embedded refunds, only the total. */
function chargeRefundedEvent(
  eventId: string,
  created: number,
  c: { id: string; amountRefunded: number; currency?: string; embedded?: Array<Record<string, unknown>> },
): StripeDelivery {
  const { refunds: _refunds, ...charge } = structuredClone(resources.charge);
  return {
    event: { id: eventId, type: 'charge.refunded', created },
    object: {
      ...charge,
      id: c.id,
      amount: 1_000_000,
      amount_refunded: c.amountRefunded,
      currency: c.currency ?? 'usd',
      refunded: true,
      ...(c.embedded !== undefined && { refunds: { object: 'list', has_more: false, data: c.embedded } }),
    },
  };
}

function disputeEvent(
  eventId: string,
  type: string,
  created: number,
  d: { id: string; status: string; amount: number; fee?: number; currency?: string; openedAt?: number },
): StripeDelivery {
  const fee = d.fee ?? 0;
  const txns =
    fee === 0
      ? []
      : [
          {
            ...structuredClone(resources.balance_transaction),
            id: `txn_${d.id}`,
            amount: -d.amount,
            fee,
            currency: d.currency ?? 'usd',
            reporting_category: 'dispute',
          },
        ];
  return {
    event: { id: eventId, type, created },
    object: {
      ...structuredClone(resources.dispute),
      id: d.id,
      status: d.status,
      amount: d.amount,
      currency: d.currency ?? 'usd',
      created: d.openedAt ?? created,
      balance_transactions: txns,
    },
  };
}

function revenueFacts(deliveries: StripeDelivery[]): { refunds: RefundFact[]; disputes: DisputeFact[] } {
  const refunds: RefundFact[] = [];
  const disputes: DisputeFact[] = [];
  for (const { event, object } of deliveries) {
    if (object.object === 'dispute') disputes.push(observeDispute(event, object, { customerId: 'cus_1' }));
    else refunds.push(...observeRefunds(event, object, { customerId: 'cus_1' }));
  }
  return { refunds, disputes };
}

const paid = (invoiceId: string, amountPaid: number, daysAgo: number, currency = 'usd'): PaidInvoice => ({
  invoiceId,
  currency,
  amountPaid,
  paidAt: isoAgo(daysAgo),
});

const cost = (costId: string, amount: number, daysAgo: number, currency = 'usd', category: CostEntry['category'] = 'support'): CostEntry => ({
  costId,
  accountId: 'cus_1',
  amount,
  currency,
  date: dateAgo(daysAgo),
  category,
  recordedAt: isoAgo(daysAgo),
});

function policy(profitabilityOverrides: Record<string, unknown> = {}, rest: Omit<PolicyInput, 'profitability'> = {}): Policy {
  return parsePolicy({ ...rest, profitability: { ...profitabilityOverrides } });
}

interface Scenario {
  invoices?: PaidInvoice[];
  deliveries?: StripeDelivery[];
  costs?: CostEntry[];
  fixed?: FixedMonthlyCost[];
  firstActivityAt?: string;
  policy?: Policy;
  now?: Date;
}

function run(s: Scenario): ProfitabilityResult {
  const { refunds, disputes } = revenueFacts(s.deliveries ?? []);
  const result = profitability({
    paidInvoices: s.invoices ?? [],
    refunds,
    disputes,
    costs: s.costs ?? [],
    fixedMonthlyCosts: s.fixed ?? [],
    firstActivityAt: s.firstActivityAt,
    policy: s.policy ?? defaultPolicy,
    now: s.now ?? NOW,
  });
  // Every result must satisfy its own schema.
  expect(profitabilityResultSchema.parse(result)).toEqual(result);
  return result;
}

type RowExpectation = { currency: string; paid: number; refunded: number; disputesLost: number; revenue: number; cost: number; margin: number };
const rowsOf = (r: ProfitabilityResult): RowExpectation[] =>
  r.rows.map(({ currency, paid, refunded, disputesLost, revenue, cost, margin }) => ({
    currency,
    paid,
    refunded,
    disputesLost,
    revenue,
    cost,
    margin,
  }));
const usd = (paid: number, refunded: number, disputesLost: number, cost: number): RowExpectation => ({
  currency: 'usd',
  paid,
  refunded,
  disputesLost,
  revenue: paid - refunded - disputesLost,
  cost,
  margin: paid - refunded - disputesLost - cost,
});

/** Three months of monthly invoices: enough history to judge. */
const quarter = (amount: number, currency = 'usd') => [
  paid('in_1', amount, 150, currency),
  paid('in_2', amount, 120, currency),
  paid('in_3', amount, 90, currency),
];

// --- margin cases -------------------------------------------------------------------------------

describe('profitability: margin cases', () => {
  const acceptanceRefund = refundEvent('evt_r1', ago(60), { id: 're_1', amount: 50_000 });

  const cases: Array<{ name: string; scenario: Scenario; rows: RowExpectation[]; unprofitable: boolean }> = [
    {
      name: "the issue's acceptance case: 300,000 paid, 50,000 refunded (event delivered twice), 400,000 of cost",
      scenario: {
        invoices: quarter(100_000),
        deliveries: [acceptanceRefund, acceptanceRefund],
        costs: [cost('c1', 250_000, 100), cost('c2', 150_000, 40, 'usd', 'delivery')],
      },
      rows: [{ currency: 'usd', paid: 300_000, refunded: 50_000, disputesLost: 0, revenue: 250_000, cost: 400_000, margin: -150_000 }],
      unprofitable: true,
    },
    {
      name: 'a refund larger than the invoice leaves negative revenue: a loss',
      scenario: {
        invoices: [paid('in_1', 10_000, 150)],
        deliveries: [refundEvent('evt_r', ago(20), { id: 're_big', amount: 15_000, charge: 'ch_other' })],
      },
      rows: [usd(10_000, 15_000, 0, 0)],
      unprofitable: true,
    },
    {
      name: 'partial refunds: only succeeded ones count',
      scenario: {
        invoices: [paid('in_1', 100_000, 150)],
        deliveries: [
          refundEvent('evt_a', ago(30), { id: 're_a', amount: 10_000 }),
          refundEvent('evt_b', ago(29), { id: 're_b', amount: 5_000 }),
          refundEvent('evt_c', ago(28), { id: 're_c', amount: 7_000, status: 'pending' }),
          refundEvent('evt_d', ago(27), { id: 're_d', amount: 3_000, status: 'failed' }),
          refundEvent('evt_e', ago(26), { id: 're_e', amount: 2_000, status: 'canceled' }),
        ],
        costs: [cost('c1', 20_000, 50)],
      },
      rows: [usd(100_000, 15_000, 0, 20_000)],
      unprofitable: false,
    },
    {
      name: 'the same refund delivered twice, and pending then succeeded out of order, counts once',
      scenario: {
        invoices: quarter(10_000),
        deliveries: [
          refundEvent('evt_2', ago(10), { id: 're_1', amount: 4_000, type: 'refund.updated' }),
          refundEvent('evt_1', ago(11), { id: 're_1', amount: 4_000, status: 'pending' }),
          refundEvent('evt_2', ago(10), { id: 're_1', amount: 4_000, type: 'refund.updated' }),
        ],
      },
      rows: [usd(30_000, 4_000, 0, 0)],
      unprofitable: false,
    },
    {
      name: 'a refund seen individually and through charge.refunded (no embedded refunds) counts once',
      scenario: {
        invoices: quarter(10_000),
        deliveries: [
          refundEvent('evt_r', ago(10), { id: 're_1', amount: 6_000, charge: 'ch_1' }),
          chargeRefundedEvent('evt_c', ago(10), { id: 'ch_1', amountRefunded: 6_000 }),
        ],
      },
      rows: [usd(30_000, 6_000, 0, 0)],
      unprofitable: false,
    },
    {
      name: 'a refund seen individually and embedded in an older charge.refunded counts once',
      scenario: {
        invoices: quarter(10_000),
        deliveries: [
          refundEvent('evt_r', ago(10), { id: 're_1', amount: 6_000, charge: 'ch_1' }),
          chargeRefundedEvent('evt_c', ago(10), {
            id: 'ch_1',
            amountRefunded: 6_000,
            embedded: [refundEvent('evt_r', ago(10), { id: 're_1', amount: 6_000, charge: 'ch_1' }).object],
          }),
        ],
      },
      rows: [usd(30_000, 6_000, 0, 0)],
      unprofitable: false,
    },
    {
      name: "charge.refunded's total covers refunds never seen one by one",
      scenario: {
        invoices: quarter(10_000),
        deliveries: [
          refundEvent('evt_r', ago(12), { id: 're_1', amount: 2_000, charge: 'ch_1' }),
          chargeRefundedEvent('evt_c', ago(10), { id: 'ch_1', amountRefunded: 5_000 }),
        ],
      },
      rows: [usd(30_000, 5_000, 0, 0)],
      unprofitable: false,
    },
    {
      name: 'a dispute won and then lost counts as lost: amount plus fee',
      scenario: {
        invoices: quarter(100_000),
        deliveries: [
          disputeEvent('evt_w', 'charge.dispute.closed', ago(40), { id: 'dp_1', status: 'won', amount: 30_000, fee: 1_500, openedAt: ago(80) }),
          disputeEvent('evt_l', 'charge.dispute.closed', ago(20), { id: 'dp_1', status: 'lost', amount: 30_000, fee: 1_500, openedAt: ago(80) }),
        ],
      },
      rows: [usd(300_000, 0, 31_500, 0)],
      unprofitable: false,
    },
    {
      name: 'a dispute lost costs amount plus fee, even if a stale update arrives after the close',
      scenario: {
        invoices: quarter(20_000),
        deliveries: [
          disputeEvent('evt_1', 'charge.dispute.funds_withdrawn', ago(60), { id: 'dp_1', status: 'needs_response', amount: 30_000, fee: 1_500 }),
          disputeEvent('evt_3', 'charge.dispute.updated', ago(5), { id: 'dp_1', status: 'under_review', amount: 30_000, openedAt: ago(60) }),
          disputeEvent('evt_2', 'charge.dispute.closed', ago(10), { id: 'dp_1', status: 'lost', amount: 30_000, fee: 1_500, openedAt: ago(60) }),
        ],
      },
      rows: [usd(60_000, 0, 31_500, 0)],
      unprofitable: false,
    },
    {
      name: 'a dispute won costs nothing here',
      scenario: {
        invoices: quarter(20_000),
        deliveries: [disputeEvent('evt_2', 'charge.dispute.closed', ago(10), { id: 'dp_1', status: 'won', amount: 30_000, fee: 1_500 })],
      },
      rows: [usd(60_000, 0, 0, 0)],
      unprofitable: false,
    },
    {
      name: 'currency mix: eur revenue and usd cost stay separate rows (the usd row is a loss)',
      scenario: { invoices: quarter(100_000, 'eur'), costs: [cost('c1', 50_000, 30, 'usd')] },
      rows: [
        { currency: 'eur', paid: 300_000, refunded: 0, disputesLost: 0, revenue: 300_000, cost: 0, margin: 300_000 },
        { currency: 'usd', paid: 0, refunded: 0, disputesLost: 0, revenue: 0, cost: 50_000, margin: -50_000 },
      ],
      unprofitable: true,
    },
    {
      name: 'under 3 months of history: a loss is not flagged yet',
      scenario: { invoices: [paid('in_1', 10_000, 70), paid('in_2', 10_000, 40)], costs: [cost('c1', 50_000, 30)] },
      rows: [usd(20_000, 0, 0, 50_000)],
      unprofitable: false,
    },
    {
      name: 'a known first activity supplies the history',
      scenario: {
        invoices: [paid('in_1', 10_000, 40)],
        costs: [cost('c1', 50_000, 30)],
        firstActivityAt: isoAgo(200),
      },
      rows: [usd(10_000, 0, 0, 50_000)],
      unprofitable: true,
    },
    {
      name: 'facts outside the trailing 12 months (or after now) do not count',
      scenario: {
        invoices: [paid('in_old', 900_000, 400), ...quarter(10_000), paid('in_future', 50_000, -3)],
        deliveries: [refundEvent('evt_old', ago(380), { id: 're_old', amount: 5_000 })],
        costs: [cost('c_old', 500_000, 370), cost('c1', 20_000, 30), cost('c_future', 7_000, -2)],
      },
      rows: [usd(30_000, 0, 0, 20_000)],
      unprofitable: false,
    },
    {
      name: 'a positive margin under the policy minimum is flagged',
      scenario: { invoices: quarter(10_000), costs: [cost('c1', 27_000, 30)], policy: policy({ minMarginPct: 20 }) },
      rows: [usd(30_000, 0, 0, 27_000)],
      unprofitable: true,
    },
    {
      name: 'breaking even meets the default minimum of 0%',
      scenario: { invoices: quarter(10_000), costs: [cost('c1', 30_000, 30)] },
      rows: [usd(30_000, 0, 0, 30_000)],
      unprofitable: false,
    },
  ];

  it.each(cases)('$name', ({ scenario, rows, unprofitable }) => {
    const result = run(scenario);
    expect(rowsOf(result)).toEqual(rows);
    expect(result.unprofitable).toBe(unprofitable);
    expect(result.reasons.length > 0).toBe(result.rows.some((r) => r.belowMinimum));
  });

  it('acceptance case in full: margin −60%, reasons and evidence', () => {
    const result = run({
      invoices: quarter(100_000),
      deliveries: [acceptanceRefund, acceptanceRefund],
      costs: [cost('c1', 250_000, 100), cost('c2', 150_000, 40, 'usd', 'delivery')],
    });
    expect(result.rows[0]).toMatchObject({ revenue: 250_000, cost: 400_000, margin: -150_000, marginPct: -60, belowMinimum: true });
    expect(result.reasons).toEqual(['usd: margin USD -1,500.00 on revenue USD 2,500.00 (-60%) over the trailing 12 months is below the minimum of 0%']);
    expect(result.evidence.refunds.map((r) => r.refundId)).toEqual(['re_1']);
    expect(result.evidence.topCosts.map((c) => c.costId)).toEqual(['c1', 'c2']);
    expect(result.historyMonths).toBe(4);
  });

  it('says why a loss is not flagged when history is short', () => {
    const result = run({ invoices: [paid('in_1', 10_000, 70)], costs: [cost('c1', 50_000, 30)] });
    expect(result.historyMonths).toBe(2);
    expect(result.reasons).toContain('not flagged yet: only 2 months of history, at least 3 needed');
    expect(result.rows[0]?.marginPct).toBe(-400);
  });

  it('writes money in reasons with each currency’s own decimals', () => {
    const result = run({ invoices: quarter(10_000), costs: [cost('c1', 1_234_567, 30, 'jpy'), cost('c2', 1_005, 30, 'kwd')] });
    expect(result.reasons).toEqual([
      'jpy: cost JPY 1,234,567 against revenue JPY 0 over the trailing 12 months, a loss of JPY 1,234,567',
      'kwd: cost KWD 1.005 against revenue KWD 0.000 over the trailing 12 months, a loss of KWD 1.005',
    ]);
  });

  it('reads amounts as Stripe writes them, not as ICU would: ISK in hundredths', () => {
    const result = run({ invoices: quarter(10_000), costs: [cost('c1', 150_000, 30, 'isk')] });
    expect(result.reasons).toEqual(['isk: cost ISK 1,500.00 against revenue ISK 0.00 over the trailing 12 months, a loss of ISK 1,500.00']);
  });

  it('gives no margin percentage when revenue is zero or negative', () => {
    const result = run({ invoices: quarter(10_000, 'eur'), costs: [cost('c1', 100, 5)] });
    expect(result.rows.find((r) => r.currency === 'usd')?.marginPct).toBeNull();
    expect(result.rows.find((r) => r.currency === 'eur')?.marginPct).toBe(100);
  });
});

// --- fixed costs, conversion, evidence, dispute signal ----------------------------------------

describe('profitability: fixed monthly costs', () => {
  const fixed: FixedMonthlyCost[] = [{ amount: 10_000, currency: 'usd', category: 'support' }];

  it('charges each month begun since the first activity', () => {
    const result = run({ invoices: [paid('in_1', 100_000, 70)], fixed, firstActivityAt: isoAgo(75) });
    expect(result.fixedCostMonths).toBe(3); // 2 whole months and a part
    expect(result.rows[0]).toMatchObject({ cost: 30_000, fixedCost: 30_000 });
  });

  it('caps the months at the window', () => {
    const result = run({ invoices: [paid('in_1', 100_000, 70)], fixed, firstActivityAt: isoAgo(3000) });
    expect(result.fixedCostMonths).toBe(12);
    expect(result.rows[0]).toMatchObject({ cost: 120_000, fixedCost: 120_000, margin: -20_000 });
    expect(result.unprofitable).toBe(true);
  });

  it('caps the months at the window when month ends clamp (now on 29 February)', () => {
    const now = new Date('2024-02-29T12:00:00Z');
    const result = run({ invoices: [paid('in_1', 100_000, 70)], fixed, firstActivityAt: '2020-01-01T00:00:00Z', now });
    expect(result.fixedCostMonths).toBe(12);
    expect(result.windowStart).toBe('2023-02-28T12:00:00.000Z');
  });

  it('charges nothing when there is no history at all', () => {
    const result = run({ fixed });
    expect(result).toMatchObject({ fixedCostMonths: 0, rows: [], unprofitable: false, historyMonths: 0 });
  });

  it('selects the fixed costs of the account and of its plans from the policy', () => {
    const p = policy({
      fixedMonthlyCosts: [
        { accountId: 'cus_1', amount: 100, currency: 'usd' },
        { accountId: 'cus_2', amount: 200, currency: 'usd' },
        { plan: 'price_gold', amount: 300, currency: 'eur', category: 'delivery' },
      ],
    });
    expect(selectFixedMonthlyCosts(p, { accountId: 'cus_1', plans: ['price_gold'] })).toEqual([
      { amount: 100, currency: 'usd', category: 'other' },
      { amount: 300, currency: 'eur', category: 'delivery' },
    ]);
    expect(selectFixedMonthlyCosts(p, { accountId: 'cus_3' })).toEqual([]);
  });
});

describe('profitability: converted total', () => {
  it('converts each currency at its rate, labelled with the rates date, and says which were skipped', () => {
    const p = policy({ exchangeRates: { date: '2025-06-01', base: 'usd', rates: { eur: 1.1 } } });
    const result = run({
      invoices: [...quarter(100_000, 'eur'), paid('in_gbp', 5_000, 20, 'gbp')],
      costs: [cost('c1', 50_000, 30, 'usd'), cost('c2', 1_001, 30, 'eur')],
      policy: p,
    });
    // Separate rows stay separate; only the labelled total converts.
    expect(result.rows.map((r) => r.currency)).toEqual(['eur', 'gbp', 'usd']);
    expect(result.converted).toEqual({
      currency: 'usd',
      revenue: 330_000, // 300,000 eur × 1.1
      cost: 51_101, // 50,000 usd + round(1,001 × 1.1 = 1,101.1)
      margin: 278_899,
      ratesDate: '2025-06-01',
      skippedCurrencies: ['gbp'],
    });
  });

  it('is absent without rates', () => {
    expect(run({ invoices: quarter(1) }).converted).toBeUndefined();
  });
});

describe('profitability: dispute signal', () => {
  const opened = (id: string, daysAgo: number, status = 'needs_response') =>
    disputeEvent(`evt_${id}`, 'charge.dispute.created', ago(daysAgo), { id, status, amount: 1_000 });

  it.each([
    { name: 'one dispute', deliveries: [opened('dp_1', 10)], flagged: false, count: 1, lost: 0 },
    { name: 'two disputes in the window', deliveries: [opened('dp_1', 10), opened('dp_2', 300)], flagged: true, count: 2, lost: 0 },
    { name: 'two disputes, one too old', deliveries: [opened('dp_1', 10), opened('dp_2', 400)], flagged: false, count: 1, lost: 0 },
    {
      name: 'one dispute lost',
      deliveries: [disputeEvent('evt_l', 'charge.dispute.closed', ago(5), { id: 'dp_1', status: 'lost', amount: 1_000, openedAt: ago(50) })],
      flagged: true,
      count: 1,
      lost: 1,
    },
    {
      name: 'a dispute lost long ago',
      deliveries: [disputeEvent('evt_l', 'charge.dispute.closed', ago(500), { id: 'dp_1', status: 'lost', amount: 1_000, openedAt: ago(550) })],
      flagged: false,
      count: 0,
      lost: 0,
    },
  ])('$name', ({ deliveries, flagged, count, lost }) => {
    const { disputeSignal } = run({ deliveries });
    expect(disputeSignal).toMatchObject({ flagged, count, lost });
    expect(disputeSignal.reasons.length > 0).toBe(flagged);
  });

  it('lists the disputes as evidence', () => {
    const result = run({ deliveries: [opened('dp_2', 10), opened('dp_1', 20)] });
    expect(result.evidence.disputes.map((d) => d.disputeId)).toEqual(['dp_1', 'dp_2']);
    expect(result.disputeSignal.reasons).toEqual(['2 disputes opened in the last 365 days (threshold 2)']);
  });
});

describe('profitability: evidence and guards', () => {
  it('lists the five largest costs in the window', () => {
    const costs = [1, 9, 3, 7, 5, 8, 2].map((n, i) => cost(`c${i}`, n * 1_000, 10 + i));
    const result = run({ invoices: quarter(100_000), costs: [...costs, cost('c_old', 99_000, 400)] });
    expect(result.evidence.topCosts.map((c) => c.amount)).toEqual([9_000, 8_000, 7_000, 5_000, 3_000]);
  });

  it('refuses sums beyond the safe integer range instead of returning a wrong number', () => {
    expect(() => run({ invoices: [paid('in_1', Number.MAX_SAFE_INTEGER, 10), paid('in_2', Number.MAX_SAFE_INTEGER, 20)] })).toThrow(MoneyOverflowError);
  });

  it('reads calendar dates in the policy time zone', () => {
    // 2025-06-15T12:00Z is already the 16th in Auckland: a cost dated the 16th is not in the future there.
    const p = policy({}, { timeZone: 'Pacific/Auckland' });
    const now = new Date('2025-06-15T13:00:00Z');
    const entry = { ...cost('c1', 1_000, 0), date: '2025-06-16' };
    expect(run({ invoices: quarter(10_000), costs: [entry], policy: p, now }).rows[0]?.cost).toBe(1_000);
    expect(run({ invoices: quarter(10_000), costs: [entry], now }).rows[0]?.cost).toBe(0);
  });
});

// --- cost body ----------------------------------------------------------------------------------

describe('costBodySchema', () => {
  const valid = { amount: 12_500, currency: 'eur', date: '2024-02-29', category: 'support', note: 'March support hours' };

  it('accepts a valid body', () => {
    expect(costBodySchema.parse(valid)).toEqual(valid);
    expect(costEntrySchema.safeParse({ ...valid, costId: 'cost_1', accountId: 'cus_1', recordedAt: NOW.toISOString() }).success).toBe(true);
  });

  it.each([
    { name: 'a fractional amount', body: { ...valid, amount: 125.5 }, field: 'amount', message: /whole number of minor units/ },
    { name: 'a zero amount', body: { ...valid, amount: 0 }, field: 'amount', message: /greater than 0/ },
    { name: 'an amount as text', body: { ...valid, amount: '12500' }, field: 'amount', message: /must be a number/ },
    { name: 'an unknown currency', body: { ...valid, currency: 'xyz' }, field: 'currency', message: /ISO 4217/ },
    { name: 'an upper-case currency', body: { ...valid, currency: 'EUR' }, field: 'currency', message: /lower case/ },
    { name: 'a date that does not exist', body: { ...valid, date: '2025-02-29' }, field: 'date', message: /real calendar date/ },
    { name: 'a timestamp for a date', body: { ...valid, date: '2025-02-01T00:00:00Z' }, field: 'date', message: /YYYY-MM-DD/ },
    { name: 'an unknown category', body: { ...valid, category: 'travel' }, field: 'category', message: /"support", "delivery", "other"/ },
    { name: 'a note over 500 characters', body: { ...valid, note: 'x'.repeat(501) }, field: 'note', message: /500/ },
    { name: 'a long idempotency key', body: { ...valid, idempotencyKey: 'k'.repeat(101) }, field: 'idempotencyKey', message: /100/ },
    { name: 'a missing amount', body: { ...valid, amount: undefined }, field: 'amount', message: /required/ },
    { name: 'an unknown field', body: { ...valid, amount_cents: 1 }, field: '', message: /amount_cents/ },
  ])('refuses $name, naming the field', ({ body, field, message }) => {
    const result = costBodySchema.safeParse(body);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === field);
    expect(issue?.message).toMatch(message);
  });

  it('knows real currencies beyond the usual few', () => {
    for (const c of ['jpy', 'chf', 'mxn', 'kwd']) expect(isoCurrencySchema.safeParse(c).success).toBe(true);
    for (const c of ['xyz', 'abc', 'us', 'usdd', '']) expect(isoCurrencySchema.safeParse(c).success).toBe(false);
  });
});

// --- properties ---------------------------------------------------------------------------------

const chargeIds = ['ch_1', 'ch_2', 'ch_3'];

/** Stripe deliveries for a small account: refunds (individually, via charge totals), disputes. */
const deliveryArb: fc.Arbitrary<StripeDelivery> = fc.oneof(
  fc
    .record({
      e: fc.integer({ min: 0, max: 9 }),
      days: fc.integer({ min: 0, max: 400 }),
      refund: fc.integer({ min: 0, max: 5 }),
      amount: fc.integer({ min: 0, max: 50_000 }),
      status: fc.constantFrom('succeeded', 'pending', 'failed', 'canceled'),
      charge: fc.constantFrom(...chargeIds),
    })
    .map((r) => refundEvent(`evt_r${r.e}`, ago(r.days), { id: `re_${r.refund}`, amount: r.amount, status: r.status, charge: r.charge })),
  fc
    .record({
      e: fc.integer({ min: 0, max: 9 }),
      days: fc.integer({ min: 0, max: 400 }),
      charge: fc.constantFrom(...chargeIds),
      amountRefunded: fc.integer({ min: 0, max: 80_000 }),
    })
    .map((c) => chargeRefundedEvent(`evt_c${c.e}`, ago(c.days), { id: c.charge, amountRefunded: c.amountRefunded })),
  fc
    .record({
      e: fc.integer({ min: 0, max: 9 }),
      days: fc.integer({ min: 0, max: 400 }),
      dispute: fc.integer({ min: 0, max: 3 }),
      type: fc.constantFrom('charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_withdrawn'),
      status: fc.constantFrom('needs_response', 'under_review', 'won', 'lost', 'warning_closed'),
      amount: fc.integer({ min: 0, max: 50_000 }),
      fee: fc.constantFrom(0, 1_500, 2_000),
      currency: fc.constantFrom('usd', 'eur'),
    })
    .map((d) =>
      disputeEvent(`evt_d${d.e}`, d.type, ago(d.days), {
        id: `dp_${d.dispute}`,
        status: d.status,
        amount: d.amount,
        fee: d.fee,
        currency: d.currency,
        openedAt: ago(420),
      }),
    ),
);

/** The same items, each at least once, some repeated, in any order. */
function shuffledWithDuplicates<T>(items: T[]): fc.Arbitrary<T[]> {
  return fc.array(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: items.length }).chain((extra) => {
    const all = items.length === 0 ? [] : [...items, ...extra.map((i) => items[i] as T)];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });
}

const invoicesArb = fc.uniqueArray(
  fc.record({
    id: fc.integer({ min: 0, max: 50 }),
    amount: fc.integer({ min: 0, max: 200_000 }),
    days: fc.integer({ min: 0, max: 400 }),
    currency: fc.constantFrom('usd', 'eur'),
  }),
  { selector: (i) => i.id, maxLength: 10 },
);

describe('profitability: properties', () => {
  it('order and duplication of revenue events never change the result', () => {
    fc.assert(
      fc.property(
        fc.array(deliveryArb, { maxLength: 25 }).chain((ds) => fc.tuple(fc.constant(ds), shuffledWithDuplicates(ds))),
        invoicesArb,
        ([deliveries, replayed], invoices) => {
          const scenario = {
            invoices: invoices.map((i) => paid(`in_${i.id}`, i.amount, i.days, i.currency)),
            costs: [cost('c1', 40_000, 30)],
          };
          const expected = run({ ...scenario, deliveries });
          expect(run({ ...scenario, deliveries: replayed })).toEqual(expected);
          // Facts merged before they reach the rule give the same answer as raw observations.
          const facts = revenueFacts(replayed);
          const premerged = profitability({
            paidInvoices: scenario.invoices,
            refunds: [...mergeRefundObservations(facts.refunds).values()].reverse(),
            disputes: [...mergeDisputeObservations(facts.disputes).values()].reverse(),
            costs: scenario.costs,
            fixedMonthlyCosts: [],
            policy: defaultPolicy,
            now: NOW,
          });
          expect(premerged).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never counts a charge’s refunds twice: refunded ≤ what the refunds and totals could claim', () => {
    fc.assert(
      fc.property(fc.array(deliveryArb, { maxLength: 25 }), (deliveries) => {
        const result = run({ deliveries });
        const { refunds } = revenueFacts(deliveries);
        const merged = [...mergeRefundObservations(refunds).values()];
        // Upper bound per charge: the larger of its succeeded refunds' sum and its latest total.
        let bound = 0;
        for (const ch of chargeIds) {
          const individual = merged.filter((r) => r.kind === 'refund' && r.chargeId === ch && r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
          const total = merged.find((r) => r.kind === 'charge_total' && r.chargeId === ch)?.amount ?? 0;
          bound += Math.max(individual, total);
        }
        const refunded = result.rows.reduce((s, r) => s + r.refunded, 0);
        expect(refunded).toBeLessThanOrEqual(bound);
        expect(refunded).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('every money output is a safe integer', () => {
    const big = fc.integer({ min: 0, max: 10_000_000_000 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ amount: big, days: fc.integer({ min: 0, max: 500 }), currency: fc.constantFrom('usd', 'eur', 'jpy') }), { maxLength: 20 }),
        fc.array(
          fc.record({
            amount: fc.integer({ min: 1, max: 10_000_000_000 }),
            days: fc.integer({ min: -5, max: 500 }),
            currency: fc.constantFrom('usd', 'eur', 'gbp'),
          }),
          { maxLength: 20 },
        ),
        fc.array(deliveryArb, { maxLength: 15 }),
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 100_000_000 }), currency: fc.constantFrom('usd', 'jpy') }), { maxLength: 3 }),
        fc.double({ min: 0.0001, max: 1000, noNaN: true }),
        fc.double({ min: 0.0001, max: 1000, noNaN: true }),
        (invoices, costs, deliveries, fixed, eurRate, jpyRate) => {
          const result = run({
            invoices: invoices.map((i, n) => paid(`in_${n}`, i.amount, i.days, i.currency)),
            costs: costs.map((c, n) => cost(`c${n}`, c.amount, c.days, c.currency)),
            deliveries,
            fixed: fixed.map((f) => ({ ...f, category: 'other' as const })),
            firstActivityAt: isoAgo(800),
            policy: policy({ exchangeRates: { date: '2025-06-01', base: 'usd', rates: { eur: eurRate, jpy: jpyRate } } }),
          });
          const money = [
            ...result.rows.flatMap((r) => [r.revenue, r.cost, r.fixedCost, r.margin, r.paid, r.refunded, r.disputesLost]),
            ...(result.converted ? [result.converted.revenue, result.converted.cost, result.converted.margin] : []),
          ];
          for (const m of money) expect(Number.isSafeInteger(m)).toBe(true);
          for (const r of result.rows) {
            expect(r.revenue).toBe(r.paid - r.refunded - r.disputesLost);
            expect(r.margin).toBe(r.revenue - r.cost);
          }
          expect(result.converted?.margin).toBe((result.converted?.revenue ?? 0) - (result.converted?.cost ?? 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});
