import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { StripeTermsObject, StripeTermsObjectKind } from '../domain/contract-terms.ts';
import { isConditionFailed, queryAllPages, type Store } from './client.ts';

/**
 * The latest observation of each Stripe object that can carry contract terms, one item per
 * object (`~SRC#<kind>#<id>` in the account partition): a subscription, a subscription schedule,
 * or what an upcoming invoice says of its subscription. The Stripe terms in force are recomputed
 * from these (domain `stripeTermsInForce`), so an object that stops carrying terms takes them
 * with it. Holds only the fields terms are read from. Sorted after `~`, like the audit trail:
 * an evaluation reads the contract in force (`CONTRACT`), never these.
 */
export const CONTRACT_SOURCE_SK_PREFIX = '~SRC#';
const sourceKey = (accountId: string, kind: StripeTermsObjectKind, id: string) => ({ pk: `ACCT#${accountId}`, sk: `${CONTRACT_SOURCE_SK_PREFIX}${kind}#${id}` });

const storedSourceSchema = z.object({
  kind: z.enum(['subscription', 'schedule', 'upcoming']),
  id: z.string(),
  version: z.string(),
  observedAt: z.string(),
  fields: z.record(z.string(), z.unknown()),
});

/** Stores an object's observation unless a newer (or the same) one is stored: 'stale' then. */
export async function saveContractSource(store: Store, accountId: string, source: StripeTermsObject): Promise<'saved' | 'stale'> {
  // A redelivered or older observation changes nothing: a read spares the (billed) failed write.
  const key = sourceKey(accountId, source.kind, source.id);
  const stored = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: key, ProjectionExpression: 'version', ConsistentRead: true }));
  if (typeof stored.Item?.version === 'string' && stored.Item.version >= source.version) return 'stale';
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { ...key, entity: 'contract_source', accountId, ...source },
        ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
        ExpressionAttributeValues: { ':v': source.version },
      }),
    );
    return 'saved';
  } catch (error) {
    if (isConditionFailed(error)) return 'stale';
    throw error;
  }
}

/** Every object observation of the account (one Query, paginated). */
export async function listContractSources(store: Store, accountId: string): Promise<StripeTermsObject[]> {
  const items = await queryAllPages(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': `ACCT#${accountId}`, ':prefix': CONTRACT_SOURCE_SK_PREFIX },
    ConsistentRead: true,
  });
  return items.map((item) => storedSourceSchema.parse(item) as StripeTermsObject);
}
