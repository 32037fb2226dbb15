import * as z from '../zod.ts';
import { decisionKindSchema, type Decision, type Task } from '../domain/review.ts';
import { ConflictError } from '../errors.ts';
import { isTransactionRace, type Store } from '../store/client.ts';
import { retryOptimistic } from '../store/optimistic.ts';
import { getTask, replaceTask } from '../store/task.ts';

export const decisionBodySchema = z.strictObject({
  decision: decisionKindSchema,
  note: z
    .string({ error: 'is required' })
    .check(z.trim(), z.minLength(1, 'must say why'), z.maxLength(4000, 'must be at most 4000 characters')),
});
export type DecisionBody = z.infer<typeof decisionBodySchema>;

export class TaskNotDecidableError extends ConflictError {
  override readonly name = 'TaskNotDecidableError';
}

/** The task kept changing (the sweep or the processor rescheduling it) while the decision was written. */
export class TaskBusyError extends ConflictError {
  override readonly name = 'TaskBusyError';
}

/**
 * Records finance's decision on a review.
 * 1. Read the task; a cancelled one cannot be decided (409).
 * 2. Append `{ decision, note, at, by }` to its history (never rewritten); `terminate` also
 *    records the planned end date (the targeted term end) and the notice deadline to meet.
 * 3. Write it with its audit record, on the condition that nobody changed the task meanwhile;
 *    when somebody did (or another transaction held it), read it again and redo, with the same
 *    backoff as every other optimistic write. A task that keeps changing answers 409: nothing was
 *    recorded, and the person can send the decision again.
 */
export async function decideTask(deps: { store: Store }, input: { taskId: string; body: DecisionBody; actor: string; now: Date }): Promise<Task> {
  return retryOptimistic(
    async () => {
      const stored = await getTask(deps.store, input.taskId);
      const before = stored.task;
      if (before.status === 'cancelled') throw new TaskNotDecidableError(`task ${input.taskId} was cancelled; there is nothing to decide`);
      const at = input.now.toISOString();
      const decision: Decision = {
        decision: input.body.decision,
        note: input.body.note,
        at,
        by: input.actor,
        ...(input.body.decision === 'terminate' && before.targetEnd ? { plannedEndDate: before.targetEnd } : {}),
        ...(input.body.decision === 'terminate' && before.noticeDeadline ? { noticeDeadline: before.noticeDeadline } : {}),
      };
      const after: Task = {
        ...before,
        status: 'decided',
        decisions: [...before.decisions, decision],
        history: [...before.history, { at, status: 'decided', note: `decided: ${decision.decision} (by ${input.actor})` }],
        updatedAt: at,
      };
      await replaceTask(deps.store, stored, after, { accountId: before.accountId, at, by: input.actor, action: `task.decided.${decision.decision}`, entity: 'task', entityId: before.id, before, after });
      return after;
    },
    {
      isRace: isTransactionRace,
      exhausted: (error) => new TaskBusyError(`task ${input.taskId} kept changing while the decision was recorded; nothing was recorded, send it again`, { cause: error }),
    },
  );
}
