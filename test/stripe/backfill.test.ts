import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { observeInvoice } from '../../shared/stripe/invoice.ts';
import { backfillEvent, backfillEvents, customerOf, lastChangeSeconds, UnsupportedBackfillObjectError } from '../../shared/stripe/backfill-events.ts';
import { stripeEndpoint, StripeSettingsError } from '../../shared/stripe/backfill-client.ts';
import { RateLimiter } from '../../shared/stripe/rate-limiter.ts';
import { queuedEventSchema } from '../../shared/stripe/events.ts';
import { epoch, fixture, invoiceAt } from '../support/stripe-events.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

describe('backfill events: a Stripe object as the event a webhook would carry', () => {
  const story = { customer: 'cus_a', invoiceId: 'in_a', dueAt: day(-40), finalizedAt: day(-70), paidAt: day(-20) };

  it('dates a snapshot at the latest change the object records, never at the time of reading', () => {
    const paid = invoiceAt(story, NOW);
    expect(lastChangeSeconds(paid, NOW)).toBe(epoch(day(-20)));
    expect(lastChangeSeconds(paid, day(1))).toBe(epoch(day(-20)));
    const open = invoiceAt(story, day(-30));
    expect(lastChangeSeconds(open, NOW)).toBe(epoch(day(-70)));
  });

  it('ignores instants after the read (a scheduled cancellation is not a change yet)', () => {
    const subscription = {
      ...fixture('subscription'),
      created: epoch(day(-100)),
      start_date: epoch(day(-100)),
      canceled_at: epoch(day(30)),
      ended_at: null,
      current_period_start: epoch(day(-10)),
    };
    expect(lastChangeSeconds(subscription, NOW)).toBe(epoch(day(-10)));
  });

  it('reading the same object twice gives the same event (a second backfill writes nothing)', () => {
    const invoice = invoiceAt(story, NOW);
    expect(backfillEvent(invoice, NOW)).toEqual(backfillEvent(structuredClone(invoice), day(3)));
    expect(queuedEventSchema.parse(backfillEvent(invoice, NOW))).toMatchObject({ id: 'evt_bf_in_a', type: 'invoice.updated' });
  });

  it('orders a snapshot after the webhook events it already reflects and before later ones', () => {
    const snapshot = observeInvoice(backfillEvent(invoiceAt(story, day(-30)), day(-30)), invoiceAt(story, day(-30)));
    const finalized = observeInvoice({ id: 'evt_fin', type: 'invoice.finalized', created: epoch(day(-70)) }, invoiceAt(story, day(-70)));
    const paid = observeInvoice({ id: 'evt_paid', type: 'invoice.paid', created: epoch(day(-20)) }, invoiceAt(story, day(-20)));
    // Same second and lifecycle stage as the finalisation it reflects (the ids only break the tie
    // between two views of one state), strictly before the payment it does not know about.
    const secondAndStage = (version: string) => version.slice(0, 14);
    expect(secondAndStage(snapshot.version)).toBe(secondAndStage(finalized.version));
    expect(paid.version > snapshot.version).toBe(true);
  });

  it("feeds a refund's expanded charge first, so its owner is known", () => {
    const charge = { ...fixture('charge'), id: 'ch_1', customer: 'cus_a', created: epoch(day(-5)) };
    const refund = { ...fixture('refund'), id: 're_1', charge, created: epoch(day(-2)) };
    const events = backfillEvents(refund, NOW);
    expect(events.map((e) => [e.type, e.data.object.id])).toEqual([
      ['charge.succeeded', 'ch_1'],
      ['refund.updated', 're_1'],
    ]);
    expect(events[1]?.data.object.charge).toBe('ch_1');
    expect(customerOf(refund)).toBe('cus_a');
    expect(backfillEvents({ ...refund, charge: 'ch_1' }, NOW)).toHaveLength(1);
  });

  it('refuses objects it cannot date or does not know', () => {
    expect(() => backfillEvent({ object: 'payout', id: 'po_1', created: 1 }, NOW)).toThrow(UnsupportedBackfillObjectError);
    expect(() => backfillEvent({ object: 'invoice', id: 'in_1' }, NOW)).toThrow(/no creation time/);
  });
});

describe('STRIPE_API_BASE', () => {
  it('becomes the SDK host, port and protocol', () => {
    expect(stripeEndpoint(undefined)).toEqual({});
    expect(stripeEndpoint('http://127.0.0.1:12111')).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(stripeEndpoint('https://api.stripe.com')).toEqual({ host: 'api.stripe.com', port: 443, protocol: 'https' });
  });
  it('names the problem when it is not usable', () => {
    expect(() => stripeEndpoint('localhost:12111')).toThrow(StripeSettingsError);
    expect(() => stripeEndpoint('http://127.0.0.1:12111/v1')).toThrow(/path/);
    expect(() => stripeEndpoint('not a url')).toThrow(/not a URL/);
  });
});

/** A limiter on a fake clock: sleeping advances time, so the rate is checked exactly. */
function fakeClockLimiter(ratePerSecond: number, burst?: number) {
  let now = 0;
  const limiter = new RateLimiter({
    ratePerSecond,
    ...(burst ? { burst } : {}),
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return { limiter, elapsed: () => now };
}

describe('rate limiter', () => {
  it('never exceeds the rate beyond the burst, whatever the number of requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10 }), async (rate, requests, burst) => {
        const { limiter, elapsed } = fakeClockLimiter(rate, burst);
        await Promise.all(Array.from({ length: requests }, () => limiter.take()));
        const minimum = (Math.max(0, requests - burst) / rate) * 1000;
        expect(elapsed()).toBeGreaterThanOrEqual(minimum - 1);
        expect(elapsed()).toBeLessThanOrEqual(minimum + requests + 1000 / rate);
      }),
      { numRuns: 50 },
    );
  });

  it('halves its rate on a 429, down to the minimum, and creeps back on success', () => {
    const { limiter } = fakeClockLimiter(20);
    limiter.onThrottled();
    expect(limiter.currentRate).toBe(10);
    for (let i = 0; i < 10; i++) limiter.onThrottled();
    expect(limiter.currentRate).toBe(1);
    for (let i = 0; i < 200; i++) limiter.onSuccess();
    expect(limiter.currentRate).toBe(20);
    expect(limiter.throttled).toBe(11);
  });

  it('refuses a rate of zero', () => {
    expect(() => new RateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
