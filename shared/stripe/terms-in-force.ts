import { chooseContract, compareStripeVersions, type Contract } from '../domain/contract.ts';
import { contractFromStripe, METADATA_KEYS, type StripeContractResult } from './contract-terms.ts';
import { asRecord, asString, listData, type Json } from './refs.ts';

/**
 * Contract terms from what is stored of Stripe's objects: each subscription, schedule and
 * upcoming invoice kept as last observed (only the fields terms are read from), and the terms
 * they give together now (`stripeTermsInForce`).
 */

/** The Stripe objects whose latest observation can carry contract terms. */
export type StripeTermsObjectKind = 'subscription' | 'schedule' | 'upcoming';

/**
 * One Stripe object as last observed: only the fields contract terms are read from (and, of
 * metadata, only the contract keys), so nothing else of the object is stored.
 * `upcoming`: what an `invoice.upcoming` says of its subscription (its id and metadata only).
 */
export interface StripeTermsObject {
  kind: StripeTermsObjectKind;
  id: string;
  /** Orders observations of the object (observationVersion of the event). */
  version: string;
  observedAt: string;
  fields: Json;
}

function pick(object: Json | undefined, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (object?.[key] !== undefined) out[key] = object[key];
  return out;
}

function contractMetadataOf(value: unknown): Json | undefined {
  const metadata = asRecord(value);
  return metadata === undefined ? undefined : pick(metadata, Object.values(METADATA_KEYS));
}

const epochPair = (value: unknown) => pick(asRecord(value), ['start_date', 'end_date']);

/** The fields of a subscription, schedule or upcoming invoice's subscription that contract terms are read from. */
export function termsFieldsOf(kind: StripeTermsObjectKind, value: unknown): Json {
  const object = asRecord(value);
  if (kind === 'schedule') {
    const subscription = object?.subscription;
    return {
      ...pick(object, ['id', 'status', 'end_behavior']),
      ...(subscription !== undefined && subscription !== null ? { subscription: asString(subscription) ?? asString(asRecord(subscription)?.id) } : {}),
      ...(asRecord(object?.current_phase) ? { current_phase: epochPair(object?.current_phase) } : {}),
      ...(Array.isArray(object?.phases) ? { phases: (object.phases as unknown[]).map(epochPair) } : {}),
    };
  }
  const metadata = contractMetadataOf(object?.metadata);
  if (kind === 'upcoming') return { ...pick(object, ['id']), ...(metadata ? { metadata } : {}) };
  const items = listData(object?.items).map((item) => {
    const record = asRecord(item);
    const recurring = asRecord(asRecord(record?.price)?.recurring);
    return {
      ...pick(record, ['current_period_end']),
      ...(recurring ? { price: { recurring: pick(recurring, ['interval', 'interval_count']) } } : {}),
      ...(asRecord(record?.plan) ? { plan: pick(asRecord(record?.plan), ['interval', 'interval_count']) } : {}),
    };
  });
  const schedule = object?.schedule;
  return {
    ...pick(object, ['id', 'status', 'deleted', 'cancel_at', 'cancel_at_period_end', 'current_period_end']),
    ...(asRecord(object?.plan) ? { plan: pick(asRecord(object?.plan), ['interval', 'interval_count']) } : {}),
    ...(items.length > 0 ? { items: { data: items } } : {}),
    ...(schedule !== undefined && schedule !== null ? { schedule: asString(schedule) ?? asString(asRecord(schedule)?.id) } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/** The later of two observations (by version). */
function later(a: StripeTermsObject, b: StripeTermsObject): StripeTermsObject {
  return compareStripeVersions(a.version, b.version) >= 0 ? a : b;
}

/**
 * The terms Stripe gives now, from the latest observation of every object that can carry them
 * and the customer's contract metadata: each subscription with its schedule, each schedule whose
 * subscription was not seen, else the customer alone; the best of those by the precedence rule.
 * Each object counts only as last observed, so terms an object no longer carries (a cancellation
 * undone, a schedule released, metadata removed) are gone from the answer, whatever the order
 * the observations arrived in. An upcoming invoice's metadata stands in for its subscription's
 * when it is the newer observation.
 */
export function stripeTermsInForce(
  objects: readonly StripeTermsObject[],
  customer: { id: string; metadata: Record<string, string>; version?: string; observedAt?: string } | undefined,
  timeZone: string,
): StripeContractResult {
  const subscriptions = new Map<string, StripeTermsObject>();
  const upcoming = new Map<string, StripeTermsObject>();
  const schedules: StripeTermsObject[] = [];
  for (const object of objects) {
    if (object.kind === 'subscription') subscriptions.set(object.id, object);
    else if (object.kind === 'upcoming') upcoming.set(object.id, object);
    else schedules.push(object);
  }
  for (const [id, invoice] of upcoming) {
    const sub = subscriptions.get(id);
    if (sub === undefined) subscriptions.set(id, { ...invoice, kind: 'subscription' });
    else if (later(invoice, sub) === invoice) {
      const { metadata: _old, ...rest } = sub.fields;
      subscriptions.set(id, {
        ...sub,
        version: invoice.version,
        observedAt: invoice.observedAt,
        fields: { ...rest, ...(invoice.fields.metadata ? { metadata: invoice.fields.metadata } : {}) },
      });
    }
  }
  const customerObject = customer && Object.keys(customer.metadata).length > 0 ? { id: customer.id, metadata: customer.metadata } : undefined;
  const groups: Array<{ subscription?: StripeTermsObject; schedule?: StripeTermsObject }> = [];
  const scheduled = new Set<string>();
  for (const sub of subscriptions.values()) {
    const schedule = schedules
      .filter((s) => s.fields.subscription === sub.id || s.id === sub.fields.schedule)
      .reduce<StripeTermsObject | undefined>((best, s) => (best === undefined ? s : later(s, best)), undefined);
    if (schedule) scheduled.add(schedule.id);
    groups.push(schedule ? { subscription: sub, schedule } : { subscription: sub });
  }
  for (const schedule of schedules) if (!scheduled.has(schedule.id)) groups.push({ schedule });
  if (groups.length === 0 && customerObject) groups.push({});

  const warnings: string[] = [];
  let best: Contract | null = null;
  for (const group of groups) {
    // Dated by the newest observation it is read from, the customer's included; the schedule's
    // phase in force is the one at the schedule's own observation.
    const observed = [group.subscription, group.schedule].filter((o): o is StripeTermsObject => o !== undefined);
    const dates = observed.map((o) => ({ version: o.version, at: o.observedAt }));
    if (customerObject && customer?.version && customer.observedAt) dates.push({ version: customer.version, at: customer.observedAt });
    if (dates.length === 0) continue; // the customer alone, never observed with a version: nothing to date terms by
    const newest = dates.reduce((a, b) => (compareStripeVersions(a.version, b.version) >= 0 ? a : b));
    const result = contractFromStripe({
      ...(group.subscription ? { subscription: group.subscription.fields } : {}),
      ...(group.schedule ? { schedule: group.schedule.fields } : {}),
      ...(customerObject ? { customer: customerObject } : {}),
      observedAt: group.schedule?.observedAt ?? newest.at,
      version: newest.version,
      timeZone,
    });
    warnings.push(...result.warnings);
    if (result.contract) best = best === null ? result.contract : chooseContract(best, result.contract);
  }
  return { contract: best, warnings: [...new Set(warnings)] };
}
