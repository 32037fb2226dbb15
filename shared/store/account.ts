import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { accountFlagSchema, contractViewSchema, evaluationSummarySchema, type AccountFlag } from '../schemas/accounts.ts';
import { batchGetItems, isConditionFailed, isTransactionRace, MAX_TRANSACTION_ITEMS, queryAllPages, type Store } from './client.ts';
import { queryIndexItems, queryIndexKeys } from './index-query.ts';
import type { AccountItemChange } from './evaluation.ts';
import { accountDirectorySet, accountIdOfPartition, accountKey, accountPartition, ACCOUNT_SK, HISTORY_SK_FROM } from './keys.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { flagIndexKey, RENEWALS_INDEX_PK } from './evaluation.ts';
import { invoiceFacts, type StoredInvoice } from './invoice.ts';
import { factFromItem } from './facts.ts';
import { disputeFacts, refundFacts } from './revenue.ts';
import { COST_SK_PREFIX, costFromItem } from './cost.ts';
import type { DisputeFact, RefundFact } from '../domain/revenue.ts';
import type { CostEntry } from '../domain/cost.ts';
import { CONTRACT_SK, contractFromItem, type StoredContract } from './contract.ts';
import { SUBSCRIPTION_PLANS_SK_PREFIX, subscriptionPlansFromItem, type StoredSubscriptionPlans } from './contract-source.ts';
import { TASK_SK_PREFIX, taskFromItem, type StoredTask } from './task.ts';
import { OVERRIDES_SK, overridesFromItem, SIGNAL_SK_PREFIX, signalFromItem } from './account-inputs.ts';
import type { HumanSignal, Overrides } from '../domain/account-inputs.ts';

/**
 * The account entity and its partition, at the top of the store: the account item (the
 * customer's name and contract metadata, the last evaluation: see evaluation.ts), the lists
 * over it, and the one Query that reads the partition (account item and every fact entity).
 * Nothing in the store imports this module.
 */

// Kept importable from here: these moved below the entities (keys.ts, revision.ts,
// evaluation.ts) or to the schemas, so entities no longer import this module back.
export { accountKey } from './keys.ts';
export { ConcurrentUpdateError, factsRevisionBump } from './revision.ts';
export { accountFlagSchema, type AccountFlag } from '../schemas/accounts.ts';
export {
  deferEvaluation,
  evaluationSchema,
  type AccountItemChange,
  evaluationWrite,
  listAccountsDueForEvaluation,
  saveEvaluation,
  saveEvaluations,
  type Evaluation,
  type EvaluationWrite,
} from './evaluation.ts';

/**
 * The summary as stored: one written before a change of its shape reads as none (and a contract
 * view of an older shape as no contract) until the next evaluation rewrites it, so lists never
 * fail on an old item.
 */
const storedSummarySchema = z.catch(z.optional(z.extend(evaluationSummarySchema, { contract: z.catch(z.optional(contractViewSchema), undefined) })), undefined);

/** The stored account item, as read back. */
export const accountRecordSchema = z.object({
  accountId: z.string(),
  name: z.optional(z.string()),
  deleted: z.optional(z.boolean()),
  customerVersion: z.optional(z.string()),
  /**
   * Bumped in the same transaction as every fact write that changes what an evaluation reads (not
   * one that only moves a fact's ordering `version`): an evaluation is current only if it saw this revision.
   */
  factsRev: z._default(z.number().check(z.int()), 0),
  evaluatedRev: z.optional(z.number().check(z.int())),
  flags: z._default(z.array(accountFlagSchema), []),
  flagSince: z._default(z.record(z.string(), z.string()), {}),
  /** Renewal reminders sent or skipped, `<termEnd>#<offset>` (see domain/reminders.ts). */
  remindersSent: z._default(z.array(z.string()), []),
  /** Contract metadata keys from the Stripe customer (a contract-terms source). */
  contractMetadata: z.optional(z.record(z.string(), z.string())),
  /** The evaluation's summary, stored so lists need no recomputation. */
  summary: storedSummarySchema,
  evaluatedAt: z.optional(z.string()),
  nextEvalAt: z.optional(z.string()),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;

export async function getAccount(store: Store, accountId: string): Promise<AccountRecord | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: accountKey(accountId), ConsistentRead: true }));
  return result.Item ? accountRecordSchema.parse(result.Item) : undefined;
}

/** Everything an evaluation reads besides the account item, in one paginated Query of the partition. */
export interface AccountFacts {
  invoices: StoredInvoice[];
  refunds: RefundFact[];
  disputes: DisputeFact[];
  costs: CostEntry[];
  contract?: StoredContract;
  tasks: StoredTask[];
  signals: HumanSignal[];
  overrides?: Overrides;
  /** Each Stripe subscription's plans (for fixed monthly costs by plan). */
  subscriptionPlans: StoredSubscriptionPlans[];
}

/**
 * What one Query of an account's partition gives: the account item and every item before `~`
 * (facts, tasks, slots, flags) by sort key, in key order. One request, so an event can be merged
 * and evaluated from a single read; `ACCOUNT` sorts before every fact prefix, so its `factsRev`
 * is read no later than the facts (as a separate read before them would be).
 */
export interface AccountPartition {
  account?: AccountRecord;
  items: Map<string, Record<string, unknown>>;
}

export async function loadAccountPartition(store: Store, accountId: string): Promise<AccountPartition> {
  const items = new Map<string, Record<string, unknown>>();
  let account: AccountRecord | undefined;
  const read = await queryAllPages(store, {
    // Facts sort before `~`; the audit trail and the notification outbox (`~…`) grow without
    // bound and play no part in an evaluation, so the read stops short of them.
    KeyConditionExpression: 'pk = :pk AND sk < :history',
    ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':history': HISTORY_SK_FROM },
    ConsistentRead: true,
  });
  for (const item of read) {
    const sk = String(item.sk);
    if (sk === ACCOUNT_SK) account = accountRecordSchema.parse(item);
    else items.set(sk, item);
  }
  return account ? { account, items } : { items };
}

/** The facts an evaluation reads, from a partition's items (see loadAccountPartition). */
export function accountFactsFromItems(items: Iterable<Record<string, unknown>>): AccountFacts {
  const facts: AccountFacts = { invoices: [], refunds: [], disputes: [], costs: [], tasks: [], signals: [], subscriptionPlans: [] };
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith(invoiceFacts.prefix)) facts.invoices.push(factFromItem(invoiceFacts, item));
    else if (sk.startsWith(refundFacts.prefix)) facts.refunds.push(factFromItem(refundFacts, item).facts);
    else if (sk.startsWith(disputeFacts.prefix)) facts.disputes.push(factFromItem(disputeFacts, item).facts);
    else if (sk.startsWith(COST_SK_PREFIX)) facts.costs.push(costFromItem(item));
    else if (sk === CONTRACT_SK) facts.contract = contractFromItem(item);
    else if (sk.startsWith(TASK_SK_PREFIX)) facts.tasks.push(taskFromItem(item));
    else if (sk.startsWith(SIGNAL_SK_PREFIX)) facts.signals.push(signalFromItem(item));
    else if (sk === OVERRIDES_SK) facts.overrides = overridesFromItem(item);
    else if (sk.startsWith(SUBSCRIPTION_PLANS_SK_PREFIX)) facts.subscriptionPlans.push(subscriptionPlansFromItem(item));
  }
  return facts;
}

export async function loadAccountFacts(store: Store, accountId: string): Promise<AccountFacts> {
  return accountFactsFromItems((await loadAccountPartition(store, accountId)).items.values());
}

export interface CustomerFacts {
  name?: string;
  deleted: boolean;
  /** The customer's contract metadata keys (a contract-terms source), nothing else of its metadata. */
  contractMetadata: Record<string, string>;
  /** Sortable observation order (event created + id): an older event never overwrites a newer one. */
  version: string;
}

/** Records the customer's name, deletion and contract metadata, unless a newer observation is stored. */
export async function saveCustomerFacts(store: Store, accountId: string, customer: CustomerFacts): Promise<'saved' | 'stale'> {
  // A redelivered or older customer event changes nothing: a read spares the (billed) failed write.
  const stored = await getAccount(store, accountId);
  if (isStaleCustomer(stored, customer)) return 'stale';
  try {
    await store.doc.send(new UpdateCommand(customerFactsUpdate(store, accountId, customer)));
    return 'saved';
  } catch (error) {
    if (isConditionFailed(error)) return 'stale';
    throw error;
  }
}

export function isStaleCustomer(stored: AccountRecord | undefined, customer: CustomerFacts): boolean {
  return stored?.customerVersion !== undefined && stored.customerVersion >= customer.version;
}

/** A customer observation's fields of the account item, as SET and REMOVE clauses. */
function customerFields(customer: CustomerFacts): Omit<AccountItemChange, 'condition'> {
  const set = ['deleted = :deleted', 'customerVersion = :v', 'contractMetadata = :meta'];
  const values: Record<string, NativeAttributeValue> = { ':deleted': customer.deleted, ':v': customer.version, ':meta': customer.contractMetadata };
  if (customer.name !== undefined) {
    set.push('#name = :name');
    values[':name'] = customer.name;
  }
  return { set, remove: customer.name === undefined ? ['#name'] : [], names: { '#name': 'name' }, values };
}

/**
 * A customer observation as a change of the account item, made from the account as read
 * (`readVersion`: its customer version, none when it had none): it holds only while that is still
 * the stored one, so a customer write that got in between sends the caller back to read again,
 * and what the caller decided from the customer as read (whether the Stripe terms can move) stays true.
 */
export function customerFactsChange(customer: CustomerFacts, readVersion: string | undefined): AccountItemChange {
  const fields = customerFields(customer);
  const guard = customerVersionGuard(readVersion);
  return { ...fields, values: { ...fields.values, ...guard.values }, condition: guard.condition };
}

/**
 * The account item's customer version as read, as a condition of a write made from it (see
 * customerFactsChange): a write that sets nothing of the customer, only holds while it is the stored one.
 */
export function customerVersionGuard(readVersion: string | undefined): AccountItemChange {
  return readVersion === undefined
    ? { set: [], remove: [], names: {}, values: {}, condition: 'attribute_not_exists(customerVersion)' }
    : { set: [], remove: [], names: {}, values: { ':readV': readVersion }, condition: 'customerVersion = :readV' };
}

/** customerVersionGuard as a transaction item of its own, for a write that does not update the account item. */
export function accountConditionCheck(store: Store, accountId: string, guard: AccountItemChange): Record<string, unknown> {
  return {
    ConditionCheck: {
      TableName: store.tableName,
      Key: accountKey(accountId),
      ConditionExpression: guard.condition,
      ...(Object.keys(guard.values).length > 0 ? { ExpressionAttributeValues: guard.values } : {}),
    },
  };
}

/**
 * The update that stores a customer observation alone (see saveCustomerFacts), under the condition
 * that no newer one is stored, or `change`'s condition (customerFactsChange).
 */
export function customerFactsUpdate(store: Store, accountId: string, customer: CustomerFacts, change?: AccountItemChange): UpdateCommandInput {
  const directory = accountDirectorySet(accountId);
  const fields = change ?? customerFields(customer);
  return {
    TableName: store.tableName,
    Key: accountKey(accountId),
    UpdateExpression: `SET ${['accountId = :id', 'entity = :entity', directory.clause, ...fields.set].join(', ')}${fields.remove.length > 0 ? ` REMOVE ${fields.remove.join(', ')}` : ''}`,
    ConditionExpression: change?.condition ?? 'attribute_not_exists(customerVersion) OR customerVersion < :v',
    ExpressionAttributeNames: fields.names,
    ExpressionAttributeValues: { ...directory.values, ':id': accountId, ':entity': 'account', ...fields.values },
  };
}

/** A customer observation saved with saveCustomerFactsMany: its outcome, and the account item read before. */
export interface CustomerSave {
  outcome: 'saved' | 'stale';
  /** The account as read before the save (consistent), if it existed. */
  before?: AccountRecord;
}

/**
 * Saves many customers' observations (the backfill's pages) with a few requests instead of a read
 * and an update each: the account items read in consistent BatchGetItem requests of 100, the stale
 * observations dropped, the rest written in transactions of up to 100 updates under the same
 * condition as saveCustomerFacts. A transaction refused as a whole (another writer stored a newer
 * observation of one of its customers meanwhile, or held one of its items) is redone customer by
 * customer with saveCustomerFacts, so each gets the outcome it would have had alone. The same
 * customer given twice is saved a second time on its own, after the rest.
 */
export async function saveCustomerFactsMany(store: Store, customers: ReadonlyArray<{ accountId: string; customer: CustomerFacts }>): Promise<CustomerSave[]> {
  const before = new Map((await getAccounts(store, [...new Set(customers.map((c) => c.accountId))], { consistent: true })).map((a) => [a.accountId, a]));
  const results: CustomerSave[] = customers.map((c) => {
    const stored = before.get(c.accountId);
    return { outcome: 'stale', ...(stored ? { before: stored } : {}) };
  });
  const first = new Set<string>();
  const writes: number[] = [];
  const again: number[] = [];
  customers.forEach((c, index) => {
    if (first.has(c.accountId)) again.push(index);
    else if (!isStaleCustomer(before.get(c.accountId), c.customer)) {
      first.add(c.accountId);
      writes.push(index);
    }
  });
  for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS) {
    const part = writes.slice(i, i + MAX_TRANSACTION_ITEMS);
    const updates = part.map((index) => customerFactsUpdate(store, customers[index]!.accountId, customers[index]!.customer));
    try {
      if (updates.length === 1) await store.doc.send(new UpdateCommand(updates[0]!));
      else await store.doc.send(new TransactWriteCommand({ TransactItems: updates.map((Update) => ({ Update })) as never }));
      for (const index of part) results[index]!.outcome = 'saved';
    } catch (error) {
      if (!(isConditionFailed(error) || isTransactionRace(error))) throw error;
      for (const index of part) results[index]!.outcome = await saveCustomerFacts(store, customers[index]!.accountId, customers[index]!.customer);
    }
  }
  for (const index of again) results[index]!.outcome = await saveCustomerFacts(store, customers[index]!.accountId, customers[index]!.customer);
  return results;
}

/** One page of the accounts carrying `flag`, in account-id order. */
export async function listAccountsByFlag(
  store: Store,
  flag: AccountFlag,
  page: { limit: number; cursor?: string },
): Promise<{ items: AccountRecord[]; nextCursor?: string }> {
  const indexPk = flagIndexKey('', flag).gsi1pk;
  // The entries are the flag membership items, in the account's partition: its key names the account.
  const result = await queryIndexKeys(store, {
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': indexPk },
    Limit: page.limit,
    ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'gsi1pk', value: indexPk }),
  });
  const items = await getAccounts(
    store,
    result.items.map((entry) => accountIdOfPartition(entry.pk)),
  );
  const nextCursor = encodeCursor(result.lastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}

/** Account items by id, in the order given, those that exist (BatchGet, retrying unprocessed keys). */
export async function getAccounts(store: Store, accountIds: readonly string[], options: { consistent?: boolean } = {}): Promise<AccountRecord[]> {
  return (await batchGetItems(store, accountIds.map(accountKey), options)).map((item) => accountRecordSchema.parse(item));
}

/**
 * One page of the accounts whose upcoming notice deadline falls between the calendar days
 * `from` and `to` (both included), by deadline: the renewals index, kept current by every
 * evaluation (an account whose deadline passed leaves it).
 */
export async function listAccountsByNoticeDeadline(
  store: Store,
  window: { from: string; to: string },
  page: { limit: number; cursor?: string },
): Promise<{ items: AccountRecord[]; nextCursor?: string }> {
  const result = await queryIndexItems(store, {
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': RENEWALS_INDEX_PK, ':from': window.from, ':to': `${window.to}#\uffff` },
    Limit: page.limit,
    ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'gsi1pk', value: RENEWALS_INDEX_PK }),
  });
  const items = result.items.map((item) => accountRecordSchema.parse(item));
  const nextCursor = encodeCursor(result.lastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
