import type { Policy } from '../config/policy.ts';
import { mergeInvoiceFacts, observeInvoice } from '../domain/invoice.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { Store } from '../store/client.ts';
import { ConcurrentUpdateError, getInvoice, saveCustomerFacts, saveInvoiceFacts } from '../store/account.ts';
import {
  customerEventTypes,
  invoiceEventTypes,
  observationVersion,
  scheduleEventTypes,
  subscriptionEventTypes,
  upcomingInvoiceEventTypes,
  type QueuedEvent,
} from '../stripe/events.ts';
import { contractFromStripe, METADATA_KEYS } from '../domain/contract-terms.ts';
import { getAccount } from '../store/account.ts';
import { offerContract } from '../store/contract.ts';
import { logger } from '../powertools.ts';
import { evaluateAccount } from './evaluate-account.ts';
import { z } from 'zod';

const MAX_MERGE_ATTEMPTS = 8;

export class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
}

export interface ApplyDeps {
  store: Store;
  policy: Policy;
}

export type ApplyOutcome =
  | { outcome: 'applied' | 'unchanged'; accountId: string }
  | { outcome: 'ignored'; reason: string };

const invoiceTypes: ReadonlySet<string> = new Set(invoiceEventTypes);
const customerTypes: ReadonlySet<string> = new Set(customerEventTypes);
const subscriptionTypes: ReadonlySet<string> = new Set(subscriptionEventTypes);
const scheduleTypes: ReadonlySet<string> = new Set(scheduleEventTypes);
const upcomingTypes: ReadonlySet<string> = new Set(upcomingInvoiceEventTypes);
const contractMetadataKeys: readonly string[] = Object.values(METADATA_KEYS);

const stripeRef = z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) }).transform((o) => o.id)]);
const ownedObjectSchema = z.looseObject({ customer: stripeRef });

const customerObjectSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  deleted: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

/**
 * Applies one Stripe event to the stored facts, then re-derives the account's signals.
 * Idempotent and order-independent: facts are merged (never overwritten by an older
 * observation), and signals are recomputed from all facts rather than counted per event.
 */
export async function applyStripeEvent(deps: ApplyDeps, event: QueuedEvent, now: Date): Promise<ApplyOutcome> {
  if (invoiceTypes.has(event.type)) {
    const observed = observeInvoice(event, event.data.object);
    const accountId = observed.customerId;
    const changed = await mergeInvoice(deps.store, accountId, observed);
    await evaluateAccount(deps, accountId, now);
    return { outcome: changed ? 'applied' : 'unchanged', accountId };
  }
  if (customerTypes.has(event.type)) {
    const parsed = customerObjectSchema.safeParse(event.data.object);
    if (!parsed.success) throw new UnreadableEventError(`event ${event.id}: customer object lacks an id`);
    const customer = parsed.data;
    const contractMetadata = Object.fromEntries(
      Object.entries(customer.metadata ?? {}).filter(
        (entry): entry is [string, string] => contractMetadataKeys.includes(entry[0]) && typeof entry[1] === 'string',
      ),
    );
    const result = await saveCustomerFacts(deps.store, customer.id, {
      ...(customer.name ? { name: customer.name } : {}),
      deleted: event.type === 'customer.deleted' || customer.deleted === true,
      contractMetadata,
      version: observationVersion(event),
    });
    if (Object.keys(contractMetadata).length > 0) {
      await offerStripeContract(deps, event, customer.id, { customer: { id: customer.id, metadata: contractMetadata } });
      await evaluateAccount(deps, customer.id, now);
    }
    return { outcome: result === 'saved' ? 'applied' : 'unchanged', accountId: customer.id };
  }
  if (subscriptionTypes.has(event.type) || scheduleTypes.has(event.type) || upcomingTypes.has(event.type)) {
    const owned = ownedObjectSchema.safeParse(event.data.object);
    if (!owned.success) throw new UnreadableEventError(`event ${event.id}: ${event.type} object has no customer`);
    const accountId = owned.data.customer;
    const account = await getAccount(deps.store, accountId);
    const customer = account?.contractMetadata ? { id: accountId, metadata: account.contractMetadata } : undefined;
    const object = event.data.object;
    const sources = subscriptionTypes.has(event.type)
      ? { subscription: object }
      : scheduleTypes.has(event.type)
        ? { schedule: object }
        : { subscription: subscriptionOfUpcomingInvoice(object) };
    const changed = await offerStripeContract(deps, event, accountId, { ...sources, ...(customer ? { customer } : {}) });
    await evaluateAccount(deps, accountId, now);
    return { outcome: changed ? 'applied' : 'unchanged', accountId };
  }
  return { outcome: 'ignored', reason: `event type ${event.type} is not applied` };
}

/** Offers the contract terms Stripe's objects give; a person's terms on record always win. */
async function offerStripeContract(
  deps: ApplyDeps,
  event: QueuedEvent,
  accountId: string,
  objects: { subscription?: unknown; schedule?: unknown; customer?: unknown },
): Promise<boolean> {
  const { contract, warnings } = contractFromStripe({
    ...objects,
    observedAt: new Date(event.created * 1000).toISOString(),
    version: observationVersion(event),
    timeZone: deps.policy.timeZone,
  });
  if (warnings.length > 0) logger.warn('contract metadata ignored', { eventId: event.id, accountId, warnings });
  if (!contract) return false;
  const result = await offerContract(deps.store, accountId, contract, `stripe:${event.id}`);
  return result.outcome === 'changed';
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

/** Read, merge, write-if-unchanged-meanwhile; repeats when another writer got there first. */
async function mergeInvoice(store: Store, accountId: string, observed: ReturnType<typeof observeInvoice>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const stored = await getInvoice(store, accountId, observed.invoiceId);
    const merged = stored ? mergeInvoiceFacts(stored.facts, observed) : observed;
    if (stored && canonicalJson(stored.facts) === canonicalJson(merged)) return false;
    try {
      await saveInvoiceFacts(store, accountId, merged, stored);
      return true;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_MERGE_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
