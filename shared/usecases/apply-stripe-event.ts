import type { Policy } from '../domain/policy.ts';
import { observeInvoice } from '../stripe/invoice.ts';
import { observeDispute, observeRefunds } from '../stripe/revenue.ts';
import { subscriptionPlans } from '../stripe/subscription-plans.ts';
import { mergeFact } from '../store/facts.ts';
import { invoiceFacts } from '../store/invoice.ts';
import { deleteParkedEvent, disputeFacts, getChargeOwner, listParkedEvents, parkEvent, refundFacts, saveChargeOwner } from '../store/revenue.ts';
import type { Store } from '../store/client.ts';
import { saveCustomerFactsMany, type CustomerFacts } from '../store/account.ts';
import {
  customerEventTypes,
  invoiceEventTypes,
  observationInstant,
  observationVersion,
  scheduleEventTypes,
  subscriptionEventTypes,
  upcomingInvoiceEventTypes,
  chargeEventTypes,
  refundEventTypes,
  disputeEventTypes,
  type QueuedEvent,
} from '../stripe/events.ts';
import { METADATA_KEYS } from '../stripe/contract-terms.ts';
import { stripeTermsInForce, termsFieldsOf, type StripeTermsObject, type StripeTermsObjectKind } from '../stripe/terms-in-force.ts';
import { getAccount, type AccountRecord } from '../store/account.ts';
import { getContract, getContracts, putStripeContract } from '../store/contract.ts';
import { listContractSources, saveContractSource } from '../store/contract-source.ts';
import { retryOptimistic } from '../store/optimistic.ts';
import { isConcurrentUpdate } from '../store/revision.ts';
import { logger } from '../powertools.ts';
import { evaluateAccount } from './evaluate-account.ts';
import { mergeAndEvaluate, observation, type Observation, type StripeTermsRefresh } from './merge-and-evaluate.ts';
import * as z from '../zod.ts';
import { eachAtOnce } from '../concurrency.ts';

/** Stripe events may arrive late and out of order: reviews they would open wait for the settle period. */
const SETTLE = { settle: true } as const;

export class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
}

export interface ApplyDeps {
  store: Store;
  policy: Policy;
}

export type ApplyOutcome = { outcome: 'applied' | 'unchanged'; accountId: string } | { outcome: 'ignored'; reason: string };

const invoiceTypes: ReadonlySet<string> = new Set(invoiceEventTypes);
const customerTypes: ReadonlySet<string> = new Set(customerEventTypes);
const subscriptionTypes: ReadonlySet<string> = new Set(subscriptionEventTypes);
const scheduleTypes: ReadonlySet<string> = new Set(scheduleEventTypes);
const termsObjectTypes: ReadonlySet<string> = new Set([...subscriptionEventTypes, ...scheduleEventTypes, ...upcomingInvoiceEventTypes]);
const contractMetadataKeys: readonly string[] = Object.values(METADATA_KEYS);

const stripeRef = z.union([
  z.string().check(z.minLength(1)),
  z.pipe(
    z.looseObject({ id: z.string().check(z.minLength(1)) }),
    z.transform((o) => o.id),
  ),
]);
const ownedObjectSchema = z.looseObject({ customer: stripeRef });

const customerObjectSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.nullish(z.string()),
  deleted: z.optional(z.boolean()),
  metadata: z.nullish(z.record(z.string(), z.unknown())),
});

/** What recording an event did, and whether its account's signals may have changed. */
export type RecordOutcome = { outcome: 'applied' | 'unchanged'; accountId: string; evaluate: boolean } | { outcome: 'ignored'; reason: string };

/**
 * Applies one Stripe event to the stored facts, then re-derives the account's signals.
 * Idempotent and order-independent: facts are merged (never overwritten by an older
 * observation), and signals are recomputed from all facts rather than counted per event.
 */
export async function applyStripeEvent(deps: ApplyDeps, event: QueuedEvent, now: Date): Promise<ApplyOutcome> {
  // Invoices, refunds and disputes (most events): one read and one write, fact and evaluation together.
  if (invoiceTypes.has(event.type)) {
    const observed = observeInvoice(event, event.data.object);
    return mergedAndEvaluated(deps, observed.customerId, [observation(invoiceFacts, observed)], now);
  }
  if (refundTypes.has(event.type) || disputeTypes.has(event.type)) {
    const owner = await resolveRevenueOwner(deps, event);
    if ('ignored' in owner) return { outcome: 'ignored', reason: owner.ignored };
    return mergedAndEvaluated(deps, owner.customerId, revenueObservations(event, owner.customerId), now);
  }
  if (chargeTypes.has(event.type)) return applyChargeEvent(deps, event, now);
  if (customerTypes.has(event.type)) return applyCustomerEvent(deps, event, now);
  if (termsObjectTypes.has(event.type)) return applyTermsObjectEvent(deps, event, now);
  const recorded = await recordStripeEvent(deps, event);
  if (recorded.outcome === 'ignored') return recorded;
  if (recorded.evaluate) await evaluateAccount(deps, recorded.accountId, now, SETTLE);
  return { outcome: recorded.outcome, accountId: recorded.accountId };
}

async function mergedAndEvaluated(deps: ApplyDeps, accountId: string, observations: Observation[], now: Date): Promise<ApplyOutcome> {
  const { changed } = await mergeAndEvaluate(deps, accountId, observations, now, SETTLE);
  return { outcome: changed ? 'applied' : 'unchanged', accountId };
}

/**
 * Records the facts one Stripe event carries, without evaluating the account: the processor
 * evaluates right after; the backfill evaluates each account once at the end.
 */
export async function recordStripeEvent(deps: ApplyDeps, event: QueuedEvent): Promise<RecordOutcome> {
  if (invoiceTypes.has(event.type)) {
    const observed = observeInvoice(event, event.data.object);
    const accountId = observed.customerId;
    const changed = await mergeFact(deps.store, invoiceFacts, accountId, observed);
    return { outcome: changed ? 'applied' : 'unchanged', accountId, evaluate: true };
  }
  if (customerTypes.has(event.type)) {
    // The terms are recomputed whenever they can move, even for a redelivery (a crash after the
    // save leaves them to do), and the account evaluated always (a current one writes nothing).
    const [result] = await recordCustomerEvents(deps, [event]);
    return { ...result!, evaluate: true };
  }
  if (termsObjectTypes.has(event.type)) {
    const saved = await saveTermsObject(deps, event);
    if ('ignored' in saved) return { outcome: 'ignored', reason: saved.ignored };
    // Recomputed even when the observation was not new: a crash after the save leaves it to do.
    await refreshStripeContract(deps, saved.accountId, `stripe:${event.id}`);
    return { outcome: saved.saved ? 'applied' : 'unchanged', accountId: saved.accountId, evaluate: true };
  }
  if (chargeTypes.has(event.type)) return recordChargeEvent(deps, event);
  if (refundTypes.has(event.type) || disputeTypes.has(event.type)) return recordRevenueEvent(deps, event);
  return { outcome: 'ignored', reason: `event type ${event.type} is not applied` };
}

/**
 * Stores the latest observation of a Stripe object that can carry contract terms (a subscription,
 * a schedule, the subscription an upcoming invoice names), and a subscription's plans with it.
 */
async function saveTermsObject(deps: ApplyDeps, event: QueuedEvent): Promise<{ accountId: string; saved: boolean } | { ignored: string }> {
  const owned = ownedObjectSchema.safeParse(event.data.object);
  if (!owned.success) throw new UnreadableEventError(`event ${event.id}: ${event.type} object has no customer`);
  const accountId = owned.data.customer;
  const object = event.data.object;
  const kind: StripeTermsObjectKind = subscriptionTypes.has(event.type) ? 'subscription' : scheduleTypes.has(event.type) ? 'schedule' : 'upcoming';
  const observed = kind === 'upcoming' ? subscriptionOfUpcomingInvoice(object) : object;
  const id = typeof observed?.id === 'string' && observed.id.length > 0 ? observed.id : undefined;
  if (observed === undefined || id === undefined) return { ignored: `${event.type} names no subscription with metadata` };
  const saved = await saveContractSource(
    deps.store,
    accountId,
    { kind, id, version: observationVersion(event), observedAt: new Date(event.created * 1000).toISOString(), fields: termsFieldsOf(kind, observed) },
    // A subscription also says which plans the customer is on (fixed monthly costs by plan).
    kind === 'subscription' ? subscriptionPlans(observed) : undefined,
  );
  return { accountId, saved: saved === 'saved' };
}

/**
 * A subscription, schedule or upcoming-invoice event, as the processor applies it: the object's
 * observation saved (saveTermsObject), then the Stripe terms recomputed with the account's
 * evaluation in one round (mergeAndEvaluate: the partition, the objects' observations read after
 * it, one transaction holding the contract change and the evaluation). Recomputed even when the
 * observation was not new: a crash after the save leaves it to do.
 */
async function applyTermsObjectEvent(deps: ApplyDeps, event: QueuedEvent, now: Date): Promise<ApplyOutcome> {
  const saved = await saveTermsObject(deps, event);
  if ('ignored' in saved) return { outcome: 'ignored', reason: saved.ignored };
  await mergeAndEvaluate(deps, saved.accountId, [], now, { ...SETTLE, stripeTerms: stripeTermsRefresh(deps, saved.accountId, `stripe:${event.id}`) });
  return { outcome: saved.saved ? 'applied' : 'unchanged', accountId: saved.accountId };
}

/** A customer event's facts: name, deletion, the contract metadata keys, and the observation's order. */
export function customerObservation(event: QueuedEvent): { accountId: string; customer: CustomerFacts } {
  const parsed = customerObjectSchema.safeParse(event.data.object);
  if (!parsed.success) throw new UnreadableEventError(`event ${event.id}: customer object lacks an id`);
  const customer = parsed.data;
  const contractMetadata = Object.fromEntries(
    Object.entries(customer.metadata ?? {}).filter(
      (entry): entry is [string, string] => contractMetadataKeys.includes(entry[0]) && typeof entry[1] === 'string',
    ),
  );
  return {
    accountId: customer.id,
    customer: {
      ...(customer.name ? { name: customer.name } : {}),
      deleted: event.type === 'customer.deleted' || customer.deleted === true,
      contractMetadata,
      version: observationVersion(event),
    },
  };
}

/**
 * Records many customer events (the backfill's customer pages), with the outcome and effects of
 * recording each with recordStripeEvent, in a few requests: the customers saved together
 * (saveCustomerFactsMany), then the contracts on record read together, then the Stripe terms
 * recomputed (refreshStripeContract: three reads and maybe a write) only for the accounts where
 * they can have moved. A customer's part in the terms is its contract metadata, so when neither
 * this observation nor the account as stored before it carries any, and no contract is on
 * record, the terms in force come from the account's subscription objects alone, and every
 * writer of those recomputes them after its own write: nothing here can move them. The contract
 * is read after the save, so a concurrent writer's terms are either seen here or computed by that
 * writer from facts that include this save. `concurrency`: recomputations at once.
 */
export async function recordCustomerEvents(
  deps: ApplyDeps,
  events: readonly QueuedEvent[],
  options: { concurrency?: number } = {},
): Promise<Array<{ outcome: 'applied' | 'unchanged'; accountId: string }>> {
  const observed = events.map(customerObservation);
  const saves = await saveCustomerFactsMany(deps.store, observed);
  const quiet = (i: number) =>
    Object.keys(observed[i]!.customer.contractMetadata).length === 0 && Object.keys(saves[i]!.before?.contractMetadata ?? {}).length === 0;
  const contracts = await getContracts(deps.store, [...new Set(observed.filter((_, i) => quiet(i)).map((o) => o.accountId))]);
  const refresh = [...new Map(observed.flatMap((o, i) => (quiet(i) && !contracts.has(o.accountId) ? [] : [[o.accountId, events[i]!] as const]))).entries()];
  await eachAtOnce(refresh, options.concurrency ?? 8, async ([accountId, event]) => {
    await refreshStripeContract(deps, accountId, `stripe:${event.id}`);
  });
  return observed.map((o, i) => ({ outcome: saves[i]!.outcome === 'saved' ? 'applied' : 'unchanged', accountId: o.accountId }));
}

/**
 * A customer event, as the processor applies it: its facts stored with the account's evaluation in
 * one read and one write (mergeAndEvaluate: the account item's update holds both, conditioned on
 * the customer version read), then, only where they can move (as recordCustomerEvents decides it,
 * from the account as read: contract metadata now or as stored, or a contract on record), the
 * Stripe terms recomputed with the evaluation in a second round, after that write. A crash between
 * leaves the stored customer, whose redelivery (stale then) finds the same metadata stored and
 * recomputes.
 */
async function applyCustomerEvent(deps: ApplyDeps, event: QueuedEvent, now: Date): Promise<ApplyOutcome> {
  const { accountId, customer } = customerObservation(event);
  const { changed, before } = await mergeAndEvaluate(deps, accountId, [], now, { ...SETTLE, customer });
  const quiet = Object.keys(customer.contractMetadata).length === 0 && Object.keys(before.account?.contractMetadata ?? {}).length === 0;
  if (!quiet || before.contractOnRecord) {
    await mergeAndEvaluate(deps, accountId, [], now, { ...SETTLE, stripeTerms: stripeTermsRefresh(deps, accountId, `stripe:${event.id}`) });
  }
  return { outcome: changed ? 'applied' : 'unchanged', accountId };
}

const chargeTypes: ReadonlySet<string> = new Set(chargeEventTypes);
const refundTypes: ReadonlySet<string> = new Set(refundEventTypes);
const disputeTypes: ReadonlySet<string> = new Set(disputeEventTypes);

const chargeObjectSchema = z.looseObject({ id: z.string().check(z.minLength(1)), customer: z.nullish(stripeRef) });
const chargeRefSchema = z.looseObject({ charge: z.nullish(stripeRef), customer: z.nullish(stripeRef) });

/**
 * A charge: records whose customer it is (refunds and disputes often name only the charge),
 * applies anything parked while the owner was unknown, and for `charge.refunded` the refunds.
 */
async function recordChargeEvent(deps: ApplyDeps, event: QueuedEvent): Promise<RecordOutcome> {
  const charge = chargeObjectSchema.parse(event.data.object);
  if (!charge.customer) return { outcome: 'ignored', reason: `charge ${charge.id} has no customer` };
  await saveChargeOwner(deps.store, charge.id, charge.customer);
  for (const parked of (await listParkedEvents(deps.store, charge.id)) as QueuedEvent[]) {
    await recordRevenueEvent(deps, parked);
    await deleteParkedEvent(deps.store, charge.id, parked.id);
  }
  if (event.type === 'charge.refunded') {
    const result = await recordRevenueEvent(deps, event);
    return result.outcome === 'ignored' ? result : { ...result, evaluate: true };
  }
  // Evaluated by the caller (the backfill, at its end), though usually nothing changed: parked
  // events applied and deleted here leave nothing for a rerun to find. The processor applies
  // charges with applyChargeEvent instead, fact and evaluation together.
  return { outcome: 'applied', accountId: charge.customer, evaluate: true };
}

/**
 * A charge, as the processor applies it: records its owner, then merges what was parked for it
 * and, for `charge.refunded`, its refunds, each with the account's evaluation in one transaction
 * (mergeAndEvaluate), deleting a parked event only once it is applied. A crash anywhere leaves
 * either the parked event (the redelivery applies it, which changes nothing the second time) or
 * an evaluated account, so a charge that brings no facts evaluates nothing.
 */
async function applyChargeEvent(deps: ApplyDeps, event: QueuedEvent, now: Date): Promise<ApplyOutcome> {
  const charge = chargeObjectSchema.parse(event.data.object);
  if (!charge.customer) return { outcome: 'ignored', reason: `charge ${charge.id} has no customer` };
  const accountId = charge.customer;
  await saveChargeOwner(deps.store, charge.id, accountId);
  let changed = false;
  for (const parked of (await listParkedEvents(deps.store, charge.id)) as QueuedEvent[]) {
    changed = (await mergeAndEvaluate(deps, accountId, revenueObservations(parked, accountId), now, SETTLE)).changed || changed;
    await deleteParkedEvent(deps.store, charge.id, parked.id);
  }
  if (event.type === 'charge.refunded') {
    changed = (await mergeAndEvaluate(deps, accountId, revenueObservations(event, accountId), now, SETTLE)).changed || changed;
  }
  return { outcome: changed ? 'applied' : 'unchanged', accountId };
}

/** Refunds and disputes: facts in the owning account, or parked under the charge until its owner is known. */
async function recordRevenueEvent(deps: ApplyDeps, event: QueuedEvent): Promise<RecordOutcome> {
  const owner = await resolveRevenueOwner(deps, event);
  if ('ignored' in owner) return { outcome: 'ignored', reason: owner.ignored };
  let changed = false;
  for (const obs of revenueObservations(event, owner.customerId)) changed = (await obs.mergeAlone(deps, owner.customerId)) || changed;
  return { outcome: changed ? 'applied' : 'unchanged', accountId: owner.customerId, evaluate: true };
}

/** The account a refund or dispute belongs to; parked under its charge while that is not known. */
async function resolveRevenueOwner(deps: ApplyDeps, event: QueuedEvent): Promise<{ customerId: string } | { ignored: string }> {
  const object = event.data.object;
  const isCharge = object.object === 'charge';
  const ref = chargeRefSchema.parse(object);
  const chargeId = isCharge ? String(object.id) : ref.charge;
  let customerId = ref.customer ?? (chargeId ? await getChargeOwner(deps.store, chargeId) : undefined);
  if (!customerId) {
    if (!chargeId) throw new UnreadableEventError(`event ${event.id}: ${event.type} names neither a customer nor a charge`);
    // Kept 90 days from now (bookkeeping, not a fact): long enough for the charge to arrive.
    await parkEvent(deps.store, chargeId, event, new Date());
    // The charge may have recorded its owner between our read and the park, after listing the
    // parked events: read again (both sides write, then read, so one of them always sees the other).
    customerId = await getChargeOwner(deps.store, chargeId);
    if (!customerId) return { ignored: `owner of charge ${chargeId} not known yet: parked` };
    // Applied here after all; the charge side may apply it too, which changes nothing.
    await deleteParkedEvent(deps.store, chargeId, event.id);
  }
  return { customerId };
}

/** The facts a refund or dispute event carries for its account. */
function revenueObservations(event: QueuedEvent, customerId: string): Observation[] {
  const object = event.data.object;
  if (disputeTypes.has(event.type)) return [observation(disputeFacts, observeDispute(event, object, { customerId }))];
  return observeRefunds(event, object, { customerId }).map((refund) => observation(refundFacts, refund));
}

/**
 * Sets the contract terms Stripe gives now: read the contract on record, then the customer's
 * contract metadata and every Stripe object's latest observation (in that order: a concurrent
 * change that moved the contract also stored what it was computed from before, so this read
 * sees it), compute the terms in force, and put them (a person's terms on record always win;
 * none at all withdraws Stripe's). Redone from the reads when the contract moved meanwhile.
 */
async function refreshStripeContract(deps: ApplyDeps, accountId: string, actor: string): Promise<void> {
  await retryOptimistic(
    async () => {
      const current = await getContract(deps.store, accountId);
      const account = await getAccount(deps.store, accountId);
      const sources = await listContractSources(deps.store, accountId);
      await putStripeContract(deps.store, accountId, current, stripeTerms(deps, accountId, account, sources, actor), actor);
    },
    { isRace: isConcurrentUpdate },
  );
}

/** The Stripe terms in force: from the customer's contract metadata (as stored) and every Stripe object's latest observation. */
function stripeTerms(deps: ApplyDeps, accountId: string, account: AccountRecord | undefined, sources: readonly StripeTermsObject[], actor: string) {
  const metadata = account?.contractMetadata ?? {};
  const version = account?.customerVersion;
  const customer =
    Object.keys(metadata).length > 0 ? { id: accountId, metadata, ...(version ? { version, observedAt: observationInstant(version) } : {}) } : undefined;
  const { contract, warnings } = stripeTermsInForce(sources, customer, deps.policy.timeZone);
  if (warnings.length > 0) logger.warn('contract metadata ignored', { accountId, actor, warnings });
  return contract;
}

/** refreshStripeContract as part of an evaluation round (mergeAndEvaluate), with itself for a round too large to hold it. */
function stripeTermsRefresh(deps: ApplyDeps, accountId: string, actor: string): StripeTermsRefresh {
  return {
    actor,
    terms: (account, sources) => stripeTerms(deps, accountId, account, sources, actor),
    alone: () => refreshStripeContract(deps, accountId, actor),
  };
}

/**
 * `invoice.upcoming` has no id of its own; it names the subscription and (in current API
 * versions) carries the subscription's metadata under `parent.subscription_details`.
 */
function subscriptionOfUpcomingInvoice(invoice: Record<string, unknown>): Record<string, unknown> | undefined {
  const parent = invoice.parent as { subscription_details?: { subscription?: unknown; metadata?: unknown } } | undefined;
  const details = parent?.subscription_details ?? (invoice.subscription_details as { metadata?: unknown } | undefined);
  const subscription = (details as { subscription?: unknown } | undefined)?.subscription ?? invoice.subscription;
  const id = typeof subscription === 'string' ? subscription : (subscription as { id?: string } | undefined)?.id;
  if (!details?.metadata) return undefined;
  return { ...(id ? { id } : {}), metadata: details.metadata };
}
