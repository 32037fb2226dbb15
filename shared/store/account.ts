import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandOutput, NativeAttributeValue, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { ConflictError } from '../errors.ts';
import { isConditionFailed, isTransactionRace, queryAllPages, type Store } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { queryDueDay } from './due-index.ts';
import { invoiceFacts, type StoredInvoice } from './invoice.ts';
import { factFromItem } from './facts.ts';
import { disputeFacts, refundFacts } from './revenue.ts';
import { COST_SK_PREFIX, costFromItem } from './cost.ts';
import type { DisputeFact, RefundFact } from '../domain/revenue.ts';
import type { CostEntry } from '../domain/cost.ts';
import { contractFromItem, type StoredContract } from './contract.ts';
import { SUBSCRIPTION_PLANS_SK_PREFIX, subscriptionPlansFromItem, type StoredSubscriptionPlans } from './contract-source.ts';
import { TASK_SK_PREFIX, taskFromItem, type StoredTask } from './task.ts';
import { overridesFromItem, SIGNAL_SK_PREFIX, signalFromItem } from './account-inputs.ts';
import type { HumanSignal, Overrides } from '../domain/account-inputs.ts';

/**
 * The account entity: one item (`ACCOUNT`) holding the customer's name and the last
 * evaluation, plus one membership item per flag (`FLAG#…`) so `GET /accounts?flag=` is a
 * Query on gsi1. Invoice facts share the partition (see invoice.ts).
 */
const partition = (accountId: string) => `ACCT#${accountId}`;
export const accountKey = (accountId: string) => ({ pk: partition(accountId), sk: 'ACCOUNT' });
const flagKey = (accountId: string, flag: string) => ({ pk: partition(accountId), sk: `FLAG#${flag}` });
const flagIndexKey = (accountId: string, flag: string) => ({ gsi1pk: `FLAG#${flag}`, gsi1sk: partition(accountId) });
/** Re-evaluation index: accounts whose signals change with time alone, keyed by UTC day. */
const evalIndexKey = (accountId: string, at: string) => ({ gsi2pk: `EVAL#${at.slice(0, 10)}`, gsi2sk: `${at}#${accountId}` });

export const accountFlagSchema = z.enum(['late_payer', 'unprofitable', 'disputes']);
export type AccountFlag = z.infer<typeof accountFlagSchema>;

/**
 * The transaction item every fact write carries: bumps the account's facts revision (creating
 * the account if new), so an evaluation can tell whether it saw every fact.
 */
export function factsRevisionBump(store: Store, accountId: string) {
  return {
    Update: {
      TableName: store.tableName,
      Key: accountKey(accountId),
      UpdateExpression: 'SET accountId = :id, entity = :entity ADD factsRev :one',
      ExpressionAttributeValues: { ':id': accountId, ':entity': 'account', ':one': 1 },
    },
  };
}

/**
 * Another writer got in between a read and the write that depended on it. Callers redo from a
 * fresh read (bounded); when it is still thrown after that, a person's request answers 409 and an
 * event goes back to SQS. Each write is one transaction, so nothing is half-written; when a
 * person's write went in and only the evaluation after it kept losing, the write stands, the
 * request succeeds with the evaluation pending (evaluateAfterWrite), and the next evaluation of the
 * account (the winning writers', the sweep's) includes it.
 */
export class ConcurrentUpdateError extends ConflictError {
  override readonly name = 'ConcurrentUpdateError';
}

/** The stored account item, as read back. */
export const accountRecordSchema = z.object({
  accountId: z.string(),
  name: z.optional(z.string()),
  deleted: z.optional(z.boolean()),
  customerVersion: z.optional(z.string()),
  /** Bumped in the same transaction as every fact write: an evaluation is current only if it saw this revision. */
  factsRev: z._default(z.number().check(z.int()), 0),
  evaluatedRev: z.optional(z.number().check(z.int())),
  flags: z._default(z.array(accountFlagSchema), []),
  flagSince: z._default(z.record(z.string(), z.string()), {}),
  /** Renewal reminders sent or skipped, `<termEnd>#<offset>` (see domain/reminders.ts). */
  remindersSent: z._default(z.array(z.string()), []),
  /** Contract metadata keys from the Stripe customer (a contract-terms source). */
  contractMetadata: z.optional(z.record(z.string(), z.string())),
  /** The evaluation's summary, stored so lists need no recomputation. */
  summary: z.optional(z.record(z.string(), z.unknown())),
  evaluatedAt: z.optional(z.string()),
  nextEvalAt: z.optional(z.string()),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;

export async function getAccount(store: Store, accountId: string): Promise<AccountRecord | undefined> {
  const result = await store.doc.send(
    new GetCommand({ TableName: store.tableName, Key: accountKey(accountId), ConsistentRead: true }),
  );
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
    ExpressionAttributeValues: { ':pk': partition(accountId), ':history': '~' },
    ConsistentRead: true,
  });
  for (const item of read) {
    const sk = String(item.sk);
    if (sk === 'ACCOUNT') account = accountRecordSchema.parse(item);
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
    else if (sk === 'CONTRACT') facts.contract = contractFromItem(item);
    else if (sk.startsWith(TASK_SK_PREFIX)) facts.tasks.push(taskFromItem(item));
    else if (sk.startsWith(SIGNAL_SK_PREFIX)) facts.signals.push(signalFromItem(item));
    else if (sk === 'OVERRIDES') facts.overrides = overridesFromItem(item);
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
  const sets = ['accountId = :id', 'entity = :entity', 'deleted = :deleted', 'customerVersion = :v', 'contractMetadata = :meta'];
  const values: Record<string, NativeAttributeValue> = {
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

export interface Evaluation {
  flags: AccountFlag[];
  /** When each flag was first raised (kept while it holds). */
  flagSince: Partial<Record<AccountFlag, string>>;
  remindersSent?: string[];
  summary: Record<string, unknown>;
  evaluatedAt: string;
  nextEvalAt?: string;
  /** The upcoming notice deadline, for the renewals list (gsi1 `RENEWALS`). */
  renewal?: { noticeDeadline: string };
}

/**
 * Stores an evaluation made from facts at revision `factsRev`, with the flag memberships it
 * implies, atomically. Refused (ConcurrentUpdateError) when facts changed since: the caller
 * evaluates again, so a slow evaluation never overwrites a newer one. Arguments: see evaluationWrite.
 */
export async function saveEvaluation(...args: Parameters<typeof evaluationWrite>): Promise<void> {
  await saveEvaluations(args[0], [evaluationWrite(...args)]);
}

/** One account's evaluation as transaction items (the account update first); see saveEvaluation. */
export interface EvaluationWrite {
  accountId: string;
  items: Array<Record<string, unknown>>;
}

/** The writes saveEvaluation makes, without making them (so several accounts can share a transaction). */
export function evaluationWrite(
  store: Store,
  accountId: string,
  factsRev: number,
  previousFlags: readonly AccountFlag[],
  evaluation: Evaluation,
  /** Further writes that must commit with this evaluation or not at all (review changes). */
  extraItems: ReadonlyArray<Record<string, unknown>> = [],
  /**
   * Fact writes (transaction items) this evaluation already includes: they commit with it, and
   * the account's facts revision moves from `factsRev` to `factsRev + 1`, evaluated at that.
   */
  factItems: ReadonlyArray<Record<string, unknown>> = [],
): EvaluationWrite {
  const bump = factItems.length > 0;
  const names: Record<string, string> = { '#flags': 'flags', '#summary': 'summary' };
  const values: Record<string, NativeAttributeValue> = {
    ':id': accountId,
    ':entity': 'account',
    ':flags': evaluation.flags,
    ':since': evaluation.flagSince,
    ':reminders': evaluation.remindersSent ?? [],
    ':summary': evaluation.summary,
    ':at': evaluation.evaluatedAt,
    ':rev': factsRev,
    ...(bump ? { ':next': factsRev + 1 } : {}),
  };
  let update = `SET accountId = :id, entity = :entity, #flags = :flags, flagSince = :since, remindersSent = :reminders, #summary = :summary, evaluatedAt = :at, ${bump ? 'factsRev = :next, evaluatedRev = :next' : 'evaluatedRev = :rev'}`;
  if (evaluation.renewal) {
    update += ', gsi1pk = :g1pk, gsi1sk = :g1sk';
    Object.assign(values, { ':g1pk': 'RENEWALS', ':g1sk': `${evaluation.renewal.noticeDeadline}#${accountId}` });
  }
  const removals = evaluation.renewal ? [] : ['gsi1pk', 'gsi1sk'];
  if (evaluation.nextEvalAt) {
    const idx = evalIndexKey(accountId, evaluation.nextEvalAt);
    update += ', nextEvalAt = :nextEval, gsi2pk = :g2pk, gsi2sk = :g2sk';
    Object.assign(values, { ':nextEval': evaluation.nextEvalAt, ':g2pk': idx.gsi2pk, ':g2sk': idx.gsi2sk });
  } else {
    removals.push('nextEvalAt', 'gsi2pk', 'gsi2sk');
  }
  if (removals.length > 0) update += ` REMOVE ${removals.join(', ')}`;
  const condition = factsRev === 0 ? 'attribute_not_exists(factsRev) OR factsRev = :rev' : 'factsRev = :rev';
  const accountUpdate = {
    TableName: store.tableName,
    Key: accountKey(accountId),
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  const { added, removed } = flagChanges(previousFlags, evaluation.flags);
  return {
    accountId,
    items: [
      { Update: accountUpdate },
      ...added.map((flag) => ({
        Put: {
          TableName: store.tableName,
          Item: { ...flagKey(accountId, flag), ...flagIndexKey(accountId, flag), entity: 'account_flag', accountId, flag, since: evaluation.evaluatedAt },
        },
      })),
      ...removed.map((flag) => ({ Delete: { TableName: store.tableName, Key: flagKey(accountId, flag) } })),
      ...extraItems,
      ...factItems,
    ],
  };
}

/**
 * Commits evaluations of distinct accounts in one request: a lone account update is an
 * UpdateItem, anything more one transaction (at most MAX_TRANSACTION_ITEMS items; the caller
 * splits). All or nothing: ConcurrentUpdateError when any account's facts changed since its read
 * (or another transaction held its items), and the caller redoes each from a fresh read.
 */
export async function saveEvaluations(store: Store, writes: readonly EvaluationWrite[]): Promise<void> {
  const items = writes.flatMap((w) => w.items);
  try {
    if (items.length === 1) {
      await store.doc.send(new UpdateCommand((items[0] as { Update: UpdateCommandInput }).Update));
      return;
    }
    await store.doc.send(new TransactWriteCommand({ TransactItems: items as never }));
  } catch (error) {
    if (isConditionFailed(error) || isTransactionRace(error)) {
      const ids = writes.map((w) => w.accountId).join(', ');
      throw new ConcurrentUpdateError(`account ${ids}: facts changed during evaluation`, { cause: error });
    }
    throw error;
  }
}

/** The flag entries an evaluation adds and deletes. */
function flagChanges(previous: readonly AccountFlag[], next: readonly AccountFlag[]): { added: AccountFlag[]; removed: AccountFlag[] } {
  return { added: next.filter((f) => !previous.includes(f)), removed: previous.filter((f) => !next.includes(f)) };
}

/** One page of the accounts carrying `flag`, in account-id order. */
export async function listAccountsByFlag(
  store: Store,
  flag: AccountFlag,
  page: { limit: number; cursor?: string },
): Promise<{ items: AccountRecord[]; nextCursor?: string }> {
  const indexPk = flagIndexKey('', flag).gsi1pk;
  const result = await store.doc.send(
    new QueryCommand({
      TableName: store.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': indexPk },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'gsi1pk', value: indexPk }),
    }),
  );
  const ids = (result.Items ?? []).map((item) => String(item.accountId));
  const items = await getAccounts(store, ids);
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}

/** Account items by id, in the order given (BatchGet, retrying unprocessed keys). */
export async function getAccounts(store: Store, accountIds: readonly string[]): Promise<AccountRecord[]> {
  const found = new Map<string, AccountRecord>();
  for (let i = 0; i < accountIds.length; i += 100) {
    let keys: Array<Record<string, NativeAttributeValue>> | undefined = accountIds.slice(i, i + 100).map(accountKey);
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const result: BatchGetCommandOutput = await store.doc.send(new BatchGetCommand({ RequestItems: { [store.tableName]: { Keys: keys } } }));
      for (const item of result.Responses?.[store.tableName] ?? []) {
        const record = accountRecordSchema.parse(item);
        found.set(record.accountId, record);
      }
      keys = result.UnprocessedKeys?.[store.tableName]?.Keys;
    }
  }
  return accountIds.flatMap((id) => {
    const record = found.get(id);
    return record ? [record] : [];
  });
}

/** Accounts whose re-evaluation time fell on `day` (UTC YYYY-MM-DD) and is at or before `until`. */
/**
 * Moves an account whose re-evaluation failed to the due-work index at `retryAt`, so a later
 * sweep tries it again without holding back the days behind it (for every other account). Only
 * the index moves: the evaluation and its revision are untouched, an evaluation that succeeds
 * meanwhile sets its own next time, and a retry that comes early is an evaluation like any other.
 */
export async function deferEvaluation(store: Store, accountId: string, retryAt: string): Promise<void> {
  const idx = evalIndexKey(accountId, retryAt);
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: accountKey(accountId),
      UpdateExpression: 'SET nextEvalAt = :at, gsi2pk = :g2pk, gsi2sk = :g2sk',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': retryAt, ':g2pk': idx.gsi2pk, ':g2sk': idx.gsi2sk },
    }),
  );
}

export async function listAccountsDueForEvaluation(store: Store, day: string, until: string): Promise<string[]> {
  return (await queryDueDay(store, `EVAL#${day}`, until)).map((item) => String(item.accountId));
}
