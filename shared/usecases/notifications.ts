import type { Notification } from '../domain/notification.ts';
import type { Task } from '../domain/review.ts';
import type { ReminderDue } from '../domain/reminders.ts';
import { daysUntilEndOf } from '../domain/timing.ts';
import { DAY_MS } from '../domain/days.ts';

interface ContractSummary {
  endDate: string;
  renewal: string;
  noticeDeadline: string | null;
}

/**
 * The `review_opened` notification: what finance needs to act without opening the app
 * (account, term end, notice deadline, days left, renewal kind, flags, evidence summary, the
 * review id and what to decide), as plain text and as a structured payload. Its id is fixed by
 * the task (a review opens once: it never goes back to scheduled), so it is recorded once.
 */
export function reviewOpenedNotification(
  task: Task,
  ctx: { accountName?: string | undefined; flags: readonly string[]; contract?: ContractSummary | undefined; now: Date },
): Notification {
  const deadline = task.noticeDeadline ?? null;
  // Days left to decide: to the deadline, or, once a fixed term's deadline has passed, to its end.
  const daysLeft = Math.max(0, Math.ceil((Date.parse(task.dueAt) - ctx.now.getTime()) / DAY_MS));
  const deadlinePassed = task.track === 'fixed_past_deadline';
  const who = ctx.accountName ? `${ctx.accountName} (${task.accountId})` : task.accountId;
  const decide = 'Decide: retain, renegotiate (new terms at renewal) or terminate (do not renew / give notice).';
  const lines = [
    `A ${task.kind === 'for_cause' ? 'for-cause review' : 'review'} is open for ${who}.`,
    task.targetEnd
      ? deadlinePassed
        ? `Contract term ends ${task.targetEnd}; notice deadline ${deadline} has passed (${daysLeft} days left to decide, before the term ends).`
        : `Contract term ends ${task.targetEnd}; notice deadline ${deadline} (${daysLeft} days left).`
      : 'No usable contract on record: record it so the end can be timed.',
    ...(ctx.contract ? [`Renewal: ${ctx.contract.renewal}.`] : []),
    `Flags: ${ctx.flags.length > 0 ? ctx.flags.join(', ') : 'none'}.`,
    `Reasons: ${task.reasons.join('; ')}.`,
    `Review: ${task.id}. ${decide}`,
  ];
  return {
    id: `review_opened~${task.id}`,
    type: 'review_opened',
    accountId: task.accountId,
    sentAt: ctx.now.toISOString(),
    taskId: task.id,
    subject: `Review open: ${who}${deadline ? `, notice deadline ${deadline}` : ''}`,
    text: lines.join('\n'),
    payload: {
      accountId: task.accountId,
      ...(ctx.accountName ? { accountName: ctx.accountName } : {}),
      taskId: task.id,
      kind: task.kind,
      targetEnd: task.targetEnd ?? null,
      noticeDeadline: deadline,
      dueAt: task.dueAt,
      daysLeft,
      ...(deadlinePassed ? { deadlinePassed: true } : {}),
      renewal: ctx.contract?.renewal ?? null,
      flags: [...ctx.flags],
      reasons: task.reasons,
      decide: ['retain', 'renegotiate', 'terminate'],
    },
  };
}

/**
 * The `renewal_reminder` notification: sent for every contract, flagged or not, at each offset
 * before the notice deadline. Its id is fixed by account, term and offset, so it is recorded once.
 */
export function renewalReminderNotification(
  due: ReminderDue,
  ctx: {
    accountId: string;
    accountName?: string | undefined;
    flags: readonly string[];
    renewal: string;
    reasons: readonly string[];
    taskId?: string | undefined;
    now: Date;
    /** The policy's: the deadline is a calendar date there. */
    timeZone: string;
  },
): Notification {
  const daysLeft = Math.max(0, daysUntilEndOf(due.noticeDeadline, ctx.timeZone, ctx.now));
  const who = ctx.accountName ? `${ctx.accountName} (${ctx.accountId})` : ctx.accountId;
  const lines = [
    `Renewal reminder (${due.offsetDays} days) for ${who}.`,
    `Contract term ends ${due.termEnd}; renewal: ${ctx.renewal}. Notice deadline ${due.noticeDeadline} (${daysLeft} days left).`,
    `Flags: ${ctx.flags.length > 0 ? ctx.flags.join(', ') : 'none'}.`,
    ...(ctx.reasons.length > 0 ? [`Evidence: ${ctx.reasons.join('; ')}.`] : []),
    ctx.taskId ? `Review: ${ctx.taskId}.` : 'No review is open for this account.',
    `Decide before the deadline: let it ${ctx.renewal === 'fixed' ? 'end' : 'renew'}, renegotiate, or give notice.`,
  ];
  return {
    id: `renewal_reminder~${ctx.accountId}~${due.termEnd}~${due.offsetDays}`,
    type: 'renewal_reminder',
    accountId: ctx.accountId,
    sentAt: ctx.now.toISOString(),
    offsetDays: due.offsetDays,
    ...(ctx.taskId ? { taskId: ctx.taskId } : {}),
    subject: `Renewal: ${who}, notice deadline ${due.noticeDeadline} (${daysLeft} days)`,
    text: lines.join('\n'),
    payload: {
      accountId: ctx.accountId,
      ...(ctx.accountName ? { accountName: ctx.accountName } : {}),
      termEnd: due.termEnd,
      noticeDeadline: due.noticeDeadline,
      offsetDays: due.offsetDays,
      daysLeft,
      renewal: ctx.renewal,
      flags: [...ctx.flags],
      reasons: [...ctx.reasons],
      taskId: ctx.taskId ?? null,
      decide: ['renew', 'renegotiate', 'terminate'],
    },
  };
}
