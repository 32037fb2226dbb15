import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { monthlyRevenueAndCost } from '../../shared/domain/monthly-profit.ts';
import type { CostEntry } from '../../shared/domain/cost.ts';

const now = new Date('2026-03-15T12:00:00Z');
const cost = (date: string, amount: number, currency = 'usd'): CostEntry => ({
  costId: `c-${date}-${amount}-${currency}`,
  accountId: 'cus_1',
  amount,
  currency,
  date,
  category: 'support',
  recordedAt: '2026-03-01T00:00:00Z',
});

describe('monthly revenue against cost', () => {
  it('puts paid invoices in their payment month and costs in their dated month, per currency, twelve months to now', () => {
    const rows = monthlyRevenueAndCost({
      paidInvoices: [
        { invoiceId: 'in_1', currency: 'usd', amountPaid: 10_000, paidAt: '2026-03-02T10:00:00Z' },
        { invoiceId: 'in_2', currency: 'usd', amountPaid: 5_000, paidAt: '2026-01-31T23:30:00Z' },
        { invoiceId: 'in_3', currency: 'jpy', amountPaid: 7_000, paidAt: '2025-12-10T00:00:00Z' },
        { invoiceId: 'in_old', currency: 'usd', amountPaid: 99_999, paidAt: '2025-03-10T00:00:00Z' },
        { invoiceId: 'in_future', currency: 'usd', amountPaid: 1, paidAt: '2026-03-20T00:00:00Z' },
      ],
      costs: [cost('2026-03-01', 2_000), cost('2026-02-10', 300, 'jpy'), cost('2026-04-01', 50)],
      fixedMonthlyCosts: [],
      timeZone: 'UTC',
      months: 12,
      now,
    });
    expect(rows.filter((r) => r.currency === 'usd')).toHaveLength(12);
    expect(rows.filter((r) => r.currency === 'jpy')).toHaveLength(12);
    expect(rows[0]).toEqual({ month: '2025-04', currency: 'jpy', revenue: 0, cost: 0 });
    const at = (currency: string, month: string) => rows.find((r) => r.currency === currency && r.month === month);
    expect(at('usd', '2026-03')).toEqual({ month: '2026-03', currency: 'usd', revenue: 10_000, cost: 2_000 });
    expect(at('usd', '2026-01')?.revenue).toBe(5_000);
    expect(at('jpy', '2025-12')?.revenue).toBe(7_000);
    expect(at('jpy', '2026-02')?.cost).toBe(300);
    expect(rows.some((r) => r.month === '2025-03')).toBe(false);
  });

  it('reads months in the policy time zone', () => {
    const rows = monthlyRevenueAndCost({
      paidInvoices: [{ invoiceId: 'in_1', currency: 'eur', amountPaid: 100, paidAt: '2026-01-31T23:30:00Z' }],
      costs: [],
      fixedMonthlyCosts: [],
      timeZone: 'Europe/Madrid',
      months: 3,
      now,
    });
    expect(rows.map((r) => [r.month, r.revenue])).toEqual([
      ['2026-01', 0],
      ['2026-02', 100],
      ['2026-03', 0],
    ]);
  });

  it('charges fixed monthly costs from the month the history starts', () => {
    const rows = monthlyRevenueAndCost({
      paidInvoices: [],
      costs: [],
      fixedMonthlyCosts: [{ amount: 1_000, currency: 'gbp', category: 'other' }],
      firstActivityAt: '2026-01-20T00:00:00Z',
      timeZone: 'UTC',
      months: 4,
      now,
    });
    expect(rows.map((r) => [r.month, r.cost])).toEqual([
      ['2025-12', 0],
      ['2026-01', 1_000],
      ['2026-02', 1_000],
      ['2026-03', 1_000],
    ]);
  });

  it('never adds one currency to another: each currency row totals its own facts', () => {
    const currency = fc.constantFrom('usd', 'eur', 'jpy');
    const day = fc.integer({ min: 0, max: 330 }).map((d) => new Date(now.getTime() - d * 86_400_000));
    fc.assert(
      fc.property(fc.array(fc.record({ currency, amount: fc.integer({ min: 1, max: 1e9 }), at: day }), { maxLength: 30 }), (paid) => {
        const rows = monthlyRevenueAndCost({
          paidInvoices: paid.map((p, i) => ({ invoiceId: `in_${i}`, currency: p.currency, amountPaid: p.amount, paidAt: p.at.toISOString() })),
          costs: [],
          fixedMonthlyCosts: [],
          timeZone: 'UTC',
          months: 12,
          now,
        });
        for (const c of ['usd', 'eur', 'jpy']) {
          const expected = paid.filter((p) => p.currency === c).reduce((a, p) => a + p.amount, 0);
          expect(rows.filter((r) => r.currency === c).reduce((a, r) => a + r.revenue, 0)).toBe(expected);
        }
      }),
    );
  });
});
