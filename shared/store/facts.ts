import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from '../zod.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import { isTransactionRace, type Store } from './client.ts';
import { retryOptimistic } from './optimistic.ts';
import { accountPartition } from './keys.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './revision.ts';

/**
 * Mergeable facts (invoices, refunds, disputes): one item per Stripe object in its account's
 * partition, holding the merge of every observation seen. Writes are read-merge-write under a
 * revision condition, in one transaction with the account's `factsRev` bump, so an evaluation
 * knows whether it saw every fact. Merges are commutative, associative and idempotent (the
 * domain modules prove it), so the stored fact does not depend on delivery order.
 */
export interface FactKind<T> {
  /** Sort-key prefix, e.g. `INV#`. */
  prefix: string;
  entity: string;
  schema: z.ZodMiniType<T>;
  idOf: (fact: T) => string;
  merge: (a: T, b: T) => T;
}

export interface StoredFact<T> {
  facts: T;
  rev: number;
}


export function factKey<T>(kind: FactKind<T>, accountId: string, id: string) {
  return { pk: accountPartition(accountId), sk: `${kind.prefix}${id}` };
}

export function factFromItem<T>(kind: FactKind<T>, item: Record<string, unknown>): StoredFact<T> {
  return { facts: kind.schema.parse(item.facts), rev: Number(item.rev) };
}

async function getFactItem<T>(store: Store, kind: FactKind<T>, accountId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: factKey(kind, accountId, id), ConsistentRead: true }));
  return result.Item;
}

/** A fact write an observation needs: the item as it will be stored, and its conditional Put. */
export interface FactWrite {
  sk: string;
  item: Record<string, unknown>;
  put: { Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> } };
}

/**
 * Merges one observation into a fact item (or none), in memory. Returns undefined when the
 * observation adds nothing (a redelivered event); otherwise the write, conditioned on the stored
 * revision `expectedRev`. `storedItem` and `expectedRev` differ when an earlier merge in the same
 * round already changed the item in memory: the merge starts from that item, the condition stays
 * the revision actually stored (undefined: the item does not exist yet).
 */
export function planFactMerge<T>(
  store: Store,
  kind: FactKind<T>,
  accountId: string,
  storedItem: Record<string, unknown> | undefined,
  observed: T,
  /**
   * The stored revision the write is conditioned on: undefined for "no item yet". Required, not a
   * default from `storedItem`: a default parameter would also replace an explicit `undefined`
   * (a fact first created earlier in the same round), conditioning the put on a revision never stored.
   */
  expectedRev: number | undefined,
): FactWrite | undefined {
  const key = factKey(kind, accountId, kind.idOf(observed));
  const stored = storedItem ? factFromItem(kind, storedItem) : undefined;
  const merged = stored ? kind.merge(stored.facts, observed) : observed;
  if (stored && canonicalJson(stored.facts) === canonicalJson(merged)) return undefined;
  const item = { ...key, entity: kind.entity, rev: (expectedRev ?? 0) + 1, facts: merged };
  return {
    sk: key.sk,
    item,
    put: {
      Put: {
        TableName: store.tableName,
        Item: item,
        ConditionExpression: expectedRev !== undefined ? 'rev = :rev' : 'attribute_not_exists(pk)',
        ...(expectedRev !== undefined ? { ExpressionAttributeValues: { ':rev': expectedRev } } : {}),
      },
    },
  };
}

/**
 * Merges one observation into the stored fact. Returns false (and writes nothing) when the
 * observation adds nothing, as for a redelivered event.
 */
export async function mergeFact<T>(store: Store, kind: FactKind<T>, accountId: string, observed: T): Promise<boolean> {
  const id = kind.idOf(observed);
  return retryOptimistic(
    async () => {
      const stored = await getFactItem(store, kind, accountId, id);
      const write = planFactMerge(store, kind, accountId, stored, observed, stored ? Number(stored.rev) : undefined);
      if (!write) return false;
      await store.doc.send(new TransactWriteCommand({ TransactItems: [write.put, factsRevisionBump(store, accountId)] as never }));
      return true;
    },
    { isRace: isTransactionRace, exhausted: (error) => new ConcurrentUpdateError(`${kind.entity} ${id} kept changing while merging`, { cause: error }) },
  );
}
