import * as z from '../zod.ts';
import { REVIEW_CHECKLIST, taskSchema, type Task } from '../domain/review.ts';
import { ConflictError } from '../errors.ts';
import { getAccounts } from '../store/account.ts';
import { getChecklistMarks, saveChecklistMark } from '../store/checklist.ts';
import type { Store } from '../store/client.ts';
import { getTask } from '../store/task.ts';

export const checklistItemSchema = z.object({
  step: z.number().check(z.int()),
  text: z.string(),
  done: z.boolean(),
  by: z.optional(z.string()),
  at: z.optional(z.string()),
});

/** A task as `GET /tasks/{taskId}` answers it: the customer's name, and the checklist with its progress. */
export const taskViewSchema = z.extend(z.omit(taskSchema, { checklist: true }), {
  name: z.optional(z.string()),
  checklist: z.array(checklistItemSchema),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** A task in a list: the stored task with the customer's name beside its account id. */
export const taskListItemSchema = z.extend(taskSchema, { name: z.optional(z.string()) });

export const checklistBodySchema = z.strictObject({
  step: z
    .number({ error: 'must be a step number' })
    .check(z.int('must be a whole number'), z.gte(1, 'must be 1 to 6'), z.lte(REVIEW_CHECKLIST.length, `must be 1 to ${REVIEW_CHECKLIST.length}`)),
  done: z.boolean({ error: 'must be true or false' }),
});
export type ChecklistBody = z.infer<typeof checklistBodySchema>;

export class ChecklistClosedError extends ConflictError {
  override readonly name = 'ChecklistClosedError';
}

/** One task with its customer's name and checklist progress (two keyed reads beside the task's). */
export async function readTaskView(deps: { store: Store }, taskId: string): Promise<TaskView> {
  const { task } = await getTask(deps.store, taskId);
  return viewOf(deps, task);
}

async function viewOf(deps: { store: Store }, task: Task): Promise<TaskView> {
  const [[account], marks] = await Promise.all([getAccounts(deps.store, [task.accountId]), getChecklistMarks(deps.store, task.accountId, task.id)]);
  const { checklist, ...rest } = task;
  return {
    ...rest,
    ...(account?.name ? { name: account.name } : {}),
    checklist: checklist.map((text, i) => {
      const mark = marks.get(i + 1);
      return { step: i + 1, text, done: mark?.done ?? false, ...(mark ? { by: mark.by, at: mark.at } : {}) };
    }),
  };
}

/** Names for a page of tasks, one batch read for the accounts on it. */
export async function withNames(deps: { store: Store }, tasks: readonly Task[]): Promise<Array<Task & { name?: string }>> {
  const accounts = await getAccounts(deps.store, [...new Set(tasks.map((t) => t.accountId))]);
  const names = new Map(accounts.flatMap((a) => (a.name ? [[a.accountId, a.name] as const] : [])));
  return tasks.map((t) => {
    const name = names.get(t.accountId);
    return name ? { ...t, name } : t;
  });
}

/**
 * Ticks or unticks one checklist step of a review.
 * 1. Read the task (404 when there is none); a cancelled review has nothing to work through (409).
 * 2. Record `{ done, by, at }` for the step with its audit record, in one transaction.
 * 3. Answer the task as GET /tasks/{taskId} does.
 */
export async function markChecklistStep(deps: { store: Store }, input: { taskId: string; body: ChecklistBody; actor: string; now: Date }): Promise<TaskView> {
  const { task } = await getTask(deps.store, input.taskId);
  if (task.status === 'cancelled') throw new ChecklistClosedError(`task ${input.taskId} was cancelled; its checklist is closed`);
  const before = (await getChecklistMarks(deps.store, task.accountId, task.id)).get(input.body.step);
  await saveChecklistMark(deps.store, {
    accountId: task.accountId,
    taskId: task.id,
    step: input.body.step,
    mark: { done: input.body.done, by: input.actor, at: input.now.toISOString() },
    ...(before ? { before } : {}),
  });
  return viewOf(deps, task);
}
