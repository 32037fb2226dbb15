import type { QueuedEvent } from './events.ts';

/**
 * The backfill reads Stripe objects, not events. To go through the same code as webhooks, each
 * object becomes the event Stripe would have sent for its current state. Two choices make a
 * backfilled fact and a webhook fact interchangeable:
 *
 * - `created` is the latest instant the object itself records (its creation, status
 *   transitions, cancellation…), never the time of reading. A snapshot is therefore ordered
 *   before any webhook about a later change (which carries that change's time) and after the
 *   changes it already shows; and reading the same unchanged object again gives the same
 *   observation, so a second backfill writes nothing.
 * - the id is fixed per object (`evt_bf_<object id>`), for the same reason.
 */

/** Timestamps (epoch seconds) each kind of object records about its own changes. */
const CHANGE_FIELDS: Record<string, readonly string[]> = {
  invoice: [
    'created',
    'status_transitions.finalized_at',
    'status_transitions.paid_at',
    'status_transitions.voided_at',
    'status_transitions.marked_uncollectible_at',
  ],
  customer: ['created'],
  subscription: ['created', 'start_date', 'canceled_at', 'ended_at', 'current_period_start', 'items.data.*.current_period_start'],
  subscription_schedule: ['created', 'canceled_at', 'completed_at', 'released_at', 'current_phase.start_date'],
  charge: ['created'],
  refund: ['created'],
  dispute: ['created'],
};

/** The event type a webhook would carry for an object in its current state. */
const EVENT_TYPE: Record<string, string> = {
  invoice: 'invoice.updated',
  customer: 'customer.updated',
  subscription: 'customer.subscription.updated',
  subscription_schedule: 'subscription_schedule.updated',
  charge: 'charge.succeeded',
  refund: 'refund.updated',
  dispute: 'charge.dispute.updated',
};

export class UnsupportedBackfillObjectError extends Error {
  override readonly name = 'UnsupportedBackfillObjectError';
}

function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') return Array.isArray(value) ? value.flatMap((v) => valuesAt(v, rest)) : [];
  return valuesAt((value as Record<string, unknown>)[head], rest);
}

/**
 * The latest change the object records, in epoch seconds, ignoring instants after `readAt`
 * (a scheduled `cancel_at` or a phase that has not started is not a change yet).
 */
export function lastChangeSeconds(object: Record<string, unknown>, readAt: Date): number {
  const fields = CHANGE_FIELDS[String(object.object)];
  if (!fields) throw new UnsupportedBackfillObjectError(`cannot backfill a Stripe ${String(object.object)}`);
  const limit = Math.floor(readAt.getTime() / 1000);
  const instants = fields
    .flatMap((field) => valuesAt(object, field.split('.')))
    .filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= limit);
  if (instants.length === 0) throw new UnsupportedBackfillObjectError(`Stripe ${String(object.object)} ${String(object.id)} has no creation time`);
  return Math.max(...instants);
}

/** The event a webhook would have delivered for this object as it is now. */
export function backfillEvent(object: Record<string, unknown>, readAt: Date): QueuedEvent {
  const kind = String(object.object);
  const type = EVENT_TYPE[kind];
  if (!type || typeof object.id !== 'string') throw new UnsupportedBackfillObjectError(`cannot backfill a Stripe ${kind}`);
  return {
    id: `evt_bf_${object.id.replace(/\W/g, '_')}`,
    type,
    created: lastChangeSeconds(object, readAt),
    livemode: object.livemode === true,
    data: { object: { ...object, object: kind } },
  };
}

/**
 * Refunds and disputes often name only their charge; the backfill lists them with the charge
 * expanded and feeds the charge first, as `charge.succeeded` would have, so the owner is known.
 */
export function backfillEvents(object: Record<string, unknown>, readAt: Date): QueuedEvent[] {
  const charge = object.charge;
  if ((object.object === 'refund' || object.object === 'dispute') && charge !== null && typeof charge === 'object') {
    const chargeObject = charge as Record<string, unknown>;
    return [backfillEvent(chargeObject, readAt), backfillEvent({ ...object, charge: chargeObject.id }, readAt)];
  }
  return [backfillEvent(object, readAt)];
}

/** The Stripe customer an object belongs to, if it names one (expanded or not). */
export function customerOf(object: Record<string, unknown>): string | undefined {
  const ref = object.object === 'customer' ? object.id : (object.customer ?? (object.charge as Record<string, unknown> | undefined)?.customer);
  if (typeof ref === 'string') return ref;
  if (ref && typeof ref === 'object' && typeof (ref as { id?: unknown }).id === 'string') return (ref as { id: string }).id;
  return undefined;
}
