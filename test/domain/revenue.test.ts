import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStripeRevenueObjectError, observeDispute, observeRefunds } from '../../shared/stripe/revenue.ts';
import {
  CHARGE_REFUND_PREFIX,
  RevenueFactMismatchError,
  disputeFactSchema,
  mergeDisputeFacts,
  mergeDisputeObservations,
  mergeRefundFacts,
  mergeRefundObservations,
  refundFactSchema,
  type DisputeFact,
  type RefundFact,
} from '../../shared/domain/revenue.ts';

/** Stripe's own example objects, current API shape. */
const resources: Record<'refund' | 'charge' | 'dispute' | 'balance_transaction' | 'invoice', Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8'),
).resources;

const T0 = 1_750_000_000; // epoch seconds
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const evt = (id: string, type: string, created: number) => ({ id, type, created });
const version = (id: string, created: number) => `${String(created).padStart(12, '0')}#${id}`;

function refund(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(resources.refund), ...overrides };
}
function charge(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(resources.charge), ...overrides };
}
function dispute(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(resources.dispute), ...overrides };
}
function txn(id: string, amount: number, fee: number, currency = 'usd', category?: string) {
  return {
    ...structuredClone(resources.balance_transaction),
    id,
    amount,
    fee,
    currency,
    net: amount - fee,
    ...(category !== undefined && { reporting_category: category }),
  };
}

describe('observeRefunds', () => {
  it('reads the fixture refund', () => {
    const facts = observeRefunds(evt('evt_1', 'refund.created', T0), resources.refund);
    expect(facts).toEqual([
      {
        refundId: 're_1Pgc72B7WZ01zgkWqPvrRrPE',
        kind: 'refund',
        chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        amount: 100,
        currency: 'usd',
        status: 'succeeded',
        createdAt: iso(1234567890),
        version: version('evt_1', T0),
      },
    ]);
    expect(refundFactSchema.parse(facts[0])).toEqual(facts[0]);
  });

  it('takes the customer from the object, then an expanded charge, then the caller', () => {
    const ev = evt('evt_1', 'refund.updated', T0);
    expect(observeRefunds(ev, refund({ customer: 'cus_own' }), { customerId: 'cus_ctx' })[0]?.customerId).toBe('cus_own');
    expect(observeRefunds(ev, refund({ charge: { id: 'ch_x', object: 'charge', customer: { id: 'cus_exp' } } }))[0]).toMatchObject({
      chargeId: 'ch_x',
      customerId: 'cus_exp',
    });
    expect(observeRefunds(ev, refund(), { customerId: 'cus_ctx' })[0]?.customerId).toBe('cus_ctx');
    expect(observeRefunds(ev, refund())[0]?.customerId).toBeUndefined();
  });

  it('reads a charge.refunded without embedded refunds (current API) as the charge aggregate only', () => {
    const { refunds: _none, ...current } = charge({ amount: 5000, amount_refunded: 3000, refunded: false, customer: 'cus_1' });
    const facts = observeRefunds(evt('evt_2', 'charge.refunded', T0), current);
    expect(facts).toEqual([
      {
        refundId: `${CHARGE_REFUND_PREFIX}ch_1PgafuB7WZ01zgkWXYmPNZs8`,
        kind: 'charge_total',
        chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        customerId: 'cus_1',
        amount: 3000,
        currency: 'usd',
        status: 'succeeded',
        createdAt: iso(T0),
        version: version('evt_2', T0),
      },
    ]);
  });

  it('reads the embedded refunds of an older charge.refunded, inheriting charge, customer and invoice', () => {
    const older = charge({
      amount: 5000,
      amount_refunded: 3000,
      customer: { id: 'cus_1', object: 'customer', email: 'ana@example.com' },
      invoice: 'in_1',
      refunds: {
        object: 'list',
        has_more: false,
        data: [
          refund({ id: 're_a', amount: 1000, charge: 'ch_1PgafuB7WZ01zgkWXYmPNZs8' }),
          refund({ id: 're_b', amount: 2000, charge: 'ch_1PgafuB7WZ01zgkWXYmPNZs8', status: 'pending' }),
        ],
      },
    });
    const facts = observeRefunds(evt('evt_3', 'charge.refunded', T0), older);
    expect(facts.map((f) => [f.refundId, f.kind, f.amount, f.status, f.customerId, f.invoiceId])).toEqual([
      ['re_a', 'refund', 1000, 'succeeded', 'cus_1', 'in_1'],
      ['re_b', 'refund', 2000, 'pending', 'cus_1', 'in_1'],
      [`${CHARGE_REFUND_PREFIX}ch_1PgafuB7WZ01zgkWXYmPNZs8`, 'charge_total', 3000, 'succeeded', 'cus_1', 'in_1'],
    ]);
  });

  it('keeps no personal or card data', () => {
    const facts = observeRefunds(
      evt('evt_4', 'charge.refunded', T0),
      charge({ amount_refunded: 100, customer: { id: 'cus_1', email: 'ana@example.com', name: 'Ana Pérez' } }),
    );
    const text = JSON.stringify(facts);
    for (const secret of ['Jenny', 'Rosen', '4242', 'visa', 'AOB934RVNwzk6xtn', 'ana@example.com', 'Ana', 'receipt']) {
      expect(text).not.toContain(secret);
    }
    expect(facts).toHaveLength(1);
  });

  it('ignores objects that are neither refunds nor charges', () => {
    expect(observeRefunds(evt('evt_5', 'invoice.paid', T0), resources.invoice)).toEqual([]);
    expect(observeRefunds(evt('evt_5', 'x', T0), null)).toEqual([]);
  });

  it('refuses a malformed refund or an unknown status, naming the refund', () => {
    expect(() => observeRefunds(evt('evt_6', 'refund.created', T0), refund({ amount: 10.5 }))).toThrow(InvalidStripeRevenueObjectError);
    expect(() => observeRefunds(evt('evt_6', 'refund.created', T0), refund({ status: 'reversed' }))).toThrow(/re_1Pgc72B7WZ01zgkWqPvrRrPE.*"reversed"/);
    expect(() => observeRefunds({ id: '', type: 'refund.created', created: T0 }, refund())).toThrow(InvalidStripeRevenueObjectError);
  });
});

describe('mergeRefundFacts', () => {
  const pending = observeRefunds(evt('evt_a', 'refund.created', T0), refund({ status: 'pending' }))[0] as RefundFact;
  const succeeded = observeRefunds(evt('evt_b', 'refund.updated', T0 + 60), refund({ status: 'succeeded' }))[0] as RefundFact;

  it('takes the status of the newer observation, whatever the order', () => {
    expect(mergeRefundFacts(pending, succeeded).status).toBe('succeeded');
    expect(mergeRefundFacts(succeeded, pending).status).toBe('succeeded');
    expect(mergeRefundFacts(succeeded, pending).version).toBe(version('evt_b', T0 + 60));
  });

  it('breaks a same-second tie by the status stage, not by the event id', () => {
    // evt_z sorts after evt_a, yet the pending snapshot is the earlier stage.
    const early = observeRefunds(evt('evt_z', 'refund.created', T0), refund({ status: 'pending' }))[0] as RefundFact;
    const late = observeRefunds(evt('evt_a', 'refund.updated', T0), refund({ status: 'succeeded' }))[0] as RefundFact;
    expect(mergeRefundFacts(early, late).status).toBe('succeeded');
    expect(mergeRefundFacts(late, early).status).toBe('succeeded');
  });

  it('lets a later failure undo a success', () => {
    const failed = observeRefunds(evt('evt_c', 'refund.failed', T0 + 3600), refund({ status: 'failed' }))[0] as RefundFact;
    expect(mergeRefundFacts(mergeRefundFacts(succeeded, failed), pending).status).toBe('failed');
  });

  it('refuses to merge two different refunds', () => {
    const other = { ...succeeded, refundId: 're_other' };
    expect(() => mergeRefundFacts(succeeded, other)).toThrow(RevenueFactMismatchError);
  });
});

describe('observeDispute', () => {
  it('reads the fixture dispute: no balance transactions, so no fee', () => {
    const fact = observeDispute(evt('evt_1', 'charge.dispute.created', T0), resources.dispute, { customerId: 'cus_1' });
    expect(fact).toEqual({
      disputeId: 'dp_1Pgc71B7WZ01zgkWMevJiAUx',
      chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      customerId: 'cus_1',
      amount: 1000,
      currency: 'usd',
      status: 'warning_needs_response',
      fee: 0,
      feeCurrency: 'usd',
      balanceTransactions: [],
      createdAt: iso(1234567890),
      fundsWithdrawn: false,
      fundsReinstated: false,
      version: version('evt_1', T0),
      statusVersion: version('evt_1', T0),
    });
    expect(disputeFactSchema.parse(fact)).toEqual(fact);
    for (const secret of ['visa', '10.4', 'evidence', 'general']) expect(JSON.stringify(fact)).not.toContain(secret);
  });

  it('sums the fees of its balance transactions and sees the funds move', () => {
    const d = dispute({
      status: 'lost',
      balance_transactions: [txn('txn_w', -1000, 1500, 'usd', 'dispute'), txn('txn_r', 1000, -1500, 'usd', 'dispute_reversal')],
    });
    const fact = observeDispute(evt('evt_2', 'charge.dispute.closed', T0), d);
    expect(fact).toMatchObject({ fee: 0, fundsWithdrawn: true, fundsReinstated: true, closedAt: iso(T0), status: 'lost' });
    const withdrawnOnly = observeDispute(
      evt('evt_3', 'charge.dispute.funds_withdrawn', T0),
      dispute({ status: 'needs_response', balance_transactions: [txn('txn_w', -1000, 1500)] }),
    );
    expect(withdrawnOnly).toMatchObject({ fee: 1500, feeCurrency: 'usd', fundsWithdrawn: true, fundsReinstated: false });
    expect(withdrawnOnly.closedAt).toBeUndefined();
  });

  it('keeps a fee settled in another currency in that currency', () => {
    const fact = observeDispute(
      evt('evt_4', 'charge.dispute.funds_withdrawn', T0),
      dispute({ currency: 'eur', balance_transactions: [txn('txn_w', -1100, 1500, 'usd')] }),
    );
    expect(fact).toMatchObject({ currency: 'eur', fee: 1500, feeCurrency: 'usd' });
  });

  it('never sums fees of two currencies: the dispute’s own currency is kept', () => {
    const fact = observeDispute(
      evt('evt_4', 'charge.dispute.funds_withdrawn', T0),
      dispute({ currency: 'eur', balance_transactions: [txn('txn_u', -1100, 1500, 'usd'), txn('txn_e', -1000, 100, 'eur')] }),
    );
    expect(fact).toMatchObject({ fee: 100, feeCurrency: 'eur' });
    expect(fact.balanceTransactions.map((t) => t.id)).toEqual(['txn_e', 'txn_u']);
  });

  it('skips unexpanded balance transaction ids and reads an expanded charge’s customer', () => {
    const fact = observeDispute(
      evt('evt_5', 'charge.dispute.updated', T0),
      dispute({ balance_transactions: ['txn_1'], charge: { id: 'ch_9', object: 'charge', customer: 'cus_9' } }),
    );
    expect(fact).toMatchObject({ chargeId: 'ch_9', customerId: 'cus_9', fee: 0, balanceTransactions: [] });
  });

  it('refuses an unknown status', () => {
    expect(() => observeDispute(evt('evt_6', 'charge.dispute.updated', T0), dispute({ status: 'reopened' }))).toThrow(InvalidStripeRevenueObjectError);
  });
});

describe('mergeDisputeFacts', () => {
  const obs = (id: string, type: string, created: number, overrides: Record<string, unknown>) => observeDispute(evt(id, type, created), dispute(overrides));

  it('never lets a late open status reopen a closed dispute', () => {
    const lost = obs('evt_c', 'charge.dispute.closed', T0, { status: 'lost' });
    const lateUpdate = obs('evt_u', 'charge.dispute.updated', T0 + 100, { status: 'under_review' });
    expect(mergeDisputeFacts(lost, lateUpdate).status).toBe('lost');
    expect(mergeDisputeFacts(lateUpdate, lost).status).toBe('lost');
    // The newest snapshot still supplies the other fields.
    expect(mergeDisputeFacts(lost, lateUpdate).version).toBe(version('evt_u', T0 + 100));
  });

  it('between two closed statuses, the newer wins (won, then lost after reopening)', () => {
    const won = obs('evt_w', 'charge.dispute.closed', T0, { status: 'won' });
    const lost = obs('evt_l', 'charge.dispute.closed', T0 + 86_400, { status: 'lost' });
    expect(mergeDisputeFacts(won, lost).status).toBe('lost');
    expect(mergeDisputeFacts(lost, won).status).toBe('lost');
    expect(mergeDisputeFacts(lost, won).closedAt).toBe(iso(T0));
  });

  it('keeps every balance transaction seen, so a stale snapshot never drops the fee', () => {
    const withdrawn = obs('evt_1', 'charge.dispute.funds_withdrawn', T0, {
      status: 'needs_response',
      balance_transactions: [txn('txn_w', -1000, 1500)],
    });
    const staleCreated = obs('evt_2', 'charge.dispute.created', T0 + 1, { status: 'needs_response', balance_transactions: [] });
    const merged = mergeDisputeFacts(withdrawn, staleCreated);
    expect(merged).toMatchObject({ fee: 1500, fundsWithdrawn: true, balanceTransactions: [{ id: 'txn_w', fee: 1500, currency: 'usd' }] });
  });

  it('refuses to merge two different disputes', () => {
    const a = obs('evt_1', 'charge.dispute.created', T0, {});
    expect(() => mergeDisputeFacts(a, { ...a, disputeId: 'dp_other' })).toThrow(RevenueFactMismatchError);
  });
});

// --- Algebraic laws, over observations built from Stripe-shaped objects ----------------------

const createdArb = fc.integer({ min: T0, max: T0 + 5 }); // narrow: same-second ties happen
const eventIdArb = fc.constantFrom('evt_a', 'evt_b', 'evt_c', 'evt_d');

const refundObservationArb: fc.Arbitrary<RefundFact> = fc
  .record({
    eventId: eventIdArb,
    created: createdArb,
    status: fc.constantFrom('succeeded', 'pending', 'failed', 'canceled', 'requires_action'),
    amount: fc.integer({ min: 0, max: 100_000 }),
    customer: fc.constantFrom(null, 'cus_1', 'cus_2'),
    charge: fc.constantFrom(null, 'ch_1', 'ch_2'),
  })
  .map((r) => observeRefunds(evt(r.eventId, 'refund.updated', r.created), refund({ id: 're_1', ...r, created: T0 - 1000 }))[0] as RefundFact);

const disputeObservationArb: fc.Arbitrary<DisputeFact> = fc
  .record({
    eventId: eventIdArb,
    created: createdArb,
    type: fc.constantFrom('charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_withdrawn'),
    status: fc.constantFrom('warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented'),
    amount: fc.integer({ min: 0, max: 100_000 }),
    txns: fc.subarray([txn('txn_1', -1000, 1500, 'usd', 'dispute'), txn('txn_2', 1000, -1500, 'usd', 'dispute_reversal'), txn('txn_3', -5, 7, 'eur')]),
  })
  .map((d) => observeDispute(evt(d.eventId, d.type, d.created), dispute({ id: 'dp_1', status: d.status, amount: d.amount, balance_transactions: d.txns })));

describe('merge laws', () => {
  it('mergeRefundFacts is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(refundObservationArb, refundObservationArb, refundObservationArb, (a, b, c) => {
        expect(mergeRefundFacts(a, b)).toEqual(mergeRefundFacts(b, a));
        expect(mergeRefundFacts(mergeRefundFacts(a, b), c)).toEqual(mergeRefundFacts(a, mergeRefundFacts(b, c)));
        expect(mergeRefundFacts(a, a)).toEqual(a);
        expect(refundFactSchema.safeParse(mergeRefundFacts(a, b)).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('mergeDisputeFacts is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(disputeObservationArb, disputeObservationArb, disputeObservationArb, (a, b, c) => {
        expect(mergeDisputeFacts(a, b)).toEqual(mergeDisputeFacts(b, a));
        expect(mergeDisputeFacts(mergeDisputeFacts(a, b), c)).toEqual(mergeDisputeFacts(a, mergeDisputeFacts(b, c)));
        expect(mergeDisputeFacts(a, a)).toEqual(a);
        expect(disputeFactSchema.safeParse(mergeDisputeFacts(a, b)).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a closed status observed anywhere in the sequence is never lost to open ones', () => {
    fc.assert(
      fc.property(fc.array(disputeObservationArb, { minLength: 1, maxLength: 8 }), (observations) => {
        const merged = mergeDisputeObservations(observations).get('dp_1') as DisputeFact;
        const anyClosed = observations.some((o) => ['won', 'lost', 'warning_closed', 'prevented'].includes(o.status));
        expect(['won', 'lost', 'warning_closed', 'prevented'].includes(merged.status)).toBe(anyClosed);
      }),
    );
  });

  it('folding observations in any order with any duplicates gives the same facts', () => {
    const refundsArb = fc.array(refundObservationArb, { minLength: 1, maxLength: 6 });
    const disputesArb = fc.array(disputeObservationArb, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        refundsArb.chain((rs) => fc.tuple(fc.constant(rs), shuffledWithDuplicates(rs))),
        disputesArb.chain((ds) => fc.tuple(fc.constant(ds), shuffledWithDuplicates(ds))),
        ([refunds, refundsReplayed], [disputes, disputesReplayed]) => {
          expect(mergeRefundObservations(refundsReplayed)).toEqual(mergeRefundObservations(refunds));
          expect(mergeDisputeObservations(disputesReplayed)).toEqual(mergeDisputeObservations(disputes));
        },
      ),
    );
  });
});

/** The same items, each at least once, some repeated, in any order. */
function shuffledWithDuplicates<T>(items: T[]): fc.Arbitrary<T[]> {
  return fc.array(fc.nat({ max: items.length - 1 }), { maxLength: items.length }).chain((extra) => {
    const all = [...items, ...extra.map((i) => items[i] as T)];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });
}
