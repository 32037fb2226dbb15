import type { SubscriptionPlans } from '../domain/fixed-costs.ts';
import { looseRefId } from './refs.ts';

/** Subscription statuses in which the customer is on the subscription's plans (billed for them). */
const LIVE_SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set(['active', 'trialing', 'past_due', 'unpaid']);

/** The plan ids a subscription puts its customer on (pure; from the object as Stripe sends it). */
export function subscriptionPlans(subscription: unknown): SubscriptionPlans {
  const object = (subscription ?? {}) as Record<string, unknown>;
  const ids = new Set<string>();
  const addPriced = (priced: unknown) => {
    for (const id of [looseRefId(priced), looseRefId((priced as { product?: unknown } | null)?.product)]) if (id) ids.add(id);
  };
  const items = (object.items as { data?: unknown } | undefined)?.data;
  for (const item of Array.isArray(items) ? items : []) {
    addPriced((item as { price?: unknown } | null)?.price);
    addPriced((item as { plan?: unknown } | null)?.plan);
  }
  addPriced(object.plan);
  const live = object.deleted !== true && typeof object.status === 'string' && LIVE_SUBSCRIPTION_STATUSES.has(object.status);
  return { live, planIds: [...ids].sort() };
}
