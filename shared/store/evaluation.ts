import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { accountFlagSchema, evaluationSummarySchema, type AccountFlag } from '../schemas/accounts.ts';
import { isConditionFailed, isTransactionRace, type Store } from './client.ts';
import { queryDueDay } from './due-index.ts';
import { accountDirectorySet, accountIdOfPartition, accountKey, accountPartition } from './keys.ts';
import { ConcurrentUpdateError } from './revision.ts';

/**
 * An evaluation as stored: flags, summary and timings on the account item, one membership item
 * per flag (`FLAG#…`, so `GET /accounts?flag=` is a Query on gsi1), the account on the renewals
 * index while a notice deadline is ahead, and on the re-evaluation index (gsi2, by UTC day) while
 * something changes with time alone. This module owns those keys; account.ts reads them back.
 */
const flagKey = (accountId: string, flag: string) => ({ pk: accountPartition(accountId), sk: `FLAG#${flag}` });
export const flagIndexKey = (accountId: string, flag: string) => ({ gsi1pk: `FLAG#${flag}`, gsi1sk: accountPartition(accountId) });
/** Renewals index: accounts whose contract has a notice deadline ahead, by deadline. */
export const RENEWALS_INDEX_PK = 'RENEWALS';
const renewalIndexKey = (accountId: string, noticeDeadline: string) => ({ gsi1pk: RENEWALS_INDEX_PK, gsi1sk: `${noticeDeadline}#${accountId}` });
/** Re-evaluation index: accounts whose signals change with time alone, keyed by UTC day. */
const evalDayPartition = (day: string) => `EVAL#${day}`;
const evalIndexKey = (accountId: string, at: string) => ({ gsi2pk: evalDayPartition(at.slice(0, 10)), gsi2sk: `${at}#${accountId}` });

/** What an evaluation stores on the account item (see saveEvaluation). */
export const evaluationSchema = z.object({
  flags: z.array(accountFlagSchema),
  /** When each flag was first raised (kept while it holds). */
  flagSince: z.partialRecord(accountFlagSchema, z.string()),
  remindersSent: z.optional(z.array(z.string())),
  summary: evaluationSummarySchema,
  evaluatedAt: z.string(),
  nextEvalAt: z.optional(z.string()),
  /** The upcoming notice deadline, for the renewals list. */
  renewal: z.optional(z.object({ noticeDeadline: z.string() })),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

/**
 * Stores an evaluation made from facts at revision `factsRev`, with the flag memberships it
 * implies, atomically. Refused (ConcurrentUpdateError) when facts changed since: the caller
 * evaluates again, so a slow evaluation never overwrites a newer one. Arguments: see evaluationWrite.
 */
export async function saveEvaluation(...args: Parameters<typeof evaluationWrite>): Promise<void> {
  await saveEvaluations(args[0], [evaluationWrite(...args)]);
}

/**
 * One account's evaluation as transaction items (the account update first; see saveEvaluation),
 * or, when the evaluation stored is current, only fact puts that change no evaluation's input.
 */
export interface EvaluationWrite {
  accountId: string;
  items: Array<Record<string, unknown>>;
}

/**
 * Fields of the account item that another of its writers (the customer's facts) stores with the
 * evaluation, in the same update: its SET and REMOVE clauses, and its own condition, which must
 * hold as well as the revision's.
 */
export interface AccountItemChange {
  set: string[];
  remove: string[];
  names: Record<string, string>;
  values: Record<string, NativeAttributeValue>;
  condition: string;
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
  /** Further fields of the account item, set in the evaluation's own update. */
  accountChange?: AccountItemChange,
): EvaluationWrite {
  const bump = factItems.length > 0;
  // Rewritten by every evaluation: an account item written before the directory existed joins it.
  const directory = accountDirectorySet(accountId);
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
    ...directory.values,
  };
  let update = `SET accountId = :id, entity = :entity, #flags = :flags, flagSince = :since, remindersSent = :reminders, #summary = :summary, evaluatedAt = :at, ${directory.clause}, ${bump ? 'factsRev = :next, evaluatedRev = :next' : 'evaluatedRev = :rev'}`;
  if (evaluation.renewal) {
    const idx = renewalIndexKey(accountId, evaluation.renewal.noticeDeadline);
    update += ', gsi1pk = :g1pk, gsi1sk = :g1sk';
    Object.assign(values, { ':g1pk': idx.gsi1pk, ':g1sk': idx.gsi1sk });
  }
  const removals = evaluation.renewal ? [] : ['gsi1pk', 'gsi1sk'];
  if (evaluation.nextEvalAt) {
    const idx = evalIndexKey(accountId, evaluation.nextEvalAt);
    update += ', nextEvalAt = :nextEval, gsi2pk = :g2pk, gsi2sk = :g2sk';
    Object.assign(values, { ':nextEval': evaluation.nextEvalAt, ':g2pk': idx.gsi2pk, ':g2sk': idx.gsi2sk });
  } else {
    removals.push('nextEvalAt', 'gsi2pk', 'gsi2sk');
  }
  if (accountChange) {
    if (accountChange.set.length > 0) update += `, ${accountChange.set.join(', ')}`;
    removals.push(...accountChange.remove);
    Object.assign(names, accountChange.names);
    Object.assign(values, accountChange.values);
  }
  if (removals.length > 0) update += ` REMOVE ${removals.join(', ')}`;
  const revision = factsRev === 0 ? 'attribute_not_exists(factsRev) OR factsRev = :rev' : 'factsRev = :rev';
  const accountUpdate = {
    TableName: store.tableName,
    Key: accountKey(accountId),
    UpdateExpression: update,
    ConditionExpression: accountChange ? `(${revision}) AND (${accountChange.condition})` : revision,
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
 * Commits evaluations of distinct accounts in one request: a lone item (an account update, or a
 * fact put) is an UpdateItem or PutItem, anything more one transaction (at most
 * MAX_TRANSACTION_ITEMS items; the caller splits). All or nothing: ConcurrentUpdateError when any
 * account's facts changed since its read (or another transaction held its items), and the caller
 * redoes each from a fresh read.
 */
export async function saveEvaluations(store: Store, writes: readonly EvaluationWrite[]): Promise<void> {
  const items = writes.flatMap((w) => w.items);
  try {
    if (items.length === 1) {
      const only = items[0] as { Update?: UpdateCommandInput; Put?: PutCommandInput };
      if (only.Update) await store.doc.send(new UpdateCommand(only.Update));
      else await store.doc.send(new PutCommand(only.Put!));
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

/** Accounts whose re-evaluation time fell on `day` (UTC YYYY-MM-DD) and is at or before `until`. */
export async function listAccountsDueForEvaluation(store: Store, day: string, until: string): Promise<string[]> {
  return (await queryDueDay(store, evalDayPartition(day), until)).map((entry) => accountIdOfPartition(entry.pk));
}
