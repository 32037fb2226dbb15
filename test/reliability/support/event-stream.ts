import { addMonths } from 'date-fns';
import type { QueuedEvent } from '../../../shared/stripe/events.ts';
import { random } from '../../support/random.ts';
import { epoch, fixture, invoiceAt, invoiceEvents, stripeEvent, type InvoiceStory } from '../../support/stripe-events.ts';

export { random };

const DAY_MS = 86_400_000;

export interface GeneratedStream {
  events: QueuedEvent[];
  customers: string[];
  counts: Record<string, number>;
}

/**
 * A realistic Stripe history over `customers` accounts, every type the processor applies:
 * customers (a third with contract terms in metadata), subscriptions (a third with terms in
 * metadata, some cancelling), subscription schedules, invoices with every story (paid on time,
 * late, failed then paid, overdue, voided, uncollectible) and every event Stripe sends for it,
 * charges, refunds (some arriving before their charge), disputes opened and closed. Several
 * versions of the same object (later `created`, changed state) make order matter.
 */
export function generateStream(options: { seed: number; customers: number; now: Date }): GeneratedStream {
  const rand = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const now = options.now;
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY_MS);
  const events: QueuedEvent[] = [];
  const customers: string[] = [];
  let n = 0;
  const id = (prefix: string) => `${prefix}${options.seed}x${(n++).toString(36)}`;
  const push = (type: string, object: Record<string, unknown>, when: Date) => events.push(stripeEvent(type, object, epoch(when), id('evt_r')));

  for (let c = 0; c < options.customers; c++) {
    const customer = `cus_r${options.seed}c${c}`;
    customers.push(customer);
    const since = 300 + Math.floor(rand() * 300);
    const terms = rand() < 0.33;
    const endDate = addMonths(now, 1 + Math.floor(rand() * 14)).toISOString().slice(0, 10);
    const metadata = terms ? { contract_end_date: endDate, notice_period_days: String(pick([30, 60, 90])), renewal: pick(['auto', 'fixed']) } : {};
    const customerObject = { ...fixture('customer'), id: customer, name: `Client ${c}`, email: null, metadata };
    push('customer.created', { ...customerObject, metadata: {} }, at(since));
    if (terms || rand() < 0.5) push('customer.updated', customerObject, at(since - 5));

    const subscriptionId = `sub_r${options.seed}c${c}`;
    const subscription = {
      ...fixture('subscription'),
      id: subscriptionId,
      customer,
      status: 'active',
      created: epoch(at(since)),
      start_date: epoch(at(since)),
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      trial_start: null,
      trial_end: null,
      metadata: {},
      schedule: null,
    };
    push('customer.subscription.created', subscription, at(since));
    const style = rand();
    if (style < 0.3) {
      const subTerms = { contract_end_date: addMonths(now, 2 + Math.floor(rand() * 10)).toISOString().slice(0, 10), notice_period_days: '30', renewal: 'auto', renewal_term_months: '12' };
      push('customer.subscription.updated', { ...subscription, metadata: subTerms }, at(since - 10));
    } else if (style < 0.45) {
      push('customer.subscription.updated', { ...subscription, cancel_at: epoch(addMonths(now, 3)) }, at(20));
    } else if (style < 0.65) {
      const start = addMonths(now, -6);
      const end = addMonths(now, 2 + Math.floor(rand() * 8));
      const schedule = {
        ...fixture('subscription_schedule'),
        id: `sub_sched_r${options.seed}c${c}`,
        customer,
        subscription: subscriptionId,
        status: 'active',
        end_behavior: pick(['cancel', 'release']),
        created: epoch(start),
        canceled_at: null,
        completed_at: null,
        released_at: null,
        current_phase: { start_date: epoch(start), end_date: epoch(end) },
      };
      push('subscription_schedule.created', schedule, start);
      push('subscription_schedule.updated', { ...schedule, end_behavior: 'cancel' }, at(15));
    }

    const invoices = 4 + Math.floor(rand() * 6);
    const habit = rand(); // how this client pays
    for (let i = 0; i < invoices; i++) {
      const finalizedAt = at(since - 20 - i * 30);
      if (finalizedAt > at(2)) break;
      const invoiceId = `in_r${options.seed}c${c}i${i}`;
      const auto = rand() < 0.4;
      const dueAt = auto ? undefined : new Date(finalizedAt.getTime() + 30 * DAY_MS);
      const ref = dueAt ?? finalizedAt;
      const outcome = rand();
      const story: InvoiceStory = { customer, invoiceId, finalizedAt, amount: pick([50_000, 120_000, 300_000]) };
      if (dueAt) story.dueAt = dueAt;
      const late = habit > 0.7 ? 0.7 : habit > 0.4 ? 0.25 : 0.05;
      const paidAt = (days: number) => new Date(Math.min(ref.getTime() + days * DAY_MS, now.getTime() - DAY_MS));
      if (outcome < 0.05) story.voidedAt = new Date(finalizedAt.getTime() + 3 * DAY_MS);
      else if (outcome < 0.08 && ref < at(60)) story.uncollectibleAt = new Date(ref.getTime() + 45 * DAY_MS);
      else if (outcome < 0.08 + late * 0.2 && ref < at(40)) {
        // overdue, unpaid
      } else if (outcome < 0.08 + late) {
        if (auto) story.failedAt = new Date(finalizedAt.getTime() + DAY_MS);
        story.paidAt = paidAt(8 + Math.floor(rand() * 30));
      } else story.paidAt = paidAt(-Math.floor(rand() * 3));
      if (story.paidAt && story.paidAt < finalizedAt) story.paidAt = new Date(finalizedAt.getTime() + DAY_MS);
      for (const event of invoiceEvents(story)) events.push({ ...event, id: id('evt_r') });
      // Stripe also sends `invoice.updated` snapshots at arbitrary points of the story.
      if (rand() < 0.3) push('invoice.updated', invoiceAt(story, new Date(finalizedAt.getTime() + 2 * DAY_MS)), new Date(finalizedAt.getTime() + 2 * DAY_MS));

      if (story.paidAt && auto && rand() < 0.25) {
        const chargeId = `ch_r${options.seed}c${c}i${i}`;
        const charge = { ...fixture('charge'), id: chargeId, customer, amount: story.amount, amount_refunded: 0, currency: 'usd', created: epoch(story.paidAt), refunds: null };
        push('charge.succeeded', charge, story.paidAt);
        const refundAt = new Date(Math.min(story.paidAt.getTime() + 10 * DAY_MS, now.getTime() - DAY_MS));
        const amount = Math.floor((story.amount ?? 0) / pick([1, 2, 4]));
        const refund = { ...fixture('refund'), id: `re_r${options.seed}c${c}i${i}`, charge: chargeId, amount, currency: 'usd', status: 'succeeded', created: epoch(refundAt) };
        push('refund.created', refund, refundAt);
        push('charge.refunded', { ...charge, amount_refunded: amount, refunded: amount === story.amount }, refundAt);
        if (rand() < 0.3) {
          const disputeAt = new Date(refundAt.getTime() + DAY_MS);
          const dispute = { ...fixture('dispute'), id: `dp_r${options.seed}c${c}i${i}`, charge: chargeId, amount: story.amount, currency: 'usd', status: 'needs_response', created: epoch(disputeAt), balance_transactions: [] };
          push('charge.dispute.created', dispute, disputeAt);
          const closedAt = new Date(Math.min(disputeAt.getTime() + 20 * DAY_MS, now.getTime() - 1000));
          push('charge.dispute.closed', { ...dispute, status: pick(['won', 'lost']) }, closedAt);
        }
      }
    }
  }
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return { events, customers, counts };
}

/** The stream in a random order with about `duplicateShare` of it delivered again at random places. */
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
