import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import type { QueuedEvent } from '../../shared/stripe/events.ts';

const fixturesPath = fileURLToPath(new URL('../fixtures/stripe/fixtures3.json', import.meta.url));
const resources = (JSON.parse(readFileSync(fixturesPath, 'utf8')) as { resources: Record<string, Record<string, unknown>> }).resources;

/** A fresh copy of Stripe's own example object of a resource type (current API shape). */
export function fixture(name: string): Record<string, unknown> {
  const value = resources[name];
  if (!value) throw new Error(`no Stripe fixture for ${name}`);
  return structuredClone(value);
}

/**
 * Stripe's example subscription as an active one of `customer`, with no schedule and no
 * cancellation or end (the fixture's own values for those vary), then `overrides`.
 */
export function activeSubscription(id: string, customer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...fixture('subscription'),
    id,
    customer,
    status: 'active',
    schedule: null,
    metadata: {},
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    ...overrides,
  };
}

const DAY = 86_400;
export const epoch = (date: Date | string) => Math.floor(new Date(date).getTime() / 1000);
export const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY * 1000);

let sequence = 0;
/** A Stripe event envelope (`event` fixture) around an object. */
export function stripeEvent(type: string, object: Record<string, unknown>, created: number, id?: string): QueuedEvent & Record<string, unknown> {
  const envelope = fixture('event');
  return {
    ...envelope,
    id: id ?? `evt_test${(++sequence).toString().padStart(8, '0')}${Math.random().toString(36).slice(2, 8)}`,
    object: 'event',
    type,
    created,
    livemode: false,
    api_version: '2026-10-28.endive',
    data: { object },
  } as unknown as QueuedEvent & Record<string, unknown>;
}

export interface InvoiceStory {
  customer: string;
  invoiceId: string;
  amount?: number;
  currency?: string;
  /** send_invoice with this due date; omit for an automatically charged invoice. */
  dueAt?: Date;
  finalizedAt: Date;
  paidAt?: Date;
  failedAt?: Date;
  voidedAt?: Date;
  uncollectibleAt?: Date;
}

/** The invoice object as Stripe would show it at `asOf` in this story. */
export function invoiceAt(story: InvoiceStory, asOf: Date): Record<string, unknown> {
  const invoice = fixture('invoice');
  const t = (d: Date | undefined) => (d && d.getTime() <= asOf.getTime() ? epoch(d) : null);
  const paid = t(story.paidAt);
  const voided = t(story.voidedAt);
  const uncollectible = t(story.uncollectibleAt);
  const failed = t(story.failedAt);
  const amount = story.amount ?? 100_000;
  const status = paid ? 'paid' : voided ? 'void' : uncollectible ? 'uncollectible' : 'open';
  return {
    ...invoice,
    id: story.invoiceId,
    customer: story.customer,
    currency: story.currency ?? 'usd',
    collection_method: story.dueAt ? 'send_invoice' : 'charge_automatically',
    due_date: story.dueAt ? epoch(story.dueAt) : null,
    created: epoch(story.finalizedAt) - 60,
    number: `INV-${story.invoiceId.split('_').at(-1)}`,
    status,
    amount_due: amount,
    amount_paid: paid ? amount : 0,
    amount_remaining: paid ? 0 : amount,
    total: amount,
    subtotal: amount,
    attempt_count: failed ? 1 : paid ? 1 : 0,
    attempted: Boolean(failed || paid),
    customer_email: null,
    customer_name: null,
    status_transitions: {
      finalized_at: epoch(story.finalizedAt),
      paid_at: paid,
      voided_at: voided,
      marked_uncollectible_at: uncollectible,
    },
  };
}

/** Every webhook event Stripe sends over an invoice's story, in the order they happen. */
export function invoiceEvents(story: InvoiceStory): Array<ReturnType<typeof stripeEvent>> {
  const at = (type: string, when: Date) => stripeEvent(type, invoiceAt(story, when), epoch(when));
  const events = [at('invoice.finalized', story.finalizedAt)];
  if (story.failedAt) events.push(at('invoice.payment_failed', story.failedAt));
  if (story.dueAt && (!story.paidAt || story.paidAt > story.dueAt)) {
    const overdue = new Date(story.dueAt.getTime() + DAY * 1000);
    if (!story.paidAt || story.paidAt > overdue) events.push(at('invoice.overdue', overdue));
  }
  if (story.uncollectibleAt) events.push(at('invoice.marked_uncollectible', story.uncollectibleAt));
  if (story.voidedAt) events.push(at('invoice.voided', story.voidedAt));
  if (story.paidAt) {
    events.push(at('invoice.paid', story.paidAt));
    events.push(at('invoice.payment_succeeded', story.paidAt));
  }
  return events;
}

/** A delivery as Stripe makes it: the exact body bytes and the Stripe-Signature header over them. */
export function signedDelivery(event: unknown, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  const body = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return { body, signature };
}
