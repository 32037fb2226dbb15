import * as z from '../zod.ts';
import { canonicalJson } from './canonical-json.ts';
import { calendarDateSchema } from './contract.ts';
import { reviewKindSchema, reviewTrackSchema, type ReviewPlan } from './timing.ts';

/**
 * Review tasks: what finance is asked to decide, and the pure rule that turns the timing
 * rule's plans into changes of the stored tasks (create, move, open, cancel).
 */
/** `pending_approval`: a termination asked for by one person, waiting for a second (four eyes: domain/approval.ts). */
export const taskStatusSchema = z.enum(['scheduled', 'open', 'pending_approval', 'decided', 'cancelled']);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export const decisionKindSchema = z.enum(['retain', 'renegotiate', 'terminate'], {
  error: 'must be one of "retain", "renegotiate" or "terminate"',
});

export const decisionSchema = z.object({
  decision: decisionKindSchema,
  note: z.string(),
  at: z.string(),
  by: z.string(),
  /** For `terminate`: the term end the client leaves at, and the notice deadline to meet. */
  plannedEndDate: z.optional(calendarDateSchema),
  noticeDeadline: z.optional(calendarDateSchema),
  /** A termination under the four-eyes rule: the approver (never the requester, `by`) and when. */
  approvedBy: z.optional(z.string()),
  approvedAt: z.optional(z.string()),
  approvalNote: z.optional(z.string()),
});
export type Decision = z.infer<typeof decisionSchema>;

/** The articles' checklist, carried by every review. */
export const REVIEW_CHECKLIST = [
  'Check the contract: end date, notice period, termination clauses; prefer ending at term end.',
  'List the deliverables still owed and finish them; quality must not drop at the end.',
  'Plan the conversation: clear reasons, the contract wording, stay calm and direct.',
  'Tell the client (meeting or email), respectfully.',
  'Offer a transition plan and, where possible, another provider.',
  'Follow up after the end: nothing left pending.',
] as const;

export const taskHistoryEntrySchema = z.object({ at: z.string(), status: taskStatusSchema, note: z.string() });

export const taskSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  kind: reviewKindSchema,
  status: taskStatusSchema,
  reasons: z.array(z.string()),
  targetEnd: z.optional(calendarDateSchema),
  noticeDeadline: z.optional(calendarDateSchema),
  /** For-cause reviews: the unpaid invoice the review is about. */
  causeInvoiceId: z.optional(z.string()),
  openAt: z.string(),
  dueAt: z.string(),
  track: reviewTrackSchema,
  evidence: z.record(z.string(), z.unknown()),
  checklist: z.array(z.string()),
  decisions: z.array(decisionSchema),
  history: z.array(taskHistoryEntrySchema),
  /** While `pending_approval`: who asked for the termination, when and why. */
  approval: z.optional(z.object({ requestedBy: z.string(), requestedAt: z.string(), note: z.string() })),
  /** Still pending when the notice deadline passed: reported, never dropped. Set on reads. */
  overdue: z.optional(z.boolean()),
  /**
   * Days to the end of the notice deadline's day in the policy's zone, that day counted; 0 or less
   * once it is over (as `GET /renewals` counts them). Set on reads, for a task with a deadline.
   */
  daysLeft: z.optional(z.number().check(z.int())),
  /** The person who owns the review. */
  assignee: z.optional(z.string()),
  /** Open reviews stay open when their signals clear; this says so. */
  signalsCleared: z.optional(z.boolean()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof taskSchema>;

export const ACTIVE_STATUSES: ReadonlySet<TaskStatus> = new Set(['scheduled', 'open']);

/**
 * The slot a review occupies: one per account, kind and targeted term end; a for-cause review,
 * which targets no term end, one per unpaid invoice it is about (so a decided one does not stop
 * the review of a later invoice left unpaid). Reviews with neither share the kind's one slot.
 */
export function targetSlot(task: Pick<Task, 'kind' | 'targetEnd' | 'causeInvoiceId'>): string {
  return `${task.kind}#${task.targetEnd ?? (task.causeInvoiceId ? `cause:${task.causeInvoiceId}` : 'none')}`;
}

/** What a slot is about, for history notes: a term end, or the invoice of a for-cause review. */
function slotLabel(task: Pick<Task, 'targetEnd' | 'causeInvoiceId'>): string {
  if (task.targetEnd) return `term end ${task.targetEnd}`;
  return task.causeInvoiceId ? `invoice ${task.causeInvoiceId}` : 'no term end';
}

export type ReviewChange =
  | { type: 'create'; task: Task }
  /** Same slot; status, reasons, evidence or timing changed. */
  | { type: 'update'; before: Task; after: Task }
  /** Target term end changed (contract edited or deadline passed): the slot moves. */
  | { type: 'move'; before: Task; after: Task };

export interface ReconcileContext {
  accountId: string;
  now: Date;
  evidence: Record<string, unknown>;
  /** A new task id (ids are not derived from the slot, so a moved review keeps its id). */
  newId: (kind: Task['kind']) => string;
  /** Who owns a new review (policy `owners.default` or the account's override). */
  owner?: string;
  /**
   * Kinds whose scheduled review is left exactly as it is although no plan holds: a cancellation
   * waiting out the settle period (see settlePlans), decided by the sweep's evaluation then.
   */
  held?: ReadonlySet<Task['kind']>;
}

/**
 * The changes that bring an account's tasks in line with the timing rule's plans.
 * - A plan with no active task of its kind: reuse the task already in the target slot (a
 *   cancelled one comes back; a decided one means the decision stands: no change), else bring
 *   back a cancelled one moved to the new target, else create.
 * - An active task and a plan: update it in place, moving it when the target changed. An open
 *   task never goes back to scheduled, and keeps its opening time. When the new target's review
 *   was already decided, the decision stands and the active task is cancelled (never two reviews
 *   in one slot: the slot write would fail every evaluation of the account from then on).
 * - An active task and no plan: a scheduled one is cancelled with the reason; an open one stays
 *   open and is marked `signalsCleared`.
 * Pure: the same tasks, plans and `now` give the same changes.
 */
export function reconcileReviews(existing: readonly Task[], plans: readonly ReviewPlan[], ctx: ReconcileContext): ReviewChange[] {
  const nowIso = ctx.now.toISOString();
  const changes: ReviewChange[] = [];
  for (const kind of reviewKindSchema.options) {
    // A termination waiting for its second person is left as it is: the approval (or its
    // rejection, which reopens it) comes first, and the next evaluation then applies the plan.
    if (existing.some((t) => t.kind === kind && t.status === 'pending_approval')) continue;
    const plan = plans.find((p) => p.kind === kind);
    const active = existing.filter((t) => t.kind === kind && ACTIVE_STATUSES.has(t.status)).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const current = active[0];
    if (!current) {
      if (!plan) continue;
      const inSlot = existing.find((t) => targetSlot(t) === targetSlot(plan));
      if (inSlot?.status === 'decided') continue;
      if (inSlot) {
        changes.push({ type: 'update', before: inSlot, after: applyPlan(inSlot, plan, ctx.evidence, nowIso, 'signals returned') });
        continue;
      }
      // A review cancelled before it opened comes back, retargeted, instead of a new one: so an
      // account has at most one such review per kind, and which id its review gets does not
      // depend on the order Stripe's events arrived in (a burst may flag it for a moment).
      const cancelled = existing.filter((t) => t.kind === kind && t.status === 'cancelled').sort((a, b) => taskOrdinal(a) - taskOrdinal(b))[0];
      if (cancelled) {
        changes.push({ type: 'move', before: cancelled, after: applyPlan(cancelled, plan, ctx.evidence, nowIso, 'signals returned') });
        continue;
      }
      const task: Task = {
        id: ctx.newId(kind),
        accountId: ctx.accountId,
        kind,
        status: plan.status,
        reasons: plan.reasons,
        ...(plan.targetEnd ? { targetEnd: plan.targetEnd } : {}),
        ...(plan.noticeDeadline ? { noticeDeadline: plan.noticeDeadline } : {}),
        ...(plan.causeInvoiceId ? { causeInvoiceId: plan.causeInvoiceId } : {}),
        openAt: plan.openAt,
        dueAt: plan.dueAt,
        track: plan.track,
        evidence: ctx.evidence,
        checklist: [...REVIEW_CHECKLIST],
        ...(ctx.owner ? { assignee: ctx.owner } : {}),
        decisions: [],
        history: [{ at: nowIso, status: plan.status, note: plan.status === 'open' ? 'review opened' : `review scheduled to open ${plan.openAt}` }],
        createdAt: nowIso,
        updatedAt: nowIso,
      };
      changes.push({ type: 'create', task });
      continue;
    }
    if (!plan) {
      if (current.status === 'scheduled' && ctx.held?.has(kind)) continue;
      if (current.status === 'scheduled') {
        changes.push({
          type: 'update',
          before: current,
          after: withHistory({ ...current, status: 'cancelled', updatedAt: nowIso }, nowIso, 'cancelled: the signals cleared before the review opened'),
        });
      } else if (!current.signalsCleared) {
        changes.push({
          type: 'update',
          before: current,
          after: withHistory({ ...current, signalsCleared: true, updatedAt: nowIso }, nowIso, 'the signals have cleared; the review stays open for a decision'),
        });
      }
      continue;
    }
    // The plan targets a term whose review was already decided (the contract's end moved back to
    // it): that decision stands, one review per term end, so this review has nothing left to
    // time and is cancelled rather than moved into the decided one's slot.
    const decidedThere = existing.find((t) => t !== current && t.status === 'decided' && targetSlot(t) === targetSlot(plan));
    if (decidedThere && targetSlot(current) !== targetSlot(plan)) {
      changes.push({
        type: 'update',
        before: current,
        after: withHistory(
          { ...current, status: 'cancelled', updatedAt: nowIso },
          nowIso,
          `cancelled: the review is now about ${slotLabel(plan)}, whose review ${decidedThere.id} was already decided`,
        ),
      });
      continue;
    }
    const after = applyPlan(current, plan, ctx.evidence, nowIso);
    if (!sameTask(current, after)) {
      changes.push({ type: targetSlot(current) === targetSlot(after) ? 'update' : 'move', before: current, after });
    }
  }
  return changes;
}

function applyPlan(task: Task, plan: ReviewPlan, evidence: Record<string, unknown>, nowIso: string, returnNote?: string): Task {
  // A review opened only because the term could not be timed (no contract, or an ended one)
  // goes back to waiting for its window once the contract is on record; any other open review
  // stays open until it is decided.
  const untimed = task.track === 'no_contract' || task.track === 'contract_ended';
  const reschedule = task.status === 'open' && untimed && plan.status === 'scheduled';
  const wasOpen = task.status === 'open' && !reschedule;
  const status = wasOpen ? 'open' : plan.status;
  const moved = targetSlot(task) !== targetSlot(plan);
  // An open review keeps the time it opened; one opened "now" (no contract) is not re-timed each evaluation.
  const keepTiming = wasOpen && !moved && (plan.track === 'no_contract' || plan.track === 'contract_ended');
  const next: Task = {
    ...task,
    status,
    reasons: plan.reasons,
    openAt: wasOpen ? task.openAt : plan.openAt,
    dueAt: keepTiming ? task.dueAt : plan.dueAt,
    track: plan.track,
    evidence,
    updatedAt: nowIso,
  };
  delete next.signalsCleared;
  if (plan.targetEnd) next.targetEnd = plan.targetEnd;
  else delete next.targetEnd;
  if (plan.noticeDeadline) next.noticeDeadline = plan.noticeDeadline;
  else delete next.noticeDeadline;
  if (plan.causeInvoiceId) next.causeInvoiceId = plan.causeInvoiceId;
  else delete next.causeInvoiceId;
  let result = next;
  if (returnNote) result = withHistory(result, nowIso, `${returnNote}: review ${status === 'open' ? 'reopened' : 'rescheduled'}`);
  if (moved) {
    const note =
      task.kind === 'for_cause'
        ? `now about ${slotLabel(plan)} (was ${slotLabel(task)})`
        : `moved from term end ${task.targetEnd ?? '(none)'} to ${plan.targetEnd ?? '(none)'}`;
    result = withHistory(result, nowIso, note);
  }
  if (reschedule) result = withHistory(result, nowIso, `contract on record: review rescheduled to open ${plan.openAt}`);
  if (!wasOpen && status === 'open') result = withHistory(result, nowIso, 'review opened');
  return sameTask(task, result) ? task : result;
}

/** The n of a task id `<account>~r<n>` (creation order within the account). */
function taskOrdinal(task: Task): number {
  const match = /~(?:r|fc)(\d+)$/.exec(task.id);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

function withHistory(task: Task, at: string, note: string): Task {
  return { ...task, history: [...task.history, { at, status: task.status, note }] };
}

/** Equal apart from bookkeeping (updatedAt). */
function sameTask(a: Task, b: Task): boolean {
  const strip = ({ updatedAt: _u, ...rest }: Task) => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
