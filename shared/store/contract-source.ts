import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { StripeTermsObject, StripeTermsObjectKind } from '../stripe/terms-in-force.ts';
import type { SubscriptionPlans } from '../domain/fixed-costs.ts';
import { accountPartition } from './keys.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './revision.ts';
import { batchGetItems, isConditionFailed, isTransactionConditionFailed, queryAllPages, transactThroughConflicts, type Store } from './client.ts';
import { retryOptimistic } from './optimistic.ts';

/**
 * The latest observation of each Stripe object that can carry contract terms, one item per
 * object (`~SRC#<kind>#<id>` in the account partition): a subscription, a subscription schedule,
 * or what an upcoming invoice says of its subscription. The Stripe terms in force are recomputed
 * from these (domain `stripeTermsInForce`), so an object that stops carrying terms takes them
 * with it. Holds only the fields terms are read from. Sorted after `~`, like the audit trail:
 * an evaluation reads the contract in force (`CONTRACT`), never these.
 */
export const CONTRACT_SOURCE_SK_PREFIX = '~SRC#';
const sourceKey = (accountId: string, kind: StripeTermsObjectKind, id: string) => ({
  pk: accountPartition(accountId),
  sk: `${CONTRACT_SOURCE_SK_PREFIX}${kind}#${id}`,
});

const storedSourceSchema = z.object({
  kind: z.enum(['subscription', 'schedule', 'upcoming']),
  id: z.string(),
  version: z.string(),
  observedAt: z.string(),
  fields: z.record(z.string(), z.unknown()),
});

/**
 * A subscription's plans as a fact of the account (`PLANS#<subscriptionId>`, before `~`, so the
 * evaluation's one partition read sees it): which price, product and plan ids the customer is on
 * while the subscription is live, for the policy's fixed monthly costs by plan.
 */
export const SUBSCRIPTION_PLANS_SK_PREFIX = 'PLANS#';
const plansKey = (accountId: string, subscriptionId: string) => ({ pk: accountPartition(accountId), sk: `${SUBSCRIPTION_PLANS_SK_PREFIX}${subscriptionId}` });

const storedPlansSchema = z.object({ subscriptionId: z.string(), live: z.boolean(), planIds: z.array(z.string()) });
export type StoredSubscriptionPlans = z.infer<typeof storedPlansSchema>;

export function subscriptionPlansFromItem(item: Record<string, unknown>): StoredSubscriptionPlans {
  return storedPlansSchema.parse(item);
}

/**
 * Stores an object's observation unless a newer (or the same) one is stored: 'stale' then. A
 * subscription's `plans` go in the same transaction, so they follow the same latest-observation
 * order; only when they differ from the stored ones does the account's facts revision move on
 * (they are a fact of its profitability, and an evaluation must see them), so an update that
 * keeps the plans (a rename, say) does not make the account's evaluation stale. The plans
 * item is conditioned on the version read, so a concurrent observation that changed them makes
 * this one read again rather than put old plans back without moving the revision.
 */
export async function saveContractSource(store: Store, accountId: string, source: StripeTermsObject, plans?: SubscriptionPlans): Promise<'saved' | 'stale'> {
  const key = sourceKey(accountId, source.kind, source.id);
  const put = {
    TableName: store.tableName,
    Item: { ...key, entity: 'contract_source', accountId, ...source },
    ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
    ExpressionAttributeValues: { ':v': source.version },
  };
  return retryOptimistic(
    async (): Promise<'saved' | 'stale'> => {
      // A redelivered or older observation changes nothing: a read spares the (billed) failed write.
      // The observation and a subscription's plans as stored, in one consistent request.
      const plansAt = plansKey(accountId, source.id);
      const stored = await batchGetItems(store, plans ? [key, plansAt] : [key], { consistent: true });
      const storedSource = stored.find((item) => item.sk === key.sk);
      const storedPlans = plans ? stored.find((item) => item.sk === plansAt.sk) : undefined;
      if (typeof storedSource?.version === 'string' && storedSource.version >= source.version) return 'stale';
      try {
        if (!plans) {
          await store.doc.send(new PutCommand(put));
          return 'saved';
        }
        const before = storedPlans ? subscriptionPlansFromItem(storedPlans) : undefined;
        const changed = !before || before.live !== plans.live || before.planIds.join(' ') !== plans.planIds.join(' ');
        await transactThroughConflicts(store, {
          TransactItems: [
            { Put: put },
            {
              Put: {
                TableName: store.tableName,
                Item: {
                  ...plansAt,
                  entity: 'subscription_plans',
                  accountId,
                  subscriptionId: source.id,
                  version: source.version,
                  ...plans,
                },
                ...(storedPlans
                  ? { ConditionExpression: 'version = :pv', ExpressionAttributeValues: { ':pv': storedPlans.version } }
                  : { ConditionExpression: 'attribute_not_exists(pk)' }),
              },
            },
            ...(changed ? [factsRevisionBump(store, accountId)] : []),
          ],
        });
        return 'saved';
      } catch (error) {
        if (isConditionFailed(error)) return 'stale';
        // The observation's own condition failed (a newer one is stored): stale. The plans' failed:
        // another observation changed them since the read: read again.
        const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        if (isTransactionConditionFailed(error) && reasons[0]?.Code === 'ConditionalCheckFailed') return 'stale';
        throw error;
      }
    },
    {
      isRace: isTransactionConditionFailed,
      exhausted: (error) => new ConcurrentUpdateError(`subscription ${source.id}: its plans kept changing while saving`, { cause: error }),
    },
  );
}

/** Every object observation of the account (one Query, paginated). */
export async function listContractSources(store: Store, accountId: string): Promise<StripeTermsObject[]> {
  const items = await queryAllPages(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': CONTRACT_SOURCE_SK_PREFIX },
    ConsistentRead: true,
  });
  return items.map((item) => storedSourceSchema.parse(item) as StripeTermsObject);
}
