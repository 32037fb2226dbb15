import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { canonicalJson } from '../canonical-json.ts';
import { isTransactionConditionFailed, type Store } from './client.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './account.ts';

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
  schema: z.ZodType<T>;
  idOf: (fact: T) => string;
  merge: (a: T, b: T) => T;
}

export interface StoredFact<T> {
  facts: T;
  rev: number;
}

const MAX_ATTEMPTS = 8;

export function factKey<T>(kind: FactKind<T>, accountId: string, id: string) {
  return { pk: `ACCT#${accountId}`, sk: `${kind.prefix}${id}` };
}

export function factFromItem<T>(kind: FactKind<T>, item: Record<string, unknown>): StoredFact<T> {
  return { facts: kind.schema.parse(item.facts), rev: Number(item.rev) };
}

async function getFact<T>(store: Store, kind: FactKind<T>, accountId: string, id: string): Promise<StoredFact<T> | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: factKey(kind, accountId, id), ConsistentRead: true }));
  return result.Item ? factFromItem(kind, result.Item) : undefined;
}

/**
 * Merges one observation into the stored fact. Returns false (and writes nothing) when the
 * observation adds nothing, as for a redelivered event.
 */
export async function mergeFact<T>(store: Store, kind: FactKind<T>, accountId: string, observed: T): Promise<boolean> {
  const id = kind.idOf(observed);
  for (let attempt = 1; ; attempt++) {
    const stored = await getFact(store, kind, accountId, id);
    const merged = stored ? kind.merge(stored.facts, observed) : observed;
    if (stored && canonicalJson(stored.facts) === canonicalJson(merged)) return false;
    try {
      await store.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: store.tableName,
                Item: { ...factKey(kind, accountId, id), entity: kind.entity, rev: (stored?.rev ?? 0) + 1, facts: merged },
                ConditionExpression: stored ? 'rev = :rev' : 'attribute_not_exists(pk)',
                ...(stored ? { ExpressionAttributeValues: { ':rev': stored.rev } } : {}),
              },
            },
            factsRevisionBump(store, accountId),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!isTransactionConditionFailed(error)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw new ConcurrentUpdateError(`${kind.entity} ${id} kept changing while merging`, { cause: error });
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
