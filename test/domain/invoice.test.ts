import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { core } from '../../shared/zod.ts';
import { InvalidStripeObjectError, observeInvoice } from '../../shared/stripe/invoice.ts';
import {
  InvoiceMismatchError,
  invoiceFactsSchema,
  invoiceStatus,
  mergeInvoiceFacts,
  mergeObservations,
  type InvoiceFacts,
} from '../../shared/domain/invoice.ts';

/** Stripe's own example invoice, current API shape (reference copy beside the checkout). */
const fixtureInvoice: Record<string, unknown> = JSON.parse(readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8')).resources
  .invoice;

const T0 = 1_750_000_000; // epoch seconds
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function stripeInvoice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(fixtureInvoice), ...overrides };
}

function transitions(t: Partial<Record<'finalized_at' | 'paid_at' | 'voided_at' | 'marked_uncollectible_at', number>>) {
  return { finalized_at: null, paid_at: null, voided_at: null, marked_uncollectible_at: null, ...t };
}

const evt = (id: string, type: string, created: number) => ({ id, type, created });

describe('observeInvoice', () => {
  it('reads the real fixture invoice (current shape: subscription under parent)', () => {
    const facts = observeInvoice(evt('evt_1', 'invoice.created', T0), fixtureInvoice);
    expect(facts).toEqual({
      invoiceId: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I',
      customerId: 'cus_QXg1o8vcGmoR32',
      currency: 'usd',
      collectionMethod: 'charge_automatically',
      subscriptionId: 'subscription',
      dueDate: iso(1234567890),
      amountDue: 1000,
      amountPaid: 0,
      amountRemaining: 1000,
      total: 1000,
      version: `00${T0}#0#evt_1`,
    });
    expect(invoiceStatus(facts)).toBe('draft');
    expect(invoiceFactsSchema.parse(facts)).toEqual(facts);
  });

  it('keeps no personal data even when the invoice carries it', () => {
    const invoice = stripeInvoice({
      customer_email: 'ana@example.com',
      customer_name: 'Ana Pérez',
      customer_phone: '+34 600 000 000',
      customer_address: { city: 'Madrid', line1: 'Calle Mayor 1', country: 'ES' },
      customer: { id: 'cus_1', object: 'customer', email: 'ana@example.com', name: 'Ana Pérez' },
    });
    const facts = observeInvoice(evt('evt_1', 'invoice.finalized', T0), invoice);
    const text = JSON.stringify(facts);
    for (const secret of ['ana@example.com', 'Ana', 'Madrid', 'Mayor', '600 000']) expect(text).not.toContain(secret);
    expect(Object.keys(facts).every((k) => k in invoiceFactsSchema.shape)).toBe(true);
    expect(facts.customerId).toBe('cus_1');
  });

  it('reads an older-shape invoice: subscription at the top level, customer expanded', () => {
    const { parent: _parent, ...withoutParent } = stripeInvoice({
      customer: { id: 'cus_old', object: 'customer', deleted: true },
      subscription: 'sub_old',
      status: 'paid',
      paid: true,
      number: 'ABC-0001',
      amount_paid: 1000,
      amount_remaining: 0,
      status_transitions: transitions({ finalized_at: T0 - 100, paid_at: T0 - 10 }),
    });
    const facts = observeInvoice(evt('evt_2', 'invoice.paid', T0), withoutParent);
    expect(facts).toMatchObject({
      customerId: 'cus_old',
      subscriptionId: 'sub_old',
      number: 'ABC-0001',
      finalizedAt: iso(T0 - 100),
      paidAt: iso(T0 - 10),
      amountPaid: 1000,
      amountRemaining: 0,
    });
    expect(facts.firstFailedAt).toBeUndefined();
    expect(invoiceStatus(facts)).toBe('paid');
  });

  it('reads an expanded subscription object in either place', () => {
    const older = observeInvoice(evt('e', 'invoice.updated', T0), stripeInvoice({ parent: null, subscription: { id: 'sub_x', object: 'subscription' } }));
    expect(older.subscriptionId).toBe('sub_x');
    const current = observeInvoice(
      evt('e', 'invoice.updated', T0),
      stripeInvoice({ subscription: undefined, parent: { type: 'subscription_details', subscription_details: { subscription: { id: 'sub_y' } } } }),
    );
    expect(current.subscriptionId).toBe('sub_y');
    const none = observeInvoice(evt('e', 'invoice.updated', T0), stripeInvoice({ parent: null, subscription: null }));
    expect(none.subscriptionId).toBeUndefined();
  });

  type Case = {
    name: string;
    type: string;
    overrides: Record<string, unknown>;
    expected: Partial<Record<keyof InvoiceFacts, string | undefined>>;
    status: ReturnType<typeof invoiceStatus>;
  };
  const cases: Case[] = [
    {
      name: 'finalised, open',
      type: 'invoice.finalized',
      overrides: { status: 'open', status_transitions: transitions({ finalized_at: T0 - 5 }) },
      expected: { finalizedAt: iso(T0 - 5), paidAt: undefined, firstFailedAt: undefined },
      status: 'open',
    },
    {
      name: 'paid with paid_at',
      type: 'invoice.paid',
      overrides: { status: 'paid', status_transitions: transitions({ finalized_at: T0 - 50, paid_at: T0 - 5 }), attempted: true, attempt_count: 1 },
      expected: { finalizedAt: iso(T0 - 50), paidAt: iso(T0 - 5), firstFailedAt: undefined },
      status: 'paid',
    },
    {
      name: 'paid without paid_at: the event time bounds it',
      type: 'invoice.paid',
      overrides: { status: 'paid', status_transitions: transitions({ finalized_at: T0 - 50 }) },
      expected: { finalizedAt: iso(T0 - 50), paidAt: iso(T0) },
      status: 'paid',
    },
    {
      name: 'open without finalized_at: the event time bounds finalisation',
      type: 'invoice.updated',
      overrides: { status: 'open', status_transitions: null },
      expected: { finalizedAt: iso(T0) },
      status: 'open',
    },
    {
      name: 'payment_failed event: failure at the event time',
      type: 'invoice.payment_failed',
      overrides: { status: 'open', due_date: null, status_transitions: transitions({ finalized_at: T0 - 60 }), attempted: true, attempt_count: 1 },
      expected: { firstFailedAt: iso(T0), dueDate: undefined },
      status: 'open',
    },
    {
      name: 'attempted, still open on another event type: failure inferred, event time as upper bound',
      type: 'invoice.updated',
      overrides: { status: 'open', status_transitions: transitions({ finalized_at: T0 - 60 }), attempted: true, attempt_count: 2 },
      expected: { firstFailedAt: iso(T0) },
      status: 'open',
    },
    {
      name: 'attempted once, open, no retry scheduled (a bank debit still processing): no failure',
      type: 'invoice.updated',
      overrides: {
        status: 'open',
        due_date: null,
        status_transitions: transitions({ finalized_at: T0 - 60 }),
        attempted: true,
        attempt_count: 1,
        next_payment_attempt: null,
      },
      expected: { firstFailedAt: undefined },
      status: 'open',
    },
    {
      name: 'attempted once, open, a retry scheduled: failure inferred',
      type: 'invoice.updated',
      overrides: {
        status: 'open',
        due_date: null,
        status_transitions: transitions({ finalized_at: T0 - 60 }),
        attempted: true,
        attempt_count: 1,
        next_payment_attempt: T0 + 86_400,
      },
      expected: { firstFailedAt: iso(T0) },
      status: 'open',
    },
    {
      name: 'not yet attempted: no failure',
      type: 'invoice.finalized',
      overrides: { status: 'open', status_transitions: transitions({ finalized_at: T0 - 60 }), attempted: false, attempt_count: 0 },
      expected: { firstFailedAt: undefined },
      status: 'open',
    },
    {
      name: 'paid on a retry: the first attempt failed before payment',
      type: 'invoice.paid',
      overrides: { status: 'paid', status_transitions: transitions({ finalized_at: T0 - 60, paid_at: T0 - 7 }), attempted: true, attempt_count: 2 },
      expected: { firstFailedAt: iso(T0 - 7), paidAt: iso(T0 - 7) },
      status: 'paid',
    },
    {
      name: 'paid out of band after an automatic attempt',
      type: 'invoice.paid',
      overrides: {
        status: 'paid',
        paid_out_of_band: true,
        status_transitions: transitions({ finalized_at: T0 - 60, paid_at: T0 - 7 }),
        attempted: true,
        attempt_count: 1,
      },
      expected: { firstFailedAt: iso(T0 - 7) },
      status: 'paid',
    },
    {
      name: 'voided',
      type: 'invoice.voided',
      overrides: { status: 'void', status_transitions: transitions({ finalized_at: T0 - 60, voided_at: T0 - 3 }) },
      expected: { voidedAt: iso(T0 - 3), firstFailedAt: undefined },
      status: 'void',
    },
    {
      name: 'marked uncollectible',
      type: 'invoice.marked_uncollectible',
      overrides: { status: 'uncollectible', status_transitions: transitions({ finalized_at: T0 - 60, marked_uncollectible_at: T0 - 2 }) },
      expected: { uncollectibleAt: iso(T0 - 2) },
      status: 'uncollectible',
    },
    {
      name: 'uncollectible, then paid: both transitions kept, paid wins',
      type: 'invoice.paid',
      overrides: {
        status: 'paid',
        status_transitions: transitions({ finalized_at: T0 - 60, marked_uncollectible_at: T0 - 30, paid_at: T0 - 1 }),
      },
      expected: { uncollectibleAt: iso(T0 - 30), paidAt: iso(T0 - 1) },
      status: 'paid',
    },
  ];

  it.each(cases)('$name', ({ type, overrides, expected, status }) => {
    const facts = observeInvoice(evt('evt_case', type, T0), stripeInvoice(overrides));
    for (const [key, value] of Object.entries(expected)) expect(facts[key as keyof InvoiceFacts], key).toBe(value);
    expect(invoiceStatus(facts)).toBe(status);
  });

  it('stores the currency in lower case', () => {
    expect(observeInvoice(evt('e', 'invoice.created', T0), stripeInvoice({ currency: 'EUR' })).currency).toBe('eur');
  });

  it.each([
    ['id', { id: undefined }],
    ['customer', { customer: undefined }],
    ['customer', { customer: null }],
    ['customer', { customer: { object: 'customer' } }],
    ['currency', { currency: undefined }],
    ['currency', { currency: 'dollars' }],
    ['due_date', { due_date: 'tomorrow' }],
    ['status_transitions', { status_transitions: { paid_at: '2025-01-01' } }],
  ])('throws InvalidStripeObjectError naming %s when it is missing or malformed', (field, overrides) => {
    let caught: unknown;
    try {
      observeInvoice(evt('evt_bad', 'invoice.updated', T0), stripeInvoice(overrides));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidStripeObjectError);
    expect((caught as Error).name).toBe('InvalidStripeObjectError');
    expect((caught as Error).message).toContain(field);
    expect((caught as Error).cause).toBeInstanceOf(core.$ZodError);
  });

  it('refuses something that is not an invoice at all', () => {
    expect(() => observeInvoice(evt('e', 'invoice.deleted', T0), { id: 'in_1', object: 'invoice', deleted: true })).toThrow(InvalidStripeObjectError);
    expect(() => observeInvoice(evt('e', 'invoice.updated', T0), 'in_1')).toThrow(InvalidStripeObjectError);
  });

  it('orders versions by event time, then lifecycle stage, then event id', () => {
    const draft = observeInvoice(evt('evt_z', 'invoice.created', T0), stripeInvoice({ status: 'draft' }));
    const open = observeInvoice(
      evt('evt_a', 'invoice.finalized', T0),
      stripeInvoice({ status: 'open', status_transitions: transitions({ finalized_at: T0 }) }),
    );
    const later = observeInvoice(evt('evt_a', 'invoice.updated', T0 + 1), stripeInvoice({ status: 'draft' }));
    expect(draft.version < open.version).toBe(true); // same second: finalised beats draft despite evt_z > evt_a
    expect(open.version < later.version).toBe(true);
  });
});

describe('mergeInvoiceFacts', () => {
  const open = observeInvoice(
    evt('evt_1', 'invoice.finalized', T0),
    stripeInvoice({ status: 'open', number: 'N-1', status_transitions: transitions({ finalized_at: T0 }) }),
  );
  const paid = observeInvoice(
    evt('evt_2', 'invoice.paid', T0 + 3600),
    stripeInvoice({
      status: 'paid',
      number: 'N-1',
      amount_paid: 1000,
      amount_remaining: 0,
      status_transitions: transitions({ finalized_at: T0, paid_at: T0 + 3500 }),
    }),
  );

  it('an older event arriving late does not undo a payment or restore stale amounts', () => {
    const merged = mergeInvoiceFacts(paid, open);
    expect(invoiceStatus(merged)).toBe('paid');
    expect(merged).toMatchObject({ amountPaid: 1000, amountRemaining: 0, paidAt: iso(T0 + 3500), version: paid.version });
    expect(mergeInvoiceFacts(open, paid)).toEqual(merged);
  });

  it('keeps the earliest time of a once-only transition', () => {
    const a = { ...open, firstFailedAt: iso(T0 + 100), finalizedAt: iso(T0 + 5) };
    const b = { ...open, firstFailedAt: iso(T0 + 50) };
    expect(mergeInvoiceFacts(a, b)).toMatchObject({ firstFailedAt: iso(T0 + 50), finalizedAt: iso(T0) });
  });

  it('refuses to merge two different invoices', () => {
    expect(() => mergeInvoiceFacts(open, { ...paid, invoiceId: 'in_other' })).toThrow(InvoiceMismatchError);
  });
});

describe('invoiceStatus', () => {
  const base: InvoiceFacts = {
    invoiceId: 'in_1',
    customerId: 'cus_1',
    currency: 'usd',
    amountDue: 1,
    amountPaid: 0,
    amountRemaining: 1,
    total: 1,
    version: '000000000001#0#e',
  };
  const t = iso(T0);
  it.each([
    [{}, 'draft'],
    [{ finalizedAt: t }, 'open'],
    [{ finalizedAt: t, uncollectibleAt: t }, 'uncollectible'],
    [{ finalizedAt: t, uncollectibleAt: t, paidAt: t }, 'paid'],
    [{ finalizedAt: t, uncollectibleAt: t, voidedAt: t }, 'void'],
    [{ finalizedAt: t, voidedAt: t }, 'void'],
    [{ finalizedAt: t, paidAt: t }, 'paid'],
  ] as const)('%o → %s', (extra, status) => {
    expect(invoiceStatus({ ...base, ...extra })).toBe(status);
  });
});

// --- Properties: merge is a join, so event order and duplication never matter ----------------

function compact(o: Record<string, unknown>): InvoiceFacts {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as InvoiceFacts;
}

/** Instants on a coarse grid so collisions happen; some written without milliseconds. */
const instantArb = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()).map(([h, short]) => {
  const s = new Date(Date.UTC(2025, 0, 1) + h * 3_600_000).toISOString();
  return short ? s.replace('.000Z', 'Z') : s;
});
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Arbitrary observations of one invoice, including impossible ones: the laws must hold for all. */
const factsArb: fc.Arbitrary<InvoiceFacts> = fc
  .record({
    invoiceId: fc.constant('in_1'),
    customerId: fc.constantFrom('cus_a', 'cus_b'),
    currency: fc.constantFrom('usd', 'eur'),
    collectionMethod: optional(fc.constantFrom('charge_automatically', 'send_invoice')),
    subscriptionId: optional(fc.constantFrom('sub_a', 'sub_b')),
    number: optional(fc.constantFrom('N-1', 'N-2')),
    dueDate: optional(instantArb),
    finalizedAt: optional(instantArb),
    paidAt: optional(instantArb),
    voidedAt: optional(instantArb),
    uncollectibleAt: optional(instantArb),
    firstFailedAt: optional(instantArb),
    amountDue: fc.constantFrom(0, 500, 1000),
    amountPaid: fc.constantFrom(0, 1000),
    amountRemaining: fc.constantFrom(0, 1000),
    total: fc.constantFrom(1000, 1200),
    // Few versions, so equal versions with different snapshots are exercised too.
    version: fc.constantFrom('000000000001#0#evt_a', '000000000001#1#evt_a', '000000000002#1#evt_b'),
  })
  .map(compact);

const fold = (list: InvoiceFacts[]) => list.reduce((acc, f) => mergeInvoiceFacts(acc, f));

/** A list of observations and the same observations reordered, with some repeated. */
const reorderedArb = <T>(itemArb: fc.Arbitrary<T>, maxLength = 8) =>
  fc.array(itemArb, { minLength: 1, maxLength }).chain((list) =>
    fc
      .array(fc.nat({ max: list.length - 1 }), { maxLength: 5 })
      .chain((dups) => {
        const withDups = [...list, ...dups.map((i) => list[i] as T)];
        return fc.shuffledSubarray(withDups, { minLength: withDups.length, maxLength: withDups.length });
      })
      .map((other) => [list, other] as const),
  );

describe('mergeInvoiceFacts is a join semilattice', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(factsArb, factsArb, (a, b) => {
        expect(mergeInvoiceFacts(a, b)).toStrictEqual(mergeInvoiceFacts(b, a));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(factsArb, factsArb, factsArb, (a, b, c) => {
        expect(mergeInvoiceFacts(mergeInvoiceFacts(a, b), c)).toStrictEqual(mergeInvoiceFacts(a, mergeInvoiceFacts(b, c)));
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(factsArb, (a) => {
        expect(mergeInvoiceFacts(a, a)).toStrictEqual(a);
      }),
    );
    fc.assert(
      fc.property(factsArb, factsArb, (a, b) => {
        const ab = mergeInvoiceFacts(a, b);
        expect(mergeInvoiceFacts(ab, b)).toStrictEqual(ab);
      }),
    );
  });

  it('folds any permutation of observations, with any duplicates, to the same facts', () => {
    fc.assert(
      fc.property(reorderedArb(factsArb), ([list, other]) => {
        expect(fold(other)).toStrictEqual(fold(list));
        expect(mergeObservations(other).get('in_1')).toStrictEqual(fold(list));
      }),
    );
  });

  it('keeps the earliest time seen of every once-only transition', () => {
    const fields = ['finalizedAt', 'paidAt', 'voidedAt', 'uncollectibleAt', 'firstFailedAt'] as const;
    fc.assert(
      fc.property(fc.array(factsArb, { minLength: 1, maxLength: 6 }), (list) => {
        const merged = fold(list);
        for (const field of fields) {
          const seen = list
            .map((f) => f[field])
            .filter((v): v is string => v !== undefined)
            .map((v) => Date.parse(v));
          const got = merged[field];
          expect(got === undefined ? undefined : Date.parse(got), field).toBe(seen.length ? Math.min(...seen) : undefined);
        }
      }),
    );
  });

  it('keeps valid facts valid', () => {
    fc.assert(
      fc.property(factsArb, factsArb, (a, b) => {
        expect(invoiceFactsSchema.safeParse(mergeInvoiceFacts(a, b)).success).toBe(true);
      }),
    );
  });
});
