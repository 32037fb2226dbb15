import type { Policy } from '../domain/policy.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { LatePaymentProfile } from '../domain/late-payment.ts';
import { reconcileReviews, type ReviewChange, type Task } from '../domain/review.ts';
import { assessAccount, latePaymentSummary, profitabilitySummary, settlePlans, settleReminders, type AccountFlag } from '../domain/assessment.ts';
import type { ReminderDue } from '../domain/reminders.ts';
import type { Store } from '../store/client.ts';
import { retryOptimistic } from '../store/optimistic.ts';
import { isConcurrentUpdate } from '../store/revision.ts';
import {
  accountFactsFromItems,
  ConcurrentUpdateError,
  deferEvaluation,
  loadAccountPartition,
  saveEvaluation,
  type AccountFacts,
  type Evaluation,
  type AccountRecord,
} from '../store/account.ts';
import { reviewChangeItems, taskIdFor } from '../store/task.ts';
import { notificationPut } from '../store/notification.ts';
import { renewalReminderNotification, reviewOpenedNotification } from './notifications.ts';
import { logger } from '../powertools.ts';

// The rules live in domain/assessment.ts; `assessAccount` stays importable from here.
export { assessAccount, type Assessment } from '../domain/assessment.ts';

export interface EvaluationDeps {
  store: Store;
  policy: Policy;
}

export interface AccountEvaluation {
  accountId: string;
  flags: AccountFlag[];
  latePayment: LatePaymentProfile;
  reviewChanges: ReviewChange[];
  /** The renewal reminder this evaluation recorded, if one fell due. */
  reminderSent?: ReminderDue;
  changed: boolean;
}

/**
 * Re-derives an account's signals and reviews from its stored facts and stores the result.
 * 1. Read the account's partition in one Query: the account item (its facts revision) and every fact.
 * 2. Apply the pure rules at `now`: late-payment profile and flags; the timing rule's plans.
 * 3. Reconcile the review tasks with the plans (create, move, open, cancel).
 * 4. Store flags, summary, renewal deadline and the next time anything changes by time alone,
 *    with the review changes, in one transaction that holds only if no fact was written
 *    meanwhile; otherwise start again from 1.
 * Writes nothing when the stored evaluation is already this one.
 */
export async function evaluateAccount(deps: EvaluationDeps, accountId: string, now: Date, options: { settle?: boolean } = {}): Promise<AccountEvaluation> {
  return retryOptimistic(
    async () => {
      const { account, items } = await loadAccountPartition(deps.store, accountId);
      const planned = planEvaluation(deps, accountId, account, accountFactsFromItems(items.values()), account?.factsRev ?? 0, now, options);
      if (!planned.save) return planned.result;
      await saveEvaluation(deps.store, accountId, planned.save.readRev, planned.save.previousFlags, planned.save.evaluation, planned.save.items);
      return planned.result;
    },
    { isRace: isConcurrentUpdate },
  );
}

/**
 * The evaluation after a person's write (a contract, a signal, overrides, a cost), which stands
 * whatever happens here. When other writers keep changing the account through every retry
 * (ConcurrentUpdateError), the request still succeeds with the evaluation `pending`: the writers
 * that won evaluate the account from facts that include this write, and the account is also put
 * on the due-work index for now, so the next sweep evaluates it whatever they do. Answering 409
 * instead would invite a retry of a write that went in.
 */
export async function evaluateAfterWrite(deps: EvaluationDeps, accountId: string, now: Date): Promise<AccountEvaluation | 'pending'> {
  try {
    return await evaluateAccount(deps, accountId, now);
  } catch (error) {
    if (!(error instanceof ConcurrentUpdateError)) throw error;
    logger.warn('evaluation after a write kept losing to other writers; left to the next sweep', { accountId });
    await deferEvaluation(deps.store, accountId, now.toISOString()).catch((deferError: unknown) =>
      logger.warn('could not put the account on the due-work index; the winning writers evaluate it', { accountId, error: deferError as Error }),
    );
    return 'pending';
  }
}

/** An evaluation made in memory: its result, and what to store unless the stored one is already it. */
export interface PlannedEvaluation {
  result: AccountEvaluation;
  save?: {
    /** The account's facts revision that was read (the write's condition). */
    readRev: number;
    previousFlags: AccountFlag[];
    evaluation: Evaluation;
    /** Review changes and notifications that commit with the evaluation. */
    items: Array<Record<string, unknown>>;
  };
}

/**
 * Steps 2–3 of an evaluation (pure but for the ids of audit records): from the account item as
 * read, the facts, and the facts revision those facts stand at (`factsRev`, one past the stored
 * revision when the caller writes a new fact with the evaluation).
 */
export function planEvaluation(
  deps: EvaluationDeps,
  accountId: string,
  account: AccountRecord | undefined,
  facts: AccountFacts,
  factsRev: number,
  now: Date,
  options: { settle?: boolean } = {},
): PlannedEvaluation {
  const nowIso = now.toISOString();
  const assessed = assessAccount(facts, accountId, deps.policy, now, account?.flagSince ?? {}, account?.remindersSent ?? []);
  const { latePayment, profit, flags, flagSince, plans, upcoming, policy } = assessed;
  const tasks = facts.tasks.map((t) => t.task);
  const settled = options.settle ? settlePlans(plans, tasks, now, policy) : { plans, held: new Set<Task['kind']>() };
  const changes = reconcileReviews(tasks, settled.plans, {
    accountId,
    now,
    evidence: assessed.evidence,
    held: settled.held,
    newId: newTaskIds(accountId, tasks),
    ...(policy.owners.default ? { owner: policy.owners.default } : {}),
  });
  const summary = {
    latePayment: latePaymentSummary(latePayment),
    profitability: profitabilitySummary(profit),
    ...(upcoming ? { contract: upcoming } : {}),
  };
  const { reminders, nextEvalAt, remindersSent } = settleReminders(assessed, account, now, options.settle === true, settled.held.size > 0);
  if (
    account &&
    changes.length === 0 &&
    !reminders.due &&
    canonicalJson(account.remindersSent) === canonicalJson(remindersSent) &&
    isCurrent(account, factsRev, flags, flagSince, summary, nextEvalAt)
  ) {
    return { result: { accountId, flags, latePayment, reviewChanges: [], changed: false } };
  }
  const revs = new Map(facts.tasks.map((t) => [t.task.id, t.rev]));
  const items = reviewChangeItems(deps.store, changes, revs, (task) =>
    reviewOpenedNotification(task, { accountName: account?.name, flags, contract: upcoming, now }),
  );
  if (reminders.due && upcoming) {
    // The tasks as this evaluation leaves them (a review it cancels is not the reminder's).
    const after = new Map(tasks.map((t) => [t.id, t]));
    for (const c of changes) after.set(c.type === 'create' ? c.task.id : c.after.id, c.type === 'create' ? c.task : c.after);
    const openTask = [...after.values()].find((t) => t.status === 'open' || t.status === 'scheduled');
    items.push({
      Put: notificationPut(
        deps.store,
        renewalReminderNotification(reminders.due, {
          accountId,
          accountName: account?.name,
          flags,
          renewal: upcoming.renewal,
          reasons: [...latePayment.reasons, ...profit.reasons],
          taskId: openTask?.id,
          now,
          timeZone: deps.policy.timeZone,
        }),
      ),
    });
  }
  return {
    result: { accountId, flags, latePayment, reviewChanges: changes, ...(reminders.due ? { reminderSent: reminders.due } : {}), changed: true },
    save: {
      readRev: account?.factsRev ?? 0,
      previousFlags: account?.flags ?? [],
      evaluation: {
        flags,
        flagSince,
        remindersSent,
        summary,
        evaluatedAt: nowIso,
        ...(nextEvalAt ? { nextEvalAt } : {}),
        ...(upcoming && !upcoming.noticeDeadlinePassed ? { renewal: { noticeDeadline: upcoming.noticeDeadline } } : {}),
      },
      items,
    },
  };
}

function isCurrent(
  account: AccountRecord,
  factsRev: number,
  flags: AccountFlag[],
  flagSince: Record<string, string>,
  summary: Record<string, unknown>,
  nextEvalAt: string | undefined,
): boolean {
  return (
    account.evaluatedRev === factsRev &&
    canonicalJson(account.flags) === canonicalJson(flags) &&
    canonicalJson(account.flagSince) === canonicalJson(flagSince) &&
    canonicalJson(account.summary) === canonicalJson(summary) &&
    account.nextEvalAt === nextEvalAt
  );
}

/** Ids for new tasks: the account's n-th task of a kind, so two racing evaluations pick the same id. */
function newTaskIds(accountId: string, tasks: readonly Task[]): (kind: Task['kind']) => string {
  const counts = { review: 0, for_cause: 0 };
  for (const t of tasks) counts[t.kind]++;
  return (kind) => taskIdFor(accountId, kind, ++counts[kind]);
}
