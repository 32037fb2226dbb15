import { ConflictError, ForbiddenError } from '../errors.ts';
import type { Decision, Task } from './review.ts';

/**
 * The four-eyes rule on terminations, as pure functions of a task, a person and a time.
 * With `two_person`, a termination asked for by one person waits (`pending_approval`) until an
 * approver (or admin) who is not that person approves it (decided) or rejects it (open again,
 * the rejection kept in the history). Retain and renegotiate take one person. No I/O, no clock.
 */
import type { ApprovalMode } from './policy.ts';
// The mode is part of the policy's shape (domain/policy.ts); kept importable from here.
export { approvalModeSchema, type ApprovalMode } from './policy.ts';

export interface Actor {
  name: string;
  role: 'viewer' | 'reviewer' | 'approver' | 'admin';
}

export interface DecisionRequest {
  decision: Decision['decision'];
  note: string;
}

export class TaskNotDecidableError extends ConflictError {
  override readonly name = 'TaskNotDecidableError';
}

export class NotPendingApprovalError extends ConflictError {
  override readonly name = 'NotPendingApprovalError';
}

export class OwnApprovalError extends ForbiddenError {
  override readonly name = 'OwnApprovalError';
}

export class NotAnApproverError extends ForbiddenError {
  override readonly name = 'NotAnApproverError';
}

const CAN_DECIDE = new Set<Actor['role']>(['reviewer', 'approver', 'admin']);
const CAN_APPROVE = new Set<Actor['role']>(['approver', 'admin']);

function terminationDates(task: Task) {
  return {
    ...(task.targetEnd ? { plannedEndDate: task.targetEnd } : {}),
    ...(task.noticeDeadline ? { noticeDeadline: task.noticeDeadline } : {}),
  };
}

/**
 * A person's decision on a task. Cancelled tasks cannot be decided; a task already waiting for
 * an approval cannot take another decision until that is answered (409). A termination under
 * `two_person` becomes a request (`pending_approval` with `approval`); anything else is
 * appended to the decisions at once.
 */
export function applyDecision(task: Task, request: DecisionRequest, by: Actor, at: string, mode: ApprovalMode): Task {
  if (!CAN_DECIDE.has(by.role)) throw new NotAnApproverError(`deciding needs the reviewer role; ${by.name} is ${by.role}`);
  if (task.status === 'cancelled') throw new TaskNotDecidableError(`task ${task.id} was cancelled; there is nothing to decide`);
  if (task.status === 'pending_approval') {
    throw new TaskNotDecidableError(
      `task ${task.id} is waiting for approval of ${task.approval?.requestedBy ?? 'someone'}'s termination; approve or reject it first`,
    );
  }
  if (request.decision === 'terminate' && mode === 'two_person') {
    const { approval: _a, ...rest } = task;
    return {
      ...rest,
      status: 'pending_approval',
      approval: { requestedBy: by.name, requestedAt: at, note: request.note },
      history: [...task.history, { at, status: 'pending_approval', note: `termination requested by ${by.name}, waiting for an approver: ${request.note}` }],
      updatedAt: at,
    };
  }
  const decision: Decision = {
    decision: request.decision,
    note: request.note,
    at,
    by: by.name,
    ...(request.decision === 'terminate' ? terminationDates(task) : {}),
  };
  return {
    ...task,
    status: 'decided',
    decisions: [...task.decisions, decision],
    history: [...task.history, { at, status: 'decided', note: `decided: ${decision.decision} (by ${by.name})` }],
    updatedAt: at,
  };
}

/**
 * A second person's answer to a pending termination. Only an approver or admin who is not the
 * requester may answer (403 otherwise, nothing changes). Approve: the termination is decided,
 * `by` the requester and `approvedBy` the approver. Reject: the task is open again, with the
 * rejection (who, when, why) in its history.
 */
export function answerApproval(task: Task, answer: { approve: boolean; note: string }, by: Actor, at: string): Task {
  if (!CAN_APPROVE.has(by.role)) throw new NotAnApproverError(`approving needs the approver role; ${by.name} is ${by.role}`);
  const request = task.approval;
  if (task.status !== 'pending_approval' || !request) throw new NotPendingApprovalError(`task ${task.id} has no termination waiting for approval`);
  if (request.requestedBy === by.name) throw new OwnApprovalError(`${by.name} asked for this termination; another approver must answer it`);
  const { approval: _a, overdue: _o, ...rest } = task;
  if (!answer.approve) {
    return {
      ...rest,
      status: 'open',
      history: [...task.history, { at, status: 'open', note: `termination requested by ${request.requestedBy} rejected by ${by.name}: ${answer.note}` }],
      updatedAt: at,
    };
  }
  const decision: Decision = {
    decision: 'terminate',
    note: request.note,
    at,
    by: request.requestedBy,
    ...terminationDates(task),
    approvedBy: by.name,
    approvedAt: at,
    approvalNote: answer.note,
  };
  return {
    ...rest,
    status: 'decided',
    decisions: [...task.decisions, decision],
    history: [...task.history, { at, status: 'decided', note: `decided: terminate (by ${request.requestedBy}, approved by ${by.name})` }],
    updatedAt: at,
  };
}

/** A pending request whose notice deadline has passed (`today` a calendar date in the policy zone). */
export function isApprovalOverdue(task: Pick<Task, 'status' | 'noticeDeadline'>, today: string): boolean {
  return task.status === 'pending_approval' && task.noticeDeadline !== undefined && task.noticeDeadline < today;
}
