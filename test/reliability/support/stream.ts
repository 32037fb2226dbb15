import { addDays, addMonths } from 'date-fns';
import type { QueuedEvent } from '../../../shared/stripe/events.ts';
import { random } from '../../support/random.ts';
import { epoch, fixture, invoiceAt, invoiceEvents, stripeEvent, type InvoiceStory } from '../../support/stripe-events.ts';

/**
 * A generated, reproducible Stripe history for the convergence tests (issue 9): the same
 * `seed` gives the same events (ids included) and the same delivery orders, so a failure is
 * replayed by its seed.
 *
 * Every type the processor applies appears, and most objects appear in several versions
 * (later `created`, changed state), so which version arrives last matters:
 * - customers: created without terms, updated with a new name and (for some) contract terms
 *   in metadata, sometimes updated again with other terms or with the terms removed; a few
 *   deleted at the end;
 * - subscriptions: created, updated with metadata terms or a `cancel_at` (later withdrawn for
 *   some), a few deleted; `invoice.upcoming` with the subscription's metadata for some;
 * - subscription schedules: created, updated (end behaviour changes), some released;
 * - invoices: every story (on time, late, failed then paid, overdue and unpaid, voided,
 *   uncollectible) with every event Stripe sends for it, plus `invoice.updated` snapshots;
 * - charges, refunds (created pending, updated succeeded; the refund names only the charge, so
 *   one that arrives before its charge is parked), `charge.refunded` aggregates;
 * - disputes: created, updated, closed won or lost; some clients dispute repeatedly.
 * Contract end dates are placed so that notice deadlines fall within the reminder and review
 * windows of `now`: the state has renewal reminders and open reviews to compare.
 */

export interface StreamOptions {
  seed: number;
  customers: number;
  /** The instant the events are applied at: every event is created before it. */
  now: Date;
  /** Invoices per customer, at most (fewer for young accounts). Default 5. */
  maxInvoices?: number;
  /** Share of automatically paid invoices with a charge (refunds, disputes) in the stream. Default 0.2. */
  chargeShare?: number;
  /** Share of clients that dispute every charge. Default 0.12. */
  disputerShare?: number;
}

export interface GeneratedStream {
  seed: number;
  /** In Stripe's order (by `created`, then generation order). */
  events: QueuedEvent[];
  customers: string[];
  countsByType: Record<string, number>;
}

const DAY_MS = 86_400_000;
const dateOnly = (d: Date) => d.toISOString().slice(0, 10);

export function generateStripeStream(options: StreamOptions): GeneratedStream {
  const { seed, now } = options;
  const rand = random(seed);
  const chance = (p: number) => rand() < p;
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  // Draws for choices added later come from their own sequence, so the rest of the stream
  // (and what the tests found in it) stays as it was for every seed.
  const extra = random(seed + 104_729);
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  /** Never at or after `now`: the processor's clock is `now`. */
  const beforeNow = (d: Date) => new Date(Math.min(d.getTime(), now.getTime() - 60_000));
  const generated: Array<{ event: QueuedEvent; n: number }> = [];
  let n = 0;
  const eventId = () => `evt_s${seed}n${(n++).toString().padStart(5, '0')}`;
  const push = (type: string, object: Record<string, unknown>, when: Date) => {
    generated.push({ event: stripeEvent(type, object, epoch(beforeNow(when)), eventId()), n });
  };
  const customers: string[] = [];

  for (let c = 0; c < options.customers; c++) {
    const customer = `cus_s${seed}c${c}`;
    customers.push(customer);
    const tenure = int(120, 700); // days since the account started
    const start = ago(tenure);

    // --- Customer: created, renamed, contract terms for some (a third), changed terms for a few.
    const base = { ...fixture('customer'), id: customer, email: null, created: epoch(start) };
    push('customer.created', { ...base, name: `Client ${c}`, metadata: {} }, start);
    const customerTerms = chance(0.33);
    // Notice deadlines spread over the next ~90 days (some within 14 days: reviews open; within
    // 60: reminders due) and a few far out.
    const noticeDays = pick([30, 60, 90]);
    const endDate = addDays(now, noticeDays + int(-20, 90));
    const customerMetadata = customerTerms
      ? { contract_end_date: dateOnly(endDate), notice_period_days: String(noticeDays), renewal: pick(['auto', 'fixed', 'auto']), plan: 'gold' }
      : { plan: 'silver' };
    push('customer.updated', { ...base, name: `Client ${c} Ltd`, metadata: customerMetadata }, addDays(start, 3));
    if (customerTerms && chance(0.4)) {
      // Renegotiated: a later version of the same customer with other terms.
      const later = addDays(endDate, pick([30, 90, 365]));
      push(
        'customer.updated',
        { ...base, name: `Client ${c} Ltd`, metadata: { ...customerMetadata, contract_end_date: dateOnly(later), renewal: 'auto' } },
        ago(int(20, 60)),
      );
    } else if (customerTerms && extra() < 0.5) {
      // The terms taken off the customer again: they must leave the record, whatever the order.
      push('customer.updated', { ...base, name: `Client ${c} Ltd`, metadata: { plan: 'gold' } }, ago(15 + Math.floor(extra() * 26)));
    }

    // --- Subscription and its versions.
    const subscriptionId = `sub_s${seed}c${c}`;
    const periodEnd = epoch(addDays(now, int(5, 28)));
    const subscription = {
      ...fixture('subscription'),
      id: subscriptionId,
      customer,
      status: 'active',
      created: epoch(start),
      start_date: epoch(start),
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      trial_start: null,
      trial_end: null,
      metadata: {},
      schedule: null,
      items: {
        object: 'list',
        data: [{ ...(fixture('subscription') as { items: { data: Array<Record<string, unknown>> } }).items.data[0], current_period_end: periodEnd }],
      },
    };
    push('customer.subscription.created', subscription, start);
    const style = rand();
    if (style < 0.25) {
      // Terms on the subscription (they win over the customer's, key by key).
      const subTerms = {
        contract_end_date: dateOnly(addDays(now, int(10, 150))),
        notice_period_days: String(pick([14, 30, 45])),
        renewal: pick(['auto', 'fixed']),
        renewal_term_months: '12',
      };
      push('customer.subscription.updated', { ...subscription, metadata: subTerms }, addDays(start, 10));
      if (chance(0.3)) {
        push('customer.subscription.updated', { ...subscription, metadata: { ...subTerms, notice_period_days: '60' } }, ago(int(5, 30)));
      }
      if (chance(0.3)) {
        // The renewal notice carries the subscription's metadata (and has no id of its own).
        const upcoming = {
          ...fixture('invoice'),
          id: undefined,
          customer,
          status: 'draft',
          parent: { type: 'subscription_details', subscription_details: { subscription: subscriptionId, metadata: subTerms } },
        };
        delete upcoming.id;
        push('invoice.upcoming', upcoming, ago(int(1, 10)));
      }
    } else if (style < 0.4) {
      // Set to cancel, and for some the cancellation withdrawn in a later version.
      const cancelling = { ...subscription, cancel_at: epoch(addDays(now, int(15, 100))) };
      push('customer.subscription.updated', cancelling, ago(int(30, 60)));
      if (chance(0.4)) push('customer.subscription.updated', { ...subscription, cancel_at: null }, ago(int(5, 25)));
    } else if (style < 0.6) {
      const phaseStart = addMonths(now, -int(2, 10));
      const phaseEnd = addDays(now, int(10, 200));
      const schedule = {
        ...fixture('subscription_schedule'),
        id: `sub_sched_s${seed}c${c}`,
        customer,
        subscription: subscriptionId,
        status: 'active',
        end_behavior: pick(['cancel', 'release']),
        created: epoch(phaseStart),
        canceled_at: null,
        completed_at: null,
        released_at: null,
        released_subscription: null,
        current_phase: { start_date: epoch(phaseStart), end_date: epoch(phaseEnd) },
      };
      push('subscription_schedule.created', schedule, phaseStart);
      push('subscription_schedule.updated', { ...schedule, end_behavior: schedule.end_behavior === 'cancel' ? 'release' : 'cancel' }, ago(int(10, 40)));
      if (chance(0.25)) {
        push(
          'subscription_schedule.released',
          { ...schedule, status: 'released', released_at: epoch(ago(3)), released_subscription: subscriptionId, current_phase: null },
          ago(3),
        );
      }
    } else if (style < 0.65) {
      push('customer.subscription.deleted', { ...subscription, status: 'canceled', canceled_at: epoch(ago(10)), ended_at: epoch(ago(10)) }, ago(10));
    }

    // --- Invoices: the client's payment habit decides how late it pays.
    const habit = rand();
    const lateChance = habit > 0.75 ? 0.75 : habit > 0.5 ? 0.3 : 0.05;
    const invoices = int(3, options.maxInvoices ?? 5);
    const disputer = chance(options.disputerShare ?? 0.12);
    for (let i = 0; i < invoices; i++) {
      const finalizedAt = addDays(start, 5 + i * 30);
      if (finalizedAt > ago(3)) break;
      const invoiceId = `in_s${seed}c${c}i${i}`;
      const automatic = chance(0.45);
      const dueAt = automatic ? undefined : addDays(finalizedAt, 30);
      const reference = dueAt ?? finalizedAt;
      const story: InvoiceStory = { customer, invoiceId, finalizedAt, amount: pick([40_000, 90_000, 250_000]) };
      if (dueAt) story.dueAt = dueAt;
      const outcome = rand();
      if (outcome < 0.04) story.voidedAt = addDays(finalizedAt, 4);
      else if (outcome < 0.07 && reference < ago(70)) story.uncollectibleAt = addDays(reference, 60);
      else if (outcome < 0.07 + lateChance * 0.25 && reference < ago(40)) {
        // Overdue and still unpaid.
        if (automatic) story.failedAt = addDays(finalizedAt, 1);
      } else if (outcome < 0.07 + lateChance) {
        if (automatic) story.failedAt = addDays(finalizedAt, 1);
        story.paidAt = beforeNow(addDays(reference, int(6, 40)));
      } else {
        story.paidAt = beforeNow(addDays(reference, -int(0, 2)));
      }
      if (story.paidAt && story.paidAt <= finalizedAt) story.paidAt = addDays(finalizedAt, 1);
      for (const event of invoiceEvents(story)) {
        // A story still unfolding: what Stripe has not sent by `now` (an overdue notice to come) is left out.
        if (event.created * 1000 < now.getTime()) push(event.type, event.data.object, new Date(event.created * 1000));
      }
      // Stripe also sends `invoice.updated` snapshots in between (an older state, later created).
      if (chance(0.3)) {
        const at = addDays(finalizedAt, 2);
        push('invoice.updated', { ...invoiceAt(story, at), description: 'updated memo' }, at);
      }

      // --- Charges, refunds and disputes for invoices paid automatically.
      if (!story.paidAt || !automatic || !(disputer || chance(options.chargeShare ?? 0.2))) continue;
      const chargeId = `ch_s${seed}c${c}i${i}`;
      const charge = {
        ...fixture('charge'),
        id: chargeId,
        customer,
        amount: story.amount,
        amount_refunded: 0,
        refunded: false,
        currency: 'usd',
        created: epoch(story.paidAt),
        refunds: null,
        invoice: invoiceId,
        disputed: false,
      };
      push('charge.succeeded', charge, story.paidAt);
      if (chance(0.6)) {
        const refundAt = beforeNow(addDays(story.paidAt, int(2, 20)));
        const amount = Math.floor((story.amount ?? 0) / pick([1, 2, 5]));
        const refundId = `re_s${seed}c${c}i${i}`;
        // The refund names only its charge (customer null), as Stripe's does.
        const refund = { ...fixture('refund'), id: refundId, charge: chargeId, customer: null, amount, currency: 'usd', created: epoch(refundAt) };
        push('refund.created', { ...refund, status: 'pending' }, refundAt);
        push('refund.updated', { ...refund, status: 'succeeded' }, new Date(refundAt.getTime() + 3_600_000));
        push('charge.refunded', { ...charge, amount_refunded: amount, refunded: amount === story.amount }, new Date(refundAt.getTime() + 3_600_000));
      }
      if (disputer || chance(0.1)) {
        const openedAt = beforeNow(addDays(story.paidAt, int(5, 40)));
        const dispute = {
          ...fixture('dispute'),
          id: `dp_s${seed}c${c}i${i}`,
          charge: chargeId,
          amount: story.amount,
          currency: 'usd',
          status: 'needs_response',
          created: epoch(openedAt),
          balance_transactions: [],
        };
        push('charge.dispute.created', dispute, openedAt);
        push('charge.dispute.updated', { ...dispute, status: 'under_review' }, addDays(openedAt, 3));
        if (chance(0.7)) push('charge.dispute.closed', { ...dispute, status: pick(['won', 'lost']) }, addDays(openedAt, int(10, 30)));
      }
    }

    if (chance(0.04)) {
      push('customer.deleted', { ...base, name: `Client ${c} Ltd`, metadata: customerMetadata, deleted: true }, ago(2));
    }
  }

  const events = generated.sort((a, b) => a.event.created - b.event.created || a.n - b.n).map((g) => g.event);
  const countsByType: Record<string, number> = {};
  for (const event of events) countsByType[event.type] = (countsByType[event.type] ?? 0) + 1;
  return { seed, events, customers, countsByType };
}

/**
 * A delivery order: every event at least once, about `duplicateShare` of them delivered a
 * second time, all shuffled (Fisher-Yates with the seeded generator).
 */
export function deliveryOrder<T>(items: readonly T[], seed: number, duplicateShare: number): T[] {
  const rand = random(seed);
  const out = [...items];
  for (const item of items) if (rand() < duplicateShare) out.push(item);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
