import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Task, TaskStatus } from '../domain/review.ts';
import { MAX_PAGE } from '../schemas/common.ts';
import type { Store } from '../store/client.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import { getTask, listTasksByStatus, taskFromItem, TASK_SK_PREFIX } from '../store/task.ts';

export { TaskNotFoundError } from '../store/task.ts';

export interface TaskQuery {
  status?: TaskStatus;
  accountId?: string;
  dueBefore?: string;
  assignee?: string;
  limit: number;
  cursor?: string;
}

/**
 * Review tasks for finance. By account: that account's partition. Otherwise the status index,
 * ordered by due time, so `dueBefore` is a key condition rather than a filter.
 */
export async function listTasks(deps: { store: Store }, query: TaskQuery): Promise<{ items: Task[]; nextCursor?: string }> {
  if (query.accountId === undefined) {
    return listTasksByStatus(deps.store, {
      ...(query.status ? { statuses: [query.status] } : {}),
      ...(query.dueBefore ? { dueBefore: query.dueBefore } : {}),
      ...(query.assignee ? { assignee: query.assignee } : {}),
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
  }
  const pk = `ACCT#${query.accountId}`;
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
    const page = await deps.store.doc.send(
      new QueryCommand({
        TableName: deps.store.tableName,
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

export async function readTask(deps: { store: Store }, taskId: string): Promise<Task> {
  return (await getTask(deps.store, taskId)).task;
}

/** Every task matching the query, page by page, up to `max` (a whole-list export); the cursor carries on beyond. */
export async function listTasksUpTo(deps: { store: Store }, query: Omit<TaskQuery, 'limit'>, max: number): Promise<{ items: Task[]; nextCursor?: string }> {
  const items: Task[] = [];
  let next = query.cursor;
  do {
    const page = await listTasks(deps, { ...query, limit: Math.min(MAX_PAGE, max - items.length), ...(next ? { cursor: next } : {}) });
    items.push(...page.items);
    next = page.nextCursor;
  } while (next && items.length < max);
  return next ? { items, nextCursor: next } : { items };
}
