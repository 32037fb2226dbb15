import type { Policy } from '../config/policy.ts';
import { mergeInvoiceFacts, observeInvoice } from '../domain/invoice.ts';
import { canonicalJson } from '../store/canonical-json.ts';
import type { Store } from '../store/client.ts';
import { ConcurrentUpdateError, getInvoice, saveCustomerFacts, saveInvoiceFacts } from '../store/account.ts';
import {
  customerEventTypes,
  invoiceEventTypes,
  observationVersion,
  type QueuedEvent,
} from '../stripe/events.ts';
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

const customerObjectSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  deleted: z.boolean().optional(),
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
    const result = await saveCustomerFacts(deps.store, customer.id, {
      ...(customer.name ? { name: customer.name } : {}),
      deleted: event.type === 'customer.deleted' || customer.deleted === true,
      version: observationVersion(event),
    });
    return { outcome: result === 'saved' ? 'applied' : 'unchanged', accountId: customer.id };
  }
  return { outcome: 'ignored', reason: `event type ${event.type} is not applied` };
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
