import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { accountFlagSchema, contractViewSchema, evaluationSummarySchema, type AccountFlag } from '../schemas/accounts.ts';
import { batchGetItems, isConditionFailed, queryAllPages, type Store } from './client.ts';
import { queryIndexItems, queryIndexKeys } from './index-query.ts';
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
  if (stored?.customerVersion !== undefined && stored.customerVersion >= customer.version) return 'stale';
  const directory = accountDirectorySet(accountId);
  const sets = ['accountId = :id', 'entity = :entity', 'deleted = :deleted', 'customerVersion = :v', 'contractMetadata = :meta', directory.clause];
  const values: Record<string, NativeAttributeValue> = {
    ...directory.values,
    ':id': accountId,
    ':entity': 'account',
    ':deleted': customer.deleted,
    ':v': customer.version,
    ':meta': customer.contractMetadata,
  };
  if (customer.name !== undefined) {
    sets.push('#name = :name');
    values[':name'] = customer.name;
  }
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: accountKey(accountId),
        UpdateExpression: `SET ${sets.join(', ')}${customer.name === undefined ? ' REMOVE #name' : ''}`,
        ConditionExpression: 'attribute_not_exists(customerVersion) OR customerVersion < :v',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: values,
      }),
    );
    return 'saved';
  } catch (error) {
    if (isConditionFailed(error)) return 'stale';
    throw error;
  }
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
export async function getAccounts(store: Store, accountIds: readonly string[]): Promise<AccountRecord[]> {
  return (await batchGetItems(store, accountIds.map(accountKey))).map((item) => accountRecordSchema.parse(item));
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
