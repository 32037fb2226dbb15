import type { Task, TaskStatus } from '../domain/review.ts';
import { MAX_PAGE } from '../schemas/common.ts';
import type { Store } from '../store/client.ts';
import { getTask, listAccountTasks, listTasksByStatus } from '../store/task.ts';

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
  return listAccountTasks(deps.store, query.accountId, {
    ...(query.status ? { status: query.status } : {}),
    ...(query.dueBefore ? { dueBefore: query.dueBefore } : {}),
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
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
