import { addMonths } from 'date-fns';
import type { FakeStripe } from './fake-stripe.ts';
import { daysBefore, epoch, fixture, invoiceAt, type InvoiceStory } from './stripe-events.ts';

const DAY_MS = 86_400_000;
const days = (now: Date, n: number) => new Date(now.getTime() + n * DAY_MS);

export const LATE_CUSTOMER = 'cus_latepayer01';
export const TERMS_CUSTOMER = 'cus_withterms01';

/**
 * The account of issue 8's "done when", as Stripe would list it at `now`:
 * - `cus_latepayer01`: four invoices paid three weeks late in the last year (plus two on time),
 *   a subscription on a schedule whose current phase ends in five months (then cancels), one
 *   partial refund of a card payment;
 * - `cus_withterms01`: contract terms in its subscription's metadata, invoices paid on time, an
 *   older subscription canceled two years ago (listed only with `status=all`), a dispute won.
 */
export function doneWhenAccount(now: Date) {
  const customer = (id: string, name: string, createdDaysAgo: number) => ({
    ...fixture('customer'),
    id,
    name,
    email: null,
    created: epoch(daysBefore(now, createdDaysAgo)),
    metadata: {},
  });
  const stories: InvoiceStory[] = [];
  for (const [i, dueDaysAgo] of [300, 240, 180, 120].entries()) {
    const dueAt = daysBefore(now, dueDaysAgo);
    stories.push({ customer: LATE_CUSTOMER, invoiceId: `in_late${i}`, dueAt, finalizedAt: days(dueAt, -30), paidAt: days(dueAt, 21) });
  }
  for (const [i, dueDaysAgo] of [60, 30].entries()) {
    const dueAt = daysBefore(now, dueDaysAgo);
    stories.push({ customer: LATE_CUSTOMER, invoiceId: `in_ontime${i}`, dueAt, finalizedAt: days(dueAt, -30), paidAt: days(dueAt, -2) });
  }
  for (const [i, dueDaysAgo] of [90, 60, 30].entries()) {
    const dueAt = daysBefore(now, dueDaysAgo);
    stories.push({ customer: TERMS_CUSTOMER, invoiceId: `in_terms${i}`, dueAt, finalizedAt: days(dueAt, -30), paidAt: days(dueAt, -5) });
  }

  const phaseStart = addMonths(now, -7);
  const scheduleEnd = addMonths(now, 5);
  const schedule = {
    ...fixture('subscription_schedule'),
    id: 'sub_sched_late01',
    customer: LATE_CUSTOMER,
    subscription: 'sub_late01',
    status: 'active',
    end_behavior: 'cancel',
    created: epoch(phaseStart),
    canceled_at: null,
    completed_at: null,
    released_at: null,
    current_phase: { start_date: epoch(phaseStart), end_date: epoch(scheduleEnd) },
    phases: [{ ...((fixture('subscription_schedule').phases as unknown[])[0] as object), start_date: epoch(phaseStart), end_date: epoch(scheduleEnd) }],
  };
  const subscription = (id: string, customerId: string, createdAt: Date, extra: Record<string, unknown>) => ({
    ...fixture('subscription'),
    id,
    customer: customerId,
    created: epoch(createdAt),
    start_date: epoch(createdAt),
    status: 'active',
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    trial_start: null,
    trial_end: null,
    schedule: null,
    metadata: {},
    ...extra,
  });
  const charge = {
    ...fixture('charge'),
    id: 'ch_late01',
    customer: LATE_CUSTOMER,
    amount: 100_000,
    amount_refunded: 20_000,
    refunded: false,
    created: epoch(daysBefore(now, 58)),
  };
  const termsCharge = { ...fixture('charge'), id: 'ch_terms01', customer: TERMS_CUSTOMER, amount: 100_000, created: epoch(daysBefore(now, 35)) };

  return {
    scheduleEnd,
    objects: {
      customers: [customer(LATE_CUSTOMER, 'Late Payer Ltd', 500), customer(TERMS_CUSTOMER, 'Terms Inc', 900)],
      subscriptions: [
        subscription('sub_late01', LATE_CUSTOMER, phaseStart, { schedule: 'sub_sched_late01' }),
        subscription('sub_terms01', TERMS_CUSTOMER, daysBefore(now, 200), {
          metadata: { contract_end_date: '2027-06-30', notice_period_days: '60', renewal: 'auto', renewal_term_months: '12' },
        }),
        subscription('sub_terms_old', TERMS_CUSTOMER, daysBefore(now, 880), {
          status: 'canceled',
          canceled_at: epoch(daysBefore(now, 700)),
          ended_at: epoch(daysBefore(now, 700)),
        }),
      ],
      subscription_schedules: [schedule],
      invoices: stories.map((story) => invoiceAt(story, now)),
      refunds: [
        {
          ...fixture('refund'),
          id: 're_late01',
          charge: 'ch_late01',
          amount: 20_000,
          currency: 'usd',
          status: 'succeeded',
          created: epoch(daysBefore(now, 50)),
        },
      ],
      disputes: [
        { ...fixture('dispute'), id: 'dp_terms01', charge: 'ch_terms01', amount: 100_000, currency: 'usd', status: 'won', created: epoch(daysBefore(now, 20)) },
      ],
      charges: [charge, termsCharge],
    } satisfies Partial<FakeStripe['objects']>,
    stories,
  };
}

/** Many small customers with invoices, to make lists span several pages. */
export function manyCustomers(now: Date, count: number) {
  const customers = [];
  const invoices = [];
  for (let c = 0; c < count; c++) {
    const id = `cus_many${String(c).padStart(4, '0')}`;
    customers.push({ ...fixture('customer'), id, name: null, email: null, created: epoch(daysBefore(now, 400 + c)), metadata: {} });
    for (let i = 0; i < 4; i++) {
      const dueAt = daysBefore(now, 30 + i * 60 + c);
      const late = (c + i) % 3 === 0;
      invoices.push(invoiceAt({ customer: id, invoiceId: `in_many${c}x${i}`, dueAt, finalizedAt: days(dueAt, -30), paidAt: days(dueAt, late ? 15 : -1) }, now));
    }
  }
  return { customers, invoices };
}
