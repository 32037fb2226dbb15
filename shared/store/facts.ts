import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from '../zod.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import { batchGetItems, isTransactionRace, MAX_TRANSACTION_ITEMS, type Store } from './client.ts';
import { retryOptimistic } from './optimistic.ts';
import { accountPartition } from './keys.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './revision.ts';
import { eachAtOnce } from '../concurrency.ts';

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
  /**
   * Fields that only order observations (which one is newest), read by `merge` and by no rule. A
   * merge that changes nothing else is stored (later merges need it, so the fact stays the same
   * in any delivery order) but is no change of what an evaluation reads: see FactWrite.orderingOnly.
   */
  ordering?: readonly (keyof T & string)[];
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
  /**
   * Only the kind's ordering fields differ from `storedItem` (a `payment_succeeded` after the
   * invoice's `paid`, say): every evaluation of the account is what it was, so the write need not
   * move the account's facts revision nor wait for an evaluation (mergeAndEvaluate).
   */
  orderingOnly: boolean;
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
    orderingOnly: stored !== undefined && canonicalJson(withoutOrdering(kind, stored.facts)) === canonicalJson(withoutOrdering(kind, merged)),
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

function withoutOrdering<T>(kind: FactKind<T>, facts: T): Record<string, unknown> {
  const ordering: readonly string[] = kind.ordering ?? [];
  return Object.fromEntries(Object.entries(facts as Record<string, unknown>).filter(([k]) => !ordering.includes(k)));
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

/** One observation to merge with mergeFacts (made by factMerge, which keeps kind and value together). */
export interface FactMerge<T = unknown> {
  kind: FactKind<T>;
  accountId: string;
  observed: T;
}

export function factMerge<T>(kind: FactKind<T>, accountId: string, observed: T): FactMerge {
  return { kind, accountId, observed } as unknown as FactMerge;
}

/**
 * Merges many observations (the backfill's pages) with a few requests instead of a read and a
 * transaction each: every stored item read in BatchGetItem requests of 100 keys (consistent),
 * merged in memory (observations of one fact in the order given), then written in transactions of
 * up to 100 items, each holding whole accounts' fact writes with one `factsRev` bump per
 * account, under the same conditions as mergeFact. A transaction that loses a race (another
 * writer moved one of its facts, as the webhook's processor may) is redone observation by
 * observation with mergeFact, from fresh reads, so the outcome is the same as merging each alone.
 * Returns, per observation, whether it changed its stored fact.
 */
export async function mergeFacts(store: Store, merges: readonly FactMerge[], options: { concurrency?: number } = {}): Promise<boolean[]> {
  const list = merges;
  const keyOf = (m: FactMerge<unknown>) => factKey(m.kind, m.accountId, m.kind.idOf(m.observed));
  const keys = new Map<string, { pk: string; sk: string }>();
  for (const m of list) {
    const key = keyOf(m);
    keys.set(`${key.pk}|${key.sk}`, key);
  }
  const stored = new Map((await batchGetItems(store, [...keys.values()], { consistent: true })).map((item) => [`${String(item.pk)}|${String(item.sk)}`, item]));
  // In memory: each fact's merged item and the revision its write is conditioned on.
  const planned = new Map<string, { accountId: string; write: FactWrite; expectedRev: number | undefined; members: number[] }>();
  const changed = list.map(() => false);
  list.forEach((m, index) => {
    const key = keyOf(m);
    const id = `${key.pk}|${key.sk}`;
    const earlier = planned.get(id);
    const item = earlier ? earlier.write.item : stored.get(id);
    const expectedRev = earlier ? earlier.expectedRev : item ? Number(item.rev) : undefined;
    const write = planFactMerge(store, m.kind, m.accountId, item, m.observed, expectedRev);
    if (!write) return;
    changed[index] = true;
    planned.set(id, { accountId: m.accountId, write, expectedRev, members: [...(earlier?.members ?? []), index] });
  });
  // Whole accounts per transaction (an account's facts and its one bump), at most 100 items.
  const byAccount = new Map<string, Array<{ write: FactWrite; members: number[] }>>();
  for (const p of planned.values()) {
    const writes = byAccount.get(p.accountId) ?? [];
    writes.push(p);
    byAccount.set(p.accountId, writes);
  }
  const transactions: Array<{ items: unknown[]; members: number[] }> = [];
  let current: { items: unknown[]; members: number[] } = { items: [], members: [] };
  for (const [accountId, writes] of byAccount) {
    for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS - 1) {
      const part = writes.slice(i, i + MAX_TRANSACTION_ITEMS - 1);
      if (current.items.length + part.length + 1 > MAX_TRANSACTION_ITEMS) {
        transactions.push(current);
        current = { items: [], members: [] };
      }
      current.items.push(...part.map((w) => w.write.put), factsRevisionBump(store, accountId));
      current.members.push(...part.flatMap((w) => w.members));
    }
  }
  if (current.items.length > 0) transactions.push(current);
  await eachAtOnce(transactions, options.concurrency ?? 4, async (tx) => {
    try {
      await store.doc.send(new TransactWriteCommand({ TransactItems: tx.items as never }));
    } catch (error) {
      if (!isTransactionRace(error)) throw error;
      // Redone one by one from fresh reads, in the order given.
      for (const index of [...new Set(tx.members)].sort((a, b) => a - b)) {
        const m = list[index]!;
        changed[index] = await mergeFact(store, m.kind, m.accountId, m.observed);
      }
    }
  });
  return changed;
}
