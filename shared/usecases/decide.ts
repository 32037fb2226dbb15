import * as z from '../zod.ts';
import type { Policy } from '../domain/policy.ts';
import { answerApproval, applyDecision, isApprovalOverdue, type Actor } from '../domain/approval.ts';
import { decisionKindSchema, type Task } from '../domain/review.ts';
import { daysUntilEndOf, localDate } from '../domain/timing.ts';
import { ConflictError } from '../errors.ts';
import { isTransactionRace, type Store } from '../store/client.ts';
import { retryOptimistic } from '../store/optimistic.ts';
import { getTask, replaceTask } from '../store/task.ts';

export { TaskNotDecidableError } from '../domain/approval.ts';

const note = (max: number) =>
  z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must say why'), z.maxLength(max, `must be at most ${max} characters`));

export const decisionBodySchema = z.strictObject({
  decision: decisionKindSchema,
  note: note(4000),
});
export type DecisionBody = z.infer<typeof decisionBodySchema>;

export const approvalBodySchema = z.strictObject({
  approve: z.boolean({ error: 'must be true or false' }),
  note: note(4000),
});
export type ApprovalBody = z.infer<typeof approvalBodySchema>;

export const assigneeBodySchema = z.strictObject({
  name: z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
});

/** The task kept changing (the sweep or the processor rescheduling it) while the decision was written. */
export class TaskBusyError extends ConflictError {
  override readonly name = 'TaskBusyError';
}

type Deps = { store: Store; policy?: Pick<Policy, 'approvals' | 'timeZone'> };

/**
 * Read, change by a pure rule, write conditionally on the revision read, with the audit
 * record in the same transaction. Another writer in between (an evaluation, a second approver
 * racing) fails the condition: read again and apply the rule to what is there now, so two
 * approvers cannot both apply (the second finds nothing pending: 409). Still racing after the
 * usual attempts: 409, nothing written.
 */
async function changeTask(
  deps: Deps,
  taskId: string,
  by: string,
  now: Date,
  change: (task: Task, at: string) => { after: Task; action: string },
): Promise<Task> {
  return retryOptimistic(
    async () => {
      const stored = await getTask(deps.store, taskId);
      const before = stored.task;
      const at = now.toISOString();
      const { after, action } = change(before, at);
      await replaceTask(deps.store, stored, after, { accountId: before.accountId, at, by, action, entity: 'task', entityId: before.id, before, after });
      return after;
    },
    {
      isRace: isTransactionRace,
      exhausted: (error) =>
        new TaskBusyError(`task ${taskId} kept changing while the change was recorded; nothing was recorded, send it again`, { cause: error }),
    },
  );
}

/** A caller given as a bare name (scripts, older callers) is a reviewer. */
function actorOf(actor: string | Actor): Actor {
  return typeof actor === 'string' ? { name: actor, role: 'reviewer' } : actor;
}

/**
 * Records a person's decision on a review.
 * 1. Read the task; a cancelled one, or one waiting for an approval, cannot be decided (409).
 * 2. Retain and renegotiate (and terminate under `approvals.terminate: single`) are appended
 *    to its history as `{ decision, note, at, by }` (never rewritten); terminate also records
 *    the planned end date and the notice deadline. Terminate under `two_person` (the default)
 *    becomes a request waiting for a second person (`pending_approval`).
 * 3. Write it with its audit record, conditionally (see changeTask).
 */
export async function decideTask(deps: Deps, input: { taskId: string; body: DecisionBody; actor: string | Actor; now: Date }): Promise<Task> {
  const actor = actorOf(input.actor);
  const mode = deps.policy?.approvals.terminate ?? 'two_person';
  return changeTask(deps, input.taskId, actor.name, input.now, (task, at) => {
    const after = applyDecision(task, input.body, actor, at, mode);
    return { after, action: after.status === 'pending_approval' ? 'task.termination.requested' : `task.decided.${input.body.decision}` };
  });
}

/**
 * An approver's answer to a pending termination: approve → decided (`by` the requester,
 * `approvedBy` the approver); reject → open again. The requester answering their own
 * request, or a non-approver, is refused (403) before anything is written.
 */
export async function answerTermination(deps: Deps, input: { taskId: string; body: ApprovalBody; actor: Actor; now: Date }): Promise<Task> {
  return changeTask(deps, input.taskId, input.actor.name, input.now, (task, at) => ({
    after: answerApproval(task, input.body, input.actor, at),
    action: input.body.approve ? 'task.termination.approved' : 'task.termination.rejected',
  }));
}

/** Sets the task's owner (audited). */
export async function assignTask(deps: Deps, input: { taskId: string; name: string; actor: Actor; now: Date }): Promise<Task> {
  return changeTask(deps, input.taskId, input.actor.name, input.now, (task, at) => ({
    after: {
      ...task,
      assignee: input.name,
      history: [...task.history, { at, status: task.status, note: `assigned to ${input.name} by ${input.actor.name}` }],
      updatedAt: at,
    },
    action: 'task.assigned',
  }));
}

/**
 * The task as shown: the days left to its notice deadline in the policy's zone (`daysLeft`, as the
 * renewals list counts them), and a pending termination past that deadline says so (`overdue`).
 */
export function taskAsShown<T extends Pick<Task, 'status' | 'noticeDeadline'>>(task: T, now: Date, timeZone: string): T {
  const shown = task.noticeDeadline ? { ...task, daysLeft: daysUntilEndOf(task.noticeDeadline, timeZone, now) } : task;
  return isApprovalOverdue(task, localDate(now, timeZone)) ? { ...shown, overdue: true } : shown;
}
