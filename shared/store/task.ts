import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { targetSlot, taskSchema, type ReviewChange, type Task, type TaskStatus } from '../domain/review.ts';
import { NotFoundError } from '../errors.ts';
import type { Store } from './client.ts';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.ts';
import { accountIdOfPartition, accountPartition } from './keys.ts';
import { itemsOfIndexEntries, keyAfterEntry, queryIndexKeys, type IndexEntry } from './index-query.ts';
import { queryDueDay } from './due-index.ts';
import { notificationPut, type NotificationRecord } from './notification.ts';
import { auditPut, type AuditRecord } from './audit.ts';

/**
 * Review tasks live in their account's partition (`TASK#<id>`), with a slot item per
 * (kind, targeted term end) (`SLOT#…`) whose conditional creation makes a second review for the
 * same term impossible, even for two evaluations racing. Indexes:
 * - gsi1 `TASKS#<status>` by due time: the task lists;
 * - gsi2 `OPEN#<UTC day of openAt>` while scheduled: the sweep reads only reviews due to open.
 * Task ids carry the account (`<accountId>~r<n>`), so `GET /tasks/{id}` is one keyed read.
 */
export const TASK_SK_PREFIX = 'TASK#';
const taskKey = (accountId: string, taskId: string) => ({ pk: accountPartition(accountId), sk: `${TASK_SK_PREFIX}${taskId}` });
/** The task id of a task item's sort key (`TASK#<id>`), as read back from an index entry. */
const taskIdOfKey = (sk: string) => {
  if (!sk.startsWith(TASK_SK_PREFIX)) throw new Error(`not a task key: ${sk}`);
  return sk.slice(TASK_SK_PREFIX.length);
};
const slotKey = (accountId: string, slot: string) => ({ pk: accountPartition(accountId), sk: `SLOT#${slot}` });
/** gsi1: tasks by status, by due time. */
const statusIndexPk = (status: string) => `TASKS#${status}`;
/** gsi2: scheduled reviews by the UTC day they open. */
const openDayPartition = (day: string) => `OPEN#${day}`;
const ID_SEPARATOR = '~';

export class TaskNotFoundError extends NotFoundError {
  override readonly name = 'TaskNotFoundError';
}

/** The n-th task of a kind for an account: deterministic, so racing creators collide on the key. */
export function taskIdFor(accountId: string, kind: Task['kind'], ordinal: number): string {
  return `${accountId}${ID_SEPARATOR}${kind === 'review' ? 'r' : 'fc'}${ordinal}`;
}

export function accountOfTaskId(taskId: string): string | undefined {
  const at = taskId.lastIndexOf(ID_SEPARATOR);
  return at > 0 ? taskId.slice(0, at) : undefined;
}

export interface StoredTask {
  task: Task;
  rev: number;
}

function taskItem(stored: StoredTask): Record<string, NativeAttributeValue> {
  const { task } = stored;
  return {
    ...taskKey(task.accountId, task.id),
    entity: 'task',
    rev: stored.rev,
    task,
    gsi1pk: statusIndexPk(task.status),
    gsi1sk: `${task.dueAt}#${task.id}`,
    ...(task.status === 'scheduled' ? { gsi2pk: openDayPartition(task.openAt.slice(0, 10)), gsi2sk: `${task.openAt}#${task.id}` } : {}),
  };
}

export function taskFromItem(item: Record<string, unknown>): StoredTask {
  return { task: taskSchema.parse(item.task), rev: Number(item.rev) };
}

/**
 * The transaction items that apply review changes: each task write is conditional on the
 * revision that was read; slots are claimed with attribute_not_exists; a task that opens gets
 * its `review_opened` notification in the same transaction (recorded once, by key).
 */
export function reviewChangeItems(
  store: Store,
  changes: readonly ReviewChange[],
  revs: ReadonlyMap<string, number>,
  openedNotification: (task: Task) => NotificationRecord,
): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  for (const change of changes) {
    const after = change.type === 'create' ? change.task : change.after;
    const before = change.type === 'create' ? undefined : change.before;
    const rev = before ? (revs.get(before.id) ?? 0) : 0;
    items.push({
      Put: {
        TableName: store.tableName,
        Item: taskItem({ task: after, rev: rev + 1 }),
        ConditionExpression: before ? 'rev = :rev' : 'attribute_not_exists(pk)',
        ...(before ? { ExpressionAttributeValues: { ':rev': rev } } : {}),
      },
    });
    if (change.type === 'create') {
      items.push({
        Put: {
          TableName: store.tableName,
          Item: { ...slotKey(after.accountId, targetSlot(after)), entity: 'task_slot', taskId: after.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (change.type === 'move') {
      items.push({
        Delete: {
          TableName: store.tableName,
          Key: slotKey(change.before.accountId, targetSlot(change.before)),
          ConditionExpression: 'taskId = :id',
          ExpressionAttributeValues: { ':id': change.before.id },
        },
      });
      items.push({
        Put: {
          TableName: store.tableName,
          Item: { ...slotKey(after.accountId, targetSlot(after)), entity: 'task_slot', taskId: after.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (after.status === 'open' && before?.status !== 'open') {
      items.push({ Put: notificationPut(store, openedNotification(after)) });
    }
    items.push(
      auditPut(store, {
        accountId: after.accountId,
        at: after.updatedAt,
        by: 'system:evaluation',
        action: `task.${change.type === 'create' ? 'created' : change.type === 'move' ? 'moved' : after.status === before?.status ? 'updated' : after.status}`,
        entity: 'task',
        entityId: after.id,
        before: before ?? null,
        after,
      }),
    );
  }
  return items;
}

export async function getTask(store: Store, taskId: string): Promise<StoredTask> {
  const accountId = accountOfTaskId(taskId);
  if (!accountId) throw new TaskNotFoundError(`no task ${taskId}`);
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: taskKey(accountId, taskId), ConsistentRead: true }));
  if (!result.Item) throw new TaskNotFoundError(`no task ${taskId}`);
  return taskFromItem(result.Item);
}

export function taskPut(
  store: Store,
  stored: StoredTask,
  expectedRev: number,
): {
  TableName: string;
  Item: Record<string, NativeAttributeValue>;
  ConditionExpression: string;
  ExpressionAttributeValues: Record<string, NativeAttributeValue>;
} {
  return {
    TableName: store.tableName,
    Item: taskItem(stored),
    ConditionExpression: 'rev = :rev',
    ExpressionAttributeValues: { ':rev': expectedRev },
  };
}

/**
 * Replaces a task read at `stored.rev` with `after`, with its audit record, in one transaction
 * conditioned on the revision read: a race (changed meanwhile, or another transaction on it)
 * throws the transaction's error for the caller to redo from a fresh read.
 */
export async function replaceTask(store: Store, stored: StoredTask, after: Task, audit: AuditRecord): Promise<void> {
  await store.doc.send(
    new TransactWriteCommand({
      TransactItems: [{ Put: taskPut(store, { task: after, rev: stored.rev + 1 }, stored.rev) }, auditPut(store, audit)],
    }),
  );
}

const STATUSES: readonly TaskStatus[] = ['open', 'pending_approval', 'scheduled', 'decided', 'cancelled'];

/**
 * A page of tasks across statuses (or one), by due time within each status: the next `limit`
 * index entries in status order, then their items. Every status from the cursor's on is queried
 * at once (one round trip, not one a status; a status the page does not reach costs its keys
 * only, at most `limit` of them), and the items come in one BatchGetItem. The cursor records
 * which status partition the page stopped in and where, and is checked against it on the way back.
 * An entry filtered out (its task moved on since the index was written, or another assignee's)
 * leaves the page short; its cursor carries on.
 */
export async function listTasksByStatus(
  store: Store,
  query: { statuses?: readonly TaskStatus[]; dueBefore?: string; assignee?: string; limit: number; cursor?: string },
): Promise<{ items: Task[]; nextCursor?: string }> {
  const statuses = query.statuses ?? STATUSES;
  let start = 0;
  let startKey: Record<string, unknown> | undefined;
  if (query.cursor) {
    const separator = query.cursor.indexOf('.');
    const status = query.cursor.slice(0, separator) as TaskStatus;
    start = statuses.indexOf(status);
    if (separator < 1 || start < 0) throw new InvalidCursorError('cursor is not one this API issued for this list');
    const rest = query.cursor.slice(separator + 1);
    startKey = rest ? decodeCursor(rest, { attribute: 'gsi1pk', value: statusIndexPk(status) }) : undefined;
  }
  const pages = await Promise.all(
    statuses.slice(start).map((status, n) =>
      queryIndexKeys(store, {
        IndexName: 'gsi1',
        KeyConditionExpression: query.dueBefore ? 'gsi1pk = :pk AND gsi1sk < :due' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': statusIndexPk(status), ...(query.dueBefore ? { ':due': query.dueBefore } : {}) },
        Limit: query.limit,
        ExclusiveStartKey: n === 0 ? startKey : undefined,
      }),
    ),
  );
  const entries: IndexEntry[] = [];
  let nextCursor: string | undefined;
  for (let n = 0; n < pages.length && nextCursor === undefined; n++) {
    const status = statuses[start + n]!;
    const page = pages[n]!;
    const room = query.limit - entries.length;
    if (page.items.length > room) {
      entries.push(...page.items.slice(0, room));
      nextCursor = `${status}.${encodeCursor(keyAfterEntry('gsi1', entries.at(-1)!))}`;
    } else {
      entries.push(...page.items);
      if (page.lastEvaluatedKey) nextCursor = `${status}.${encodeCursor(page.lastEvaluatedKey)}`;
      else if (entries.length >= query.limit && statuses[start + n + 1]) nextCursor = `${statuses[start + n + 1]}.`;
      else if (entries.length >= query.limit) break;
    }
  }
  // The assignee is on the item, not the entry: filtered here.
  const tasks = (await itemsOfIndexEntries(store, 'gsi1', entries)).map((item) => taskFromItem(item).task);
  const items = query.assignee ? tasks.filter((task) => task.assignee === query.assignee) : tasks;
  return nextCursor ? { items, nextCursor } : { items };
}

/**
 * A page of one account's tasks (its partition, in task-id order), optionally of one status and
 * due before an instant. Those are filters, so a page may come back short: read on until the
 * page is full or the partition ends.
 */
export async function listAccountTasks(
  store: Store,
  accountId: string,
  query: { status?: TaskStatus; dueBefore?: string; assignee?: string; limit: number; cursor?: string },
): Promise<{ items: Task[]; nextCursor?: string }> {
  const pk = accountPartition(accountId);
  const filters: string[] = [];
  const values: Record<string, unknown> = { ':pk': pk, ':prefix': TASK_SK_PREFIX };
  if (query.status) {
    filters.push('task.#status = :status');
    values[':status'] = query.status;
  }
  if (query.dueBefore) {
    filters.push('task.dueAt < :due');
    values[':due'] = query.dueBefore;
  }
  if (query.assignee) {
    filters.push('task.assignee = :assignee');
    values[':assignee'] = query.assignee;
  }
  const items: Task[] = [];
  let startKey = decodeCursor(query.cursor, { attribute: 'pk', value: pk });
  // A filtered page may come back short: keep reading until the page is full or the partition ends.
  do {
    const page = await store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: values,
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(query.status ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        Limit: query.limit - items.length,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => taskFromItem(item).task));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < query.limit);
  const nextCursor = encodeCursor(startKey);
  return nextCursor ? { items, nextCursor } : { items };
}

/** Scheduled reviews whose opening time falls on `day` (UTC) at or before `until`. */
export async function listReviewsDueToOpen(store: Store, day: string, until: string): Promise<Array<{ accountId: string; taskId: string }>> {
  return (await queryDueDay(store, openDayPartition(day), until)).map((entry) => ({
    accountId: accountIdOfPartition(entry.pk),
    taskId: taskIdOfKey(entry.sk),
  }));
}
