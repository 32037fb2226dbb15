import type { z } from '../zod.ts';
import { zoneContext } from '../domain/zone.ts';
import { differenceInCalendarMonths } from 'date-fns';
import {
  contractBodySchema,
  contractSchema,
  MAX_TERM_MONTHS,
  MIN_TERM_MONTHS,
  renewalSchema,
  termMonthsOf,
  type CalendarDate,
  type Contract,
  type Renewal,
  type StripeSource,
} from '../domain/contract.ts';
import { localDate } from '../domain/timing.ts';
import { asRecord, asString, epochSeconds, listData, type Json } from './refs.ts';

/**
 * Contract terms read from Stripe objects (`../shared/contract.md`, "Where contract terms come
 * from"). Pure: the caller fetches or receives the objects and passes them in as `unknown`,
 * because Stripe moves fields between API versions and a webhook may carry an older shape than
 * the SDK's types describe; every field is read defensively, in its current and older place.
 *
 * Sources, best first (the first that yields terms wins; `chooseContract` ranks them the same):
 * 1. `stripe_metadata`: keys on the subscription, else the customer (per key: a key missing or
 *    invalid on the subscription is read from the customer).
 * 2. `stripe_schedule`: the current phase's end with the schedule's `end_behavior`.
 * 3. `stripe_cancel_at`: the subscription's `cancel_at` (or its period end when
 *    `cancel_at_period_end` is set and `cancel_at` is not, as older API versions do).
 * Epoch instants become calendar dates in the business `timeZone` (the local date of the instant).
 */

export class StripeContractInputError extends Error {
  override readonly name = 'StripeContractInputError';
}

export const METADATA_KEYS = {
  endDate: 'contract_end_date',
  noticeDays: 'notice_period_days',
  renewal: 'renewal',
  termMonths: 'renewal_term_months',
  cureDays: 'cure_period_days',
} as const;

export type StripeContractInput = {
  subscription?: unknown;
  schedule?: unknown;
  customer?: unknown;
  /** When the objects were observed (ISO 8601): becomes `recordedAt`, and picks the schedule phase in force. */
  observedAt: string;
  /** Orders observations (e.g. the event's `created` epoch seconds); becomes `stripeVersion`. */
  version: string;
  /** The policy's business time zone. */
  timeZone: string;
};

/**
 * `contract`: the best terms Stripe gives, or null. `warnings`: metadata values that were
 * present but unusable (ignored, so the next source applied), for the caller to log or show;
 * a warning never stops the other sources from being read.
 */
export type StripeContractResult = { contract: Contract | null; warnings: string[] };

/**
 * The end of the subscription's current billing period, epoch seconds. Current API versions
 * keep it on each item (`items.data[].current_period_end`; the latest when items differ),
 * older ones on the subscription itself.
 */
export function subscriptionPeriodEnd(subscription: unknown): number | undefined {
  const sub = asRecord(subscription);
  if (sub === undefined) return undefined;
  const itemEnds = listData(sub.items)
    .map((item) => epochSeconds(asRecord(item)?.current_period_end))
    .filter((end): end is number => end !== undefined);
  if (itemEnds.length > 0) return Math.max(...itemEnds);
  return epochSeconds(sub.current_period_end);
}

/** The billing interval in whole months (`price.recurring` now, `plan` in older shapes), if it is one. */
export function subscriptionBillingMonths(subscription: unknown): number | undefined {
  const sub = asRecord(subscription);
  if (sub === undefined) return undefined;
  const firstItem = asRecord(listData(sub.items)[0]);
  const candidates = [asRecord(asRecord(firstItem?.price)?.recurring), asRecord(firstItem?.plan), asRecord(sub.plan)];
  for (const interval of candidates) {
    if (interval === undefined) continue;
    const count = typeof interval.interval_count === 'number' ? interval.interval_count : 1;
    const months = interval.interval === 'month' ? count : interval.interval === 'year' ? count * 12 : undefined;
    if (months !== undefined) {
      return Number.isInteger(months) && months >= MIN_TERM_MONTHS && months <= MAX_TERM_MONTHS ? months : undefined;
    }
  }
  return undefined;
}

type MetadataHolder = { label: string; id: string | undefined; metadata: Json };

function holderOf(kind: 'subscription' | 'customer', value: unknown): MetadataHolder | undefined {
  const object = asRecord(value);
  const metadata = asRecord(object?.metadata);
  if (object === undefined || metadata === undefined || object.deleted === true) return undefined;
  const id = asString(object.id);
  return { label: id === undefined ? kind : `${kind} ${id}`, id, metadata };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function firstIssue(error: z.core.$ZodError): string {
  return error.issues[0]?.message ?? 'is invalid';
}

function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown): Parsed<T> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: firstIssue(result.error) };
}

function parseWhole(raw: string, schema: z.ZodMiniType<number | undefined>): Parsed<number> {
  if (!/^[+-]?\d+(\.\d+)?$/.test(raw)) return { ok: false, problem: 'is not a number' };
  const parsed = parseWith(schema, Number(raw));
  if (!parsed.ok) return parsed;
  return parsed.value === undefined ? { ok: false, problem: 'is missing' } : { ok: true, value: parsed.value };
}

const metadataParsers = {
  endDate: (raw: string) => parseWith(contractBodySchema.shape.endDate, raw),
  noticeDays: (raw: string) => parseWhole(raw, contractBodySchema.shape.noticeDays),
  renewal: (raw: string) => parseWith(renewalSchema, raw.toLowerCase()),
  termMonths: (raw: string) => parseWhole(raw, contractBodySchema.shape.renewalTermMonths),
  cureDays: (raw: string) => parseWhole(raw, contractBodySchema.shape.cureDays),
};

type MetadataTerms = {
  endDate?: { value: CalendarDate; holder: MetadataHolder };
  noticeDays?: number;
  renewal?: Renewal;
  termMonths?: number;
  cureDays?: number;
  /** Some contract key was present (valid or not). */
  anyKey: boolean;
};

function readKey<T>(
  holders: MetadataHolder[],
  metadataKey: string,
  parse: (raw: string) => Parsed<T>,
  warnings: string[],
  terms: MetadataTerms,
): { value: T; holder: MetadataHolder } | undefined {
  for (const holder of holders) {
    const raw = holder.metadata[metadataKey];
    // Stripe removes a key set to ""; treat a blank value the same way.
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    terms.anyKey = true;
    const parsed = parse(raw.trim());
    if (parsed.ok) return { value: parsed.value, holder };
    warnings.push(`${holder.label} metadata ${metadataKey}="${raw}" ${parsed.problem}; ignored`);
  }
  return undefined;
}

/** Each key: the subscription's value if usable, else the customer's; unusable values become warnings. */
function readMetadata(holders: MetadataHolder[], warnings: string[]): MetadataTerms {
  const terms: MetadataTerms = { anyKey: false };
  const endDate = readKey(holders, METADATA_KEYS.endDate, metadataParsers.endDate, warnings, terms);
  if (endDate !== undefined) terms.endDate = endDate;
  const noticeDays = readKey(holders, METADATA_KEYS.noticeDays, metadataParsers.noticeDays, warnings, terms);
  if (noticeDays !== undefined) terms.noticeDays = noticeDays.value;
  const renewal = readKey(holders, METADATA_KEYS.renewal, metadataParsers.renewal, warnings, terms);
  if (renewal !== undefined) terms.renewal = renewal.value;
  const termMonths = readKey(holders, METADATA_KEYS.termMonths, metadataParsers.termMonths, warnings, terms);
  if (termMonths !== undefined) terms.termMonths = termMonths.value;
  const cureDays = readKey(holders, METADATA_KEYS.cureDays, metadataParsers.cureDays, warnings, terms);
  if (cureDays !== undefined) terms.cureDays = cureDays.value;
  return terms;
}

/** The schedule phase in force: `current_phase`, else the phase of `phases[]` containing `atSeconds`. */
function currentPhase(schedule: Json, atSeconds: number): { start?: number; end: number } | undefined {
  const current = asRecord(schedule.current_phase);
  const currentEnd = epochSeconds(current?.end_date);
  if (currentEnd !== undefined) {
    const start = epochSeconds(current?.start_date);
    return start === undefined ? { end: currentEnd } : { start, end: currentEnd };
  }
  const phases = Array.isArray(schedule.phases) ? schedule.phases : [];
  for (const value of phases) {
    const phase = asRecord(value);
    const start = epochSeconds(phase?.start_date);
    const end = epochSeconds(phase?.end_date);
    if (start !== undefined && end !== undefined && start <= atSeconds && atSeconds < end) return { start, end };
  }
  return undefined;
}

/** Schedules that no longer govern the subscription carry stale phases. */
const LIVE_SCHEDULE_STATUSES = new Set(['active', 'not_started']);

type Terms = Omit<Contract, 'source' | 'recordedAt' | 'stripeVersion'> & { source: StripeSource };

function fromSchedule(value: unknown, input: StripeContractInput, observedSeconds: number, meta: MetadataTerms, warnings: string[]): Terms | undefined {
  const schedule = asRecord(value);
  if (schedule === undefined) return undefined;
  const status = asString(schedule.status);
  if (status !== undefined && !LIVE_SCHEDULE_STATUSES.has(status)) return undefined;
  const phase = currentPhase(schedule, observedSeconds);
  if (phase === undefined) return undefined;
  const endDate = localDate(phase.end * 1000, input.timeZone);
  const behavior = asString(schedule.end_behavior);
  let renewal: Renewal;
  let renewalTermMonths: number | undefined;
  switch (behavior) {
    case 'cancel':
      renewal = 'fixed';
      break;
    case 'release':
    case 'none':
      // Released, the subscription goes on billing period by period unless metadata says otherwise.
      renewal = meta.renewal ?? 'evergreen';
      break;
    case 'renew': {
      // Legacy: the last phase repeats, so its length is the renewal term.
      renewal = meta.renewal ?? 'auto';
      if (phase.start !== undefined) {
        const months = differenceInCalendarMonths(localDate(phase.end * 1000, input.timeZone), localDate(phase.start * 1000, input.timeZone), {
          in: zoneContext('UTC'),
        });
        if (months >= MIN_TERM_MONTHS && months <= MAX_TERM_MONTHS) renewalTermMonths = months;
      }
      break;
    }
    default:
      warnings.push(`subscription schedule ${asString(schedule.id) ?? ''} has unknown end_behavior ${String(behavior)}; ignored`);
      return undefined;
  }
  if (renewal !== 'fixed') {
    renewalTermMonths =
      meta.termMonths ??
      renewalTermMonths ??
      (renewal === 'evergreen' ? subscriptionBillingMonths(input.subscription) : undefined) ??
      termMonthsOf({ renewal });
  }
  const terms: Terms = { endDate, renewal, source: 'stripe_schedule' };
  if (renewalTermMonths !== undefined) terms.renewalTermMonths = renewalTermMonths;
  const ref = asString(schedule.id);
  if (ref !== undefined) terms.sourceRef = ref;
  return terms;
}

function fromCancelAt(value: unknown, input: StripeContractInput): Terms | undefined {
  const sub = asRecord(value);
  if (sub === undefined) return undefined;
  const cancelAt = epochSeconds(sub.cancel_at) ?? (sub.cancel_at_period_end === true ? subscriptionPeriodEnd(sub) : undefined);
  if (cancelAt === undefined) return undefined;
  const terms: Terms = { endDate: localDate(cancelAt * 1000, input.timeZone), renewal: 'fixed', source: 'stripe_cancel_at' };
  const ref = asString(sub.id);
  if (ref !== undefined) terms.sourceRef = ref;
  return terms;
}

function fromMetadata(meta: MetadataTerms, input: StripeContractInput, cancelling: boolean, warnings: string[]): Terms | undefined {
  let endDate = meta.endDate?.value;
  let sourceRef = meta.endDate?.holder.id;
  if (endDate === undefined && meta.renewal === 'evergreen') {
    // Evergreen terms end at a billing period end: the current one stands in for a missing date.
    const periodEnd = subscriptionPeriodEnd(input.subscription);
    if (periodEnd !== undefined) {
      endDate = localDate(periodEnd * 1000, input.timeZone);
      sourceRef = asString(asRecord(input.subscription)?.id);
    }
  }
  if (endDate === undefined) return undefined;
  let renewal = meta.renewal;
  if (renewal === undefined) {
    renewal = cancelling ? 'fixed' : 'auto';
    warnings.push(`metadata gives ${METADATA_KEYS.endDate} but no usable ${METADATA_KEYS.renewal}; assumed ${renewal}`);
  }
  const terms: Terms = { endDate, renewal, source: 'stripe_metadata' };
  const termMonths =
    meta.termMonths ??
    (renewal === 'evergreen' ? subscriptionBillingMonths(input.subscription) : undefined) ??
    (renewal === 'fixed' ? undefined : termMonthsOf({ renewal }));
  if (termMonths !== undefined) terms.renewalTermMonths = termMonths;
  if (sourceRef !== undefined) terms.sourceRef = sourceRef;
  return terms;
}

/**
 * Reads contract terms from a subscription, its schedule and its customer.
 * Steps:
 * 1. Read the metadata keys (subscription first, then customer), collecting warnings.
 * 2. Build terms from metadata, else the live schedule phase, else `cancel_at`.
 * 3. Attach the metadata notice and cure periods (any source), `observedAt` and `version`; validate.
 */
export function contractFromStripe(input: StripeContractInput): StripeContractResult {
  const observedMs = Date.parse(input.observedAt);
  if (Number.isNaN(observedMs)) throw new StripeContractInputError(`observedAt is not an ISO timestamp: ${input.observedAt}`);
  if (input.version.length === 0) throw new StripeContractInputError('version is empty');

  const warnings: string[] = [];
  const holders = [holderOf('subscription', input.subscription), holderOf('customer', input.customer)].filter(
    (holder): holder is MetadataHolder => holder !== undefined,
  );
  const meta = readMetadata(holders, warnings);
  const sub = asRecord(input.subscription);
  const schedule = asRecord(input.schedule);
  const cancelling = epochSeconds(sub?.cancel_at) !== undefined || sub?.cancel_at_period_end === true || schedule?.end_behavior === 'cancel';

  const terms =
    fromMetadata(meta, input, cancelling, warnings) ??
    fromSchedule(input.schedule, input, Math.floor(observedMs / 1000), meta, warnings) ??
    fromCancelAt(input.subscription, input);
  if (terms === undefined) {
    if (meta.anyKey && meta.endDate === undefined) {
      warnings.push(`metadata gives contract terms but no usable ${METADATA_KEYS.endDate}; no contract read`);
    }
    return { contract: null, warnings };
  }

  const candidate: Contract = { ...terms, recordedAt: new Date(observedMs).toISOString(), stripeVersion: input.version };
  if (meta.noticeDays !== undefined) candidate.noticeDays = meta.noticeDays;
  if (meta.cureDays !== undefined) candidate.cureDays = meta.cureDays;
  const parsed = contractSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    warnings.push(`terms read from ${terms.source} are unusable (${problems}); ignored`);
    return { contract: null, warnings };
  }
  return { contract: parsed.data, warnings };
}
