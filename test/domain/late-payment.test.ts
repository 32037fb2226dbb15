import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, policySchema, type Policy } from '../../shared/domain/policy.ts';
import { mergeInvoiceFacts, type InvoiceFacts } from '../../shared/domain/invoice.ts';
import { observeInvoice } from '../../shared/stripe/invoice.ts';
import { latePaymentProfile, latePaymentProfileSchema, type LatePaymentProfile } from '../../shared/domain/late-payment.ts';

const DAY = 86_400_000;
const NOW = new Date('2025-06-30T12:00:00.000Z');
/** The instant `days` (fractional allowed) after NOW; negative is before. */
const at = (days: number) => new Date(NOW.getTime() + Math.round(days * DAY)).toISOString();

let seq = 0;
/** A finalised invoice. `due`, `paid`… are day offsets from NOW. */
function invoice(o: {
  due?: number;
  finalized?: number;
  paid?: number;
  voided?: number;
  uncollectible?: number;
  failed?: number;
  amountDue?: number;
  draft?: boolean;
  id?: string;
}): InvoiceFacts {
  seq += 1;
  const amountDue = o.amountDue ?? 10_000;
  const finalized = o.finalized ?? (o.due !== undefined ? o.due - 30 : -400);
  const f: InvoiceFacts = {
    invoiceId: o.id ?? `in_${seq}`,
    customerId: 'cus_1',
    currency: 'eur',
    collectionMethod: o.due === undefined ? 'charge_automatically' : 'send_invoice',
    number: `INV-${seq}`,
    amountDue,
    amountPaid: o.paid !== undefined ? amountDue : 0,
    amountRemaining: o.paid !== undefined ? 0 : amountDue,
    total: amountDue,
    version: '001700000000#1#evt_1',
  };
  if (!o.draft) f.finalizedAt = at(finalized);
  if (o.due !== undefined) f.dueDate = at(o.due);
  if (o.paid !== undefined) f.paidAt = at(o.paid);
  if (o.voided !== undefined) f.voidedAt = at(o.voided);
  if (o.uncollectible !== undefined) f.uncollectibleAt = at(o.uncollectible);
  if (o.failed !== undefined) f.firstFailedAt = at(o.failed);
  return f;
}

const profile = (invoices: InvoiceFacts[], now: Date | string = NOW, policy: Policy = defaultPolicy) => latePaymentProfile(invoices, policy, now);

/** n invoices paid on time, due in the last months. */
const onTime = (n: number) => Array.from({ length: n }, (_, i) => invoice({ due: -10 - i * 20, paid: -11 - i * 20 }));
/** n invoices paid `late` days after due, in the last months. */
const paidLate = (n: number, late = 10) => Array.from({ length: n }, (_, i) => invoice({ due: -30 - i * 20, paid: -30 - i * 20 + late }));

describe('one invoice, every branch', () => {
  type Row = {
    name: string;
    inv: InvoiceFacts;
    expected: Pick<LatePaymentProfile, 'invoiceCount' | 'lateInvoices' | 'defaults' | 'maxDaysOverdue' | 'latePayer'>;
    evidence?: { daysLate: number; status: string; default: boolean; inWindow?: boolean };
  };
  const rows: Row[] = [
    {
      name: 'paid before the due date',
      inv: invoice({ due: -20, paid: -25 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'paid exactly graceDays after due (within grace)',
      inv: invoice({ due: -20, paid: -17 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'paid 3 days 23 hours after due: still 3 whole days, within grace',
      inv: invoice({ due: -20, paid: -20 + 3 + 23 / 24 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'paid 4 days after due: late',
      inv: invoice({ due: -20, paid: -16 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 4, status: 'paid', default: false },
    },
    {
      name: 'unpaid, 40 days overdue: flagged at once',
      inv: invoice({ due: -40 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 40, latePayer: true },
      evidence: { daysLate: 40, status: 'open', default: false },
    },
    {
      name: 'unpaid, due 3 days ago: within grace, overdue but not late',
      inv: invoice({ due: -3 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 3, latePayer: false },
    },
    {
      name: 'unpaid, due 4 days ago: late',
      inv: invoice({ due: -4 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 4, latePayer: false },
      evidence: { daysLate: 4, status: 'open', default: false },
    },
    {
      name: 'issued, due in the future: not counted yet, not late',
      inv: invoice({ due: 20, finalized: -10 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'paid before it was due: counted, on time',
      inv: invoice({ due: 20, finalized: -10, paid: -2 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'auto-charge, no failure, paid 10 days after finalisation: not late',
      inv: invoice({ finalized: -30, paid: -20 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'auto-charge, first attempt failed, paid 10 days after finalisation: late',
      inv: invoice({ finalized: -30, failed: -30, paid: -20 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 10, status: 'paid', default: false },
    },
    {
      name: 'auto-charge, failed, paid 2 days after finalisation: within grace',
      inv: invoice({ finalized: -30, failed: -30, paid: -28 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'auto-charge, failed, unpaid 5 days after finalisation: late and overdue',
      inv: invoice({ finalized: -5, failed: -5 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 5, latePayer: false },
      evidence: { daysLate: 5, status: 'open', default: false },
    },
    {
      name: 'auto-charge, no failure, unpaid 5 days after finalisation: neither late nor overdue',
      inv: invoice({ finalized: -5 }),
      expected: { invoiceCount: 1, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'marked uncollectible: a default',
      inv: invoice({ due: -20, uncollectible: -2 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 1, maxDaysOverdue: 20, latePayer: false },
      evidence: { daysLate: 20, status: 'uncollectible', default: true },
    },
    {
      name: 'marked uncollectible before it was even due: still a default',
      inv: invoice({ due: 5, finalized: -20, uncollectible: -1 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 1, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 0, status: 'uncollectible', default: true },
    },
    {
      name: 'uncollectible, then paid late: late, no longer a default',
      inv: invoice({ due: -60, uncollectible: -20, paid: -10 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 50, status: 'paid', default: false },
    },
    {
      name: 'voided while overdue: a default',
      inv: invoice({ due: -30, voided: -10 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 1, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 20, status: 'void', default: true },
    },
    {
      name: 'voided within grace: left out',
      inv: invoice({ due: -30, voided: -28 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'voided before the due date: left out',
      inv: invoice({ due: -30, voided: -40 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'draft: ignored',
      inv: invoice({ due: -40, draft: true }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'nothing to pay (amountDue 0): ignored',
      inv: invoice({ due: -40, amountDue: 0 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'paid late 364 days ago: inside the window',
      inv: invoice({ due: -364, paid: -300 }),
      expected: { invoiceCount: 1, lateInvoices: 1, defaults: 0, maxDaysOverdue: 0, latePayer: false },
      evidence: { daysLate: 64, status: 'paid', default: false, inWindow: true },
    },
    {
      name: 'paid late, due exactly 365 days ago: outside the window',
      inv: invoice({ due: -365, paid: -300 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 0, latePayer: false },
    },
    {
      name: 'unpaid for 400 days: outside the window, yet overdue now',
      inv: invoice({ due: -400 }),
      expected: { invoiceCount: 0, lateInvoices: 0, defaults: 0, maxDaysOverdue: 400, latePayer: true },
      evidence: { daysLate: 400, status: 'open', default: false, inWindow: false },
    },
  ];

  it.each(rows)('$name', ({ inv, expected, evidence }) => {
    const p = profile([inv]);
    expect(latePaymentProfileSchema.parse(p)).toEqual(p);
    expect(p).toMatchObject(expected);
    if (evidence) {
      expect(p.evidence).toHaveLength(1);
      expect(p.evidence[0]).toMatchObject({ invoiceId: inv.invoiceId, number: inv.number, currency: 'eur', amountDue: inv.amountDue, ...evidence });
    } else {
      expect(p.evidence).toEqual([]);
    }
    expect(p.reasons.length > 0).toBe(p.latePayer);
  });
});

describe('the three flag conditions at their boundaries', () => {
  it('2 late invoices do not flag; 3 do', () => {
    const two = profile([...paidLate(2), ...onTime(3)]);
    expect(two).toMatchObject({ invoiceCount: 5, lateInvoices: 2, latePayer: false, reasons: [] });
    const three = profile([...paidLate(3), ...onTime(5)]);
    expect(three).toMatchObject({ invoiceCount: 8, lateInvoices: 3, latePayer: true });
    expect(three.reasons).toEqual(['3 late invoices in the last 365 days (threshold 3)']);
  });

  it('2 of 4 late flags; 2 of 5 does not; 1 of 2 does not (too few invoices)', () => {
    const twoOfFour = profile([...paidLate(2), ...onTime(2)]);
    expect(twoOfFour).toMatchObject({ invoiceCount: 4, lateInvoices: 2, latePayer: true });
    expect(twoOfFour.reasons).toEqual(['2 of 4 invoices late in the last 365 days (50%, threshold 50% of at least 4)']);
    expect(profile([...paidLate(2), ...onTime(3)]).latePayer).toBe(false);
    expect(profile([...paidLate(1), ...onTime(1)])).toMatchObject({ invoiceCount: 2, lateInvoices: 1, latePayer: false });
  });

  it('compares the share exactly (7 of 25 at a 28% share flags, though 0.28 × 25 > 7 in floating point)', () => {
    const policy = policySchema.parse({ latePayer: { lateShare: 0.28, minLateInvoices: 10 } });
    expect(profile([...paidLate(7), ...onTime(18)], NOW, policy)).toMatchObject({ invoiceCount: 25, lateInvoices: 7, latePayer: true });
    expect(profile([...paidLate(6), ...onTime(19)], NOW, policy).latePayer).toBe(false);
  });

  it('30 days overdue does not flag; 31 does', () => {
    const thirty = profile([invoice({ due: -30 })]);
    expect(thirty).toMatchObject({ maxDaysOverdue: 30, lateInvoices: 1, latePayer: false });
    const inv = invoice({ due: -31 });
    const thirtyOne = profile([inv]);
    expect(thirtyOne).toMatchObject({ maxDaysOverdue: 31, latePayer: true });
    expect(thirtyOne.reasons).toEqual([`invoice ${inv.number} is 31 days overdue (more than 30)`]);
  });

  it('reports defaults among the reasons when the flag holds', () => {
    const p = profile([invoice({ due: -100, uncollectible: -50 }), ...paidLate(2)]);
    expect(p).toMatchObject({ latePayer: true, defaults: 1, lateInvoices: 3 });
    expect(p.reasons).toContain('1 invoice in the last 365 days defaulted (marked uncollectible or voided while overdue)');
  });

  it('uses the policy thresholds', () => {
    const strict = policySchema.parse({ graceDays: 0, latePayer: { minLateInvoices: 1, overdueDays: 5 } });
    const inv = invoice({ due: -6 });
    expect(profile([inv], NOW, strict)).toMatchObject({ lateInvoices: 1, maxDaysOverdue: 6, latePayer: true });
    expect(profile([inv], NOW, strict).reasons).toHaveLength(2);
    expect(profile([inv]).latePayer).toBe(false);
  });
});

describe('the flag clears when the conditions stop holding', () => {
  it('when an overdue invoice is paid', () => {
    const open = invoice({ id: 'in_x', due: -40 });
    expect(profile([open]).latePayer).toBe(true);
    const paid = { ...open, paidAt: at(0), amountPaid: open.amountDue, amountRemaining: 0, version: '001800000000#3#evt_2' };
    const after = profile([open, paid], at(1)); // both observations: merged inside
    expect(after).toMatchObject({ latePayer: false, reasons: [], maxDaysOverdue: 0, lateInvoices: 1 });
  });

  it('when late invoices age out of the window', () => {
    const late = [invoice({ due: -300, paid: -280 }), invoice({ due: -200, paid: -180 }), invoice({ due: -100, paid: -80 })];
    const p = profile(late);
    expect(p.latePayer).toBe(true);
    // The oldest leaves the window 365 days after its due date.
    expect(p.nextChangeAt).toBe(at(65));
    expect(profile(late, at(65)).latePayer).toBe(false);
    expect(profile(late, new Date(Date.parse(at(65)) - 1)).latePayer).toBe(true);
  });

  it('when on-time invoices dilute the late share', () => {
    const history = [...paidLate(2), ...onTime(2)];
    expect(profile(history).latePayer).toBe(true);
    expect(profile([...history, invoice({ due: -1, paid: -2 })]).latePayer).toBe(false);
  });

  it('not when an invoice is only issued: it counts from its due date, when it can be judged', () => {
    const history = [...paidLate(2), ...onTime(2)];
    const issued = invoice({ due: 30, finalized: 0 });
    expect(profile([...history, issued])).toMatchObject({ invoiceCount: 4, lateInvoices: 2, latePayer: true, nextChangeAt: at(30) });
    // Once due (on time so far) it counts and dilutes the share, as it does as soon as it is paid.
    expect(profile([...history, issued], at(30))).toMatchObject({ invoiceCount: 5, lateInvoices: 2, latePayer: false });
    const paidEarly = { ...issued, paidAt: at(5), amountPaid: issued.amountDue, amountRemaining: 0 };
    expect(profile([...history, paidEarly], at(5))).toMatchObject({ invoiceCount: 5, latePayer: false });
  });
});

describe('nextChangeAt', () => {
  it('is undefined when time alone changes nothing', () => {
    expect(profile([]).nextChangeAt).toBeUndefined();
    expect(profile([invoice({ due: -30, draft: true })]).nextChangeAt).toBeUndefined();
    expect(profile([invoice({ due: -30, voided: -40 })]).nextChangeAt).toBeUndefined();
    expect(profile([invoice({ due: -400, paid: -390 })]).nextChangeAt).toBeUndefined();
  });

  it('is when a paid invoice leaves the window', () => {
    expect(profile([invoice({ due: -20, paid: -25 })]).nextChangeAt).toBe(at(345));
  });

  it('is the next whole-day boundary while an invoice is overdue (its days count ticks)', () => {
    const p = profile([invoice({ due: -40.25 })]);
    expect(p.nextChangeAt).toBe(at(0.75));
    expect(profile([invoice({ due: -40.25 })], at(0.75)).maxDaysOverdue).toBe(41);
  });

  it('is the due date of an invoice not yet due (it enters the counts), then a day after it', () => {
    const inv = invoice({ due: 10, finalized: -5 });
    const p = profile([inv]);
    expect(p).toMatchObject({ invoiceCount: 0, nextChangeAt: at(10) });
    expect(profile([inv], at(10))).toMatchObject({ invoiceCount: 1, lateInvoices: 0, maxDaysOverdue: 0, nextChangeAt: at(11) });
    expect(profile([inv], at(11)).maxDaysOverdue).toBe(1);
    // It becomes late once past the grace period: a later change, reached by re-evaluating.
    expect(profile([inv], at(14)).lateInvoices).toBe(1);
    expect(profile([inv], at(14)).nextChangeAt).toBe(at(15));
  });

  it('ignores an auto-charged invoice with no failure (it cannot become late)', () => {
    expect(profile([invoice({ finalized: -2 })]).nextChangeAt).toBe(at(363));
  });

  it('accepts an ISO string for now and rejects an invalid one', () => {
    const invs = [invoice({ due: -40 }), invoice({ due: -2, paid: -1 })];
    const fromString = profile(invs, NOW.toISOString());
    expect(fromString).toEqual(profile(invs, NOW));
    expect(fromString.maxDaysOverdue).toBe(40);
    expect(() => profile([], 'not a date')).toThrow(RangeError);
  });
});

// --- Properties ------------------------------------------------------------------------------

const BASE_S = Math.floor(Date.parse('2024-01-01T00:00:00Z') / 1000);
const HOUR_S = 3600;

/** One invoice's life as Stripe would report it: a list of (event, invoice snapshot). */
const lifecycleArb = fc.record({
  startH: fc.integer({ min: 0, max: 600 * 24 }),
  hasDue: fc.boolean(),
  dueAfterH: fc.integer({ min: 0, max: 45 * 24 }),
  failAfterH: fc.option(fc.integer({ min: 0, max: 10 * 24 }), { nil: undefined }),
  end: fc.constantFrom('open', 'paid', 'void', 'uncollectible', 'uncollectible_then_paid', 'draft'),
  endAfterH: fc.integer({ min: 0, max: 120 * 24 }),
  amount: fc.constantFrom(0, 1000, 25_000),
});
type Lifecycle = typeof lifecycleArb extends fc.Arbitrary<infer T> ? T : never;

function stripeEvents(invoiceId: string, l: Lifecycle): Array<{ event: { id: string; type: string; created: number }; invoice: unknown }> {
  const created = BASE_S + l.startH * HOUR_S;
  const finalized = created + HOUR_S;
  const dueDate = l.hasDue ? finalized + l.dueAfterH * HOUR_S : null;
  const failedAt = l.failAfterH === undefined ? undefined : finalized + l.failAfterH * HOUR_S;
  const endAt = finalized + l.endAfterH * HOUR_S;
  const snapshot = (status: string, t: Record<string, number | null>, attempts = 0) => ({
    id: invoiceId,
    object: 'invoice',
    customer: 'cus_prop',
    currency: 'usd',
    collection_method: l.hasDue ? 'send_invoice' : 'charge_automatically',
    due_date: dueDate,
    number: status === 'draft' ? null : `N-${invoiceId}`,
    status,
    amount_due: l.amount,
    amount_paid: status === 'paid' ? l.amount : 0,
    amount_remaining: status === 'paid' ? 0 : l.amount,
    total: l.amount,
    attempted: attempts > 0,
    attempt_count: attempts,
    status_transitions: { finalized_at: null, paid_at: null, voided_at: null, marked_uncollectible_at: null, ...t },
    parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_prop' } },
  });
  const out: Array<{ event: { id: string; type: string; created: number }; invoice: unknown }> = [];
  const push = (type: string, at: number, inv: unknown) => out.push({ event: { id: `evt_${invoiceId}_${out.length}`, type, created: at }, invoice: inv });
  push('invoice.created', created, snapshot('draft', {}));
  if (l.end === 'draft') return out;
  push('invoice.finalized', finalized, snapshot('open', { finalized_at: finalized }));
  let attempts = 0;
  if (failedAt !== undefined && failedAt <= endAt) {
    attempts = 1;
    push('invoice.payment_failed', failedAt, snapshot('open', { finalized_at: finalized }, attempts));
  }
  if (l.end === 'paid') push('invoice.paid', endAt, snapshot('paid', { finalized_at: finalized, paid_at: endAt }, attempts + 1));
  if (l.end === 'void') push('invoice.voided', endAt, snapshot('void', { finalized_at: finalized, voided_at: endAt }, attempts));
  if (l.end === 'uncollectible' || l.end === 'uncollectible_then_paid') {
    push('invoice.marked_uncollectible', endAt, snapshot('uncollectible', { finalized_at: finalized, marked_uncollectible_at: endAt }, attempts));
  }
  if (l.end === 'uncollectible_then_paid') {
    const paidAt = endAt + 5 * 24 * HOUR_S;
    push('invoice.paid', paidAt, snapshot('paid', { finalized_at: finalized, marked_uncollectible_at: endAt, paid_at: paidAt }, attempts));
  }
  return out;
}

/** Observations of up to six invoices of one account, as delivered in order. */
const accountArb = fc
  .array(lifecycleArb, { minLength: 0, maxLength: 6 })
  .map((lives) => lives.flatMap((l, i) => stripeEvents(`in_${i}`, l)).map(({ event, invoice }) => observeInvoice(event, invoice)));

/** The same observations reordered, some delivered twice. */
const redeliveredArb = accountArb.chain((list) =>
  (list.length === 0
    ? fc.constant(list)
    : fc.array(fc.nat({ max: list.length - 1 }), { maxLength: 6 }).chain((dups) => {
        const withDups = [...list, ...dups.map((i) => list[i] as InvoiceFacts)];
        return fc.shuffledSubarray(withDups, { minLength: withDups.length, maxLength: withDups.length });
      })
  ).map((other) => [list, other] as const),
);

const nowArb = fc.integer({ min: 0, max: 800 * 24 * 60 }).map((m) => new Date((BASE_S + m * 60) * 1000));

function foldPerInvoice(list: readonly InvoiceFacts[]): InvoiceFacts[] {
  const byId = new Map<string, InvoiceFacts>();
  for (const f of list) {
    const seen = byId.get(f.invoiceId);
    byId.set(f.invoiceId, seen ? mergeInvoiceFacts(seen, f) : f);
  }
  return [...byId.values()];
}

const policyArb = fc
  .record({
    graceDays: fc.integer({ min: 0, max: 7 }),
    latePayer: fc.record({
      windowDays: fc.constantFrom(30, 90, 365),
      minLateInvoices: fc.integer({ min: 1, max: 4 }),
      minInvoicesForShare: fc.integer({ min: 1, max: 5 }),
      lateShare: fc.constantFrom(0.25, 0.5, 1),
      overdueDays: fc.integer({ min: 1, max: 40 }),
    }),
  })
  .map((p) => policySchema.parse(p));

describe('properties', () => {
  it('the same events in any order, with duplicates, give the same profile', () => {
    fc.assert(
      fc.property(redeliveredArb, nowArb, ([inOrder, redelivered], now) => {
        const expected = profile(foldPerInvoice(inOrder), now);
        expect(profile(foldPerInvoice(redelivered), now)).toStrictEqual(expected);
        expect(profile([...redelivered], now)).toStrictEqual(expected);
        expect(latePaymentProfileSchema.safeParse(expected).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('nothing changes before nextChangeAt, and nothing ever changes when it is undefined', () => {
    const fractionsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(accountArb, nowArb, policyArb, fractionsArb, (observations, now, policy, fractions) => {
        const p = profile(observations, now, policy);
        const nowMs = now.getTime();
        if (p.nextChangeAt === undefined) {
          for (const later of [nowMs + DAY, nowMs + 5000 * DAY]) expect(profile(observations, new Date(later), policy)).toStrictEqual(p);
          return;
        }
        const nextMs = Date.parse(p.nextChangeAt);
        expect(nextMs).toBeGreaterThan(nowMs);
        const instants = [...fractions.map((x) => nowMs + Math.floor(x * (nextMs - nowMs))), nextMs - 1].filter((t) => t > nowMs && t < nextMs);
        for (const t of instants) expect(profile(observations, new Date(t), policy), new Date(t).toISOString()).toStrictEqual(p);
      }),
      { numRuns: 500 },
    );
  });
});
