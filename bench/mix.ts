import { epoch, fixture, invoiceEvents, stripeEvent, type InvoiceStory } from '../test/support/stripe-events.ts';
import { random } from '../test/support/random.ts';
import { DAY_MS, utcDay } from '../shared/domain/days.ts';

/**
 * A realistic stream of Stripe events for a book of B2B customers, built from Stripe's own
 * fixture objects (test/support/stripe-events.ts): customers created and renamed, subscriptions
 * carrying contract terms in metadata, six months of invoices (charged automatically or sent with
 * a due date; paid on time, after a failed attempt, late, never, or voided), the card charges
 * behind paid invoices, some refunds and a few disputes. Every type in it is on the webhook's
 * allow-list today; what each type costs is reported per type, so a type the product ignores
 * shows as such rather than being hidden in the average.
 */
export type StripeEnvelope = ReturnType<typeof stripeEvent>;

export interface MixOptions {
  customers: number;
  /** Customer ids are `cus_<prefix><n>`, so several streams can share a table. */
  prefix: string;
  /** The stream ends shortly before this instant. */
  now: Date;
  seed: number;
  /** Months of invoicing per customer. */
  months?: number;
}

export { random };

const day = utcDay;

/** The whole stream, in the order Stripe would send it (by `created`). */
export function eventMix(options: MixOptions): StripeEnvelope[] {
  const rand = random(options.seed);
  const months = options.months ?? 6;
  const events: StripeEnvelope[] = [];
  for (let n = 0; n < options.customers; n++) {
    events.push(...customerStory(options, n, months, rand));
  }
  return events.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}

function customerStory(options: MixOptions, n: number, months: number, rand: () => number): StripeEnvelope[] {
  const customer = `cus_${options.prefix}${n}`;
  const start = new Date(options.now.getTime() - (months * 30 + 10) * DAY_MS - Math.floor(rand() * 5 * DAY_MS));
  const at = (days: number) => new Date(start.getTime() + days * DAY_MS + Math.floor(rand() * 3_600_000));
  const events: StripeEnvelope[] = [];
  // Contract terms: a third in customer metadata, a third in subscription metadata, a third none.
  const termsIn = n % 3;
  const contractEnd = day(new Date(options.now.getTime() + (60 + Math.floor(rand() * 300)) * DAY_MS));
  const terms = { contract_end_date: contractEnd, notice_period_days: String([30, 60, 90][n % 3]), renewal: n % 2 ? 'auto' : 'fixed' };

  const customerObject = (name: string) => ({
    ...fixture('customer'),
    id: customer,
    name,
    created: epoch(start),
    metadata: termsIn === 0 ? terms : {},
  });
  events.push(stripeEvent('customer.created', customerObject(`Client ${n} Ltd`), epoch(at(0))));
  if (rand() < 0.5) events.push(stripeEvent('customer.updated', customerObject(`Client ${n} Holdings Ltd`), epoch(at(20))));

  const subscriptionId = `sub_${options.prefix}${n}`;
  const subscription = (status: string) => ({
    ...fixture('subscription'),
    id: subscriptionId,
    customer,
    status,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    schedule: null,
    metadata: termsIn === 1 ? terms : {},
  });
  events.push(stripeEvent('customer.subscription.created', subscription('active'), epoch(at(1))));
  if (rand() < 0.5) events.push(stripeEvent('customer.subscription.updated', subscription('active'), epoch(at(95))));

  const paidCharges: Array<{ id: string; amount: number; at: Date }> = [];
  for (let m = 0; m < months; m++) {
    const invoiceId = `in_${options.prefix}${n}x${m}`;
    const amount = 50_000 + Math.floor(rand() * 20) * 5_000;
    const finalizedAt = at(2 + m * 30);
    const roll = rand();
    let story: InvoiceStory;
    let charged: Date | undefined;
    if (roll < 0.45) {
      // Charged automatically and paid at once.
      charged = new Date(finalizedAt.getTime() + 3_600_000);
      story = { customer, invoiceId, amount, finalizedAt, paidAt: charged };
    } else if (roll < 0.65) {
      // Sent with 30 days to pay, paid on time.
      story = {
        customer,
        invoiceId,
        amount,
        finalizedAt,
        dueAt: new Date(finalizedAt.getTime() + 30 * DAY_MS),
        paidAt: new Date(finalizedAt.getTime() + 20 * DAY_MS),
      };
    } else if (roll < 0.8) {
      // A card payment fails, the retry three days later succeeds.
      charged = new Date(finalizedAt.getTime() + 3 * DAY_MS);
      story = { customer, invoiceId, amount, finalizedAt, failedAt: new Date(finalizedAt.getTime() + 3_600_000), paidAt: charged };
    } else if (roll < 0.9) {
      // Paid twelve days late.
      story = {
        customer,
        invoiceId,
        amount,
        finalizedAt,
        dueAt: new Date(finalizedAt.getTime() + 30 * DAY_MS),
        paidAt: new Date(finalizedAt.getTime() + 42 * DAY_MS),
      };
    } else if (roll < 0.95) {
      // Overdue and still unpaid.
      story = { customer, invoiceId, amount, finalizedAt, dueAt: new Date(finalizedAt.getTime() + 14 * DAY_MS) };
    } else {
      story = { customer, invoiceId, amount, finalizedAt, voidedAt: new Date(finalizedAt.getTime() + 2 * DAY_MS) };
    }
    // Events after `now` have not happened yet.
    events.push(...invoiceEvents(story).filter((e) => e.created * 1000 < options.now.getTime() - 60_000));
    if (charged && charged.getTime() < options.now.getTime() - 60_000) {
      const chargeId = `ch_${options.prefix}${n}x${m}`;
      paidCharges.push({ id: chargeId, amount, at: charged });
      events.push(stripeEvent('charge.succeeded', chargeObject(chargeId, customer, amount, invoiceId, 0, []), epoch(charged)));
    }
  }

  const refunded = paidCharges[Math.floor(rand() * paidCharges.length)];
  if (refunded && rand() < 0.25) {
    const refundAt = new Date(refunded.at.getTime() + 5 * DAY_MS);
    const refund = {
      ...fixture('refund'),
      id: `re_${refunded.id.slice(3)}`,
      charge: refunded.id,
      amount: Math.floor(refunded.amount / 2),
      currency: 'usd',
      status: 'succeeded',
      created: epoch(refundAt),
    };
    events.push(stripeEvent('charge.refunded', chargeObject(refunded.id, customer, refunded.amount, undefined, refund.amount, [refund]), epoch(refundAt)));
    events.push(stripeEvent('refund.created', refund, epoch(refundAt)));
  }
  const disputed = paidCharges[0];
  if (disputed && rand() < 0.07) {
    const disputeAt = new Date(disputed.at.getTime() + 10 * DAY_MS);
    events.push(
      stripeEvent(
        'charge.dispute.created',
        {
          ...fixture('dispute'),
          id: `dp_${disputed.id.slice(3)}`,
          charge: disputed.id,
          amount: disputed.amount,
          currency: 'usd',
          status: 'needs_response',
          balance_transactions: [],
          created: epoch(disputeAt),
        },
        epoch(disputeAt),
      ),
    );
  }
  return events.filter((e) => e.created * 1000 < options.now.getTime() - 60_000);
}

function chargeObject(id: string, customer: string, amount: number, invoice: string | undefined, refundedAmount: number, refunds: unknown[]) {
  return {
    ...fixture('charge'),
    id,
    customer,
    amount,
    amount_captured: amount,
    amount_refunded: refundedAmount,
    refunded: refundedAmount >= amount,
    captured: true,
    currency: 'usd',
    ...(invoice ? { invoice } : {}),
    refunds: { object: 'list', data: refunds, has_more: false, url: `/v1/charges/${id}/refunds` },
  };
}

/** How many events of each type a stream holds, most frequent first. */
export function typeCounts(events: readonly { type: string }[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
