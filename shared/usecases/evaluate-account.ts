import type { Policy } from '../domain/policy.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { Contract } from '../domain/contract.ts';
import { latePaymentProfile, type LatePaymentProfile } from '../domain/late-payment.ts';
import { reconcileReviews, type ReviewChange, type Task } from '../domain/review.ts';
import { noticeDeadline, planReviews, upcomingTerm, type ForCauseTrigger, type PlanSignal, type ReviewPlan } from '../domain/timing.ts';
import { profitability, selectFixedMonthlyCosts, type ProfitabilityResult } from '../domain/profitability.ts';
import { accountPolicy, activeOverrides } from '../domain/account-inputs.ts';
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
  type AccountFlag,
  type AccountRecord,
} from '../store/account.ts';
import { reviewChangeItems, taskIdFor } from '../store/task.ts';
import { renewalReminderNotification, reviewOpenedNotification } from './notifications.ts';
import { planReminders, type ReminderDue } from '../domain/reminders.ts';
import { notificationPut } from '../store/notification.ts';
import { logger } from '../powertools.ts';

const DAY_MS = 86_400_000;
const PROFITABILITY_RECHECK_MS = 7 * DAY_MS;

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

/** The flags an account carries, from the pure rules' results. */
export function deriveFlags(latePayment: LatePaymentProfile, profit?: ProfitabilityResult): AccountFlag[] {
  const flags: AccountFlag[] = [];
  if (latePayment.latePayer) flags.push('late_payer');
  if (profit?.unprofitable) flags.push('unprofitable');
  if (profit?.disputeSignal.flagged) flags.push('disputes');
  return flags;
}

/** Profitability of an account from its stored revenue and cost facts (pure; trailing window at `now`). */
export function accountProfitability(facts: AccountFacts, accountId: string, policy: Policy, now: Date): ProfitabilityResult {
  return profitability({
    paidInvoices: facts.invoices.flatMap(({ facts: f }) =>
      f.paidAt && f.amountPaid > 0 ? [{ invoiceId: f.invoiceId, currency: f.currency, amountPaid: f.amountPaid, paidAt: f.paidAt }] : [],
    ),
    refunds: facts.refunds,
    disputes: facts.disputes,
    costs: facts.costs,
    fixedMonthlyCosts: selectFixedMonthlyCosts(policy, { accountId, plans: facts.subscriptionPlans.filter((p) => p.live).flatMap((p) => p.planIds) }),
    firstActivityAt: facts.invoices.map((i) => i.facts.finalizedAt).filter((t): t is string => t !== undefined).sort()[0],
    policy,
    now,
  });
}

/** The rows the account view and lists show. */
export function profitabilitySummary(profit: ProfitabilityResult) {
  return profit.rows.map((r) => ({ currency: r.currency, revenue: r.revenue, cost: r.cost, margin: r.margin, marginPct: r.marginPct }));
}

/** The part of a late-payment profile kept on the account item for lists (evidence stays derivable). */
export function latePaymentSummary(profile: LatePaymentProfile) {
  return {
    invoiceCount: profile.invoiceCount,
    lateInvoices: profile.lateInvoices,
    maxDaysOverdue: profile.maxDaysOverdue,
    defaults: profile.defaults,
    reasons: profile.reasons,
  };
}

/** The evidence a review carries: which invoices were late and by how much, and why each flag holds. */
function reviewEvidence(latePayment: LatePaymentProfile, profit: ProfitabilityResult, flags: readonly AccountFlag[], policy: Policy): Record<string, unknown> {
  return {
    // The same counts as the account's `latePayment` (lateInvoices is a count there and here), with
    // the late and defaulted invoices themselves listed under `evidence`.
    latePayment: {
      ...latePaymentSummary(latePayment),
      evidence: latePayment.evidence.filter((e) => e.default || e.daysLate > policy.graceDays),
    },
    ...(flags.includes('unprofitable') || flags.includes('disputes')
      ? {
          profitability: {
            rows: profitabilitySummary(profit),
            reasons: profit.reasons,
            topCosts: profit.evidence.topCosts,
            refunds: profit.evidence.refunds,
            disputes: profit.evidence.disputes,
            disputeSignal: profit.disputeSignal,
          },
        }
      : {}),
  };
}

/**
 * The for-cause trigger: an invoice unpaid past the cure period, the contract's own (domain.md:
 * "unpaid past the contract's cure period") or else the policy's. Only read when the policy
 * enables the track.
 */
function forCauseTrigger(latePayment: LatePaymentProfile, policy: Policy, now: Date, contract: Contract | undefined): ForCauseTrigger | undefined {
  if (!policy.forCause.enabled) return undefined;
  const cureDays = contract?.cureDays ?? policy.forCause.cureDays;
  const unpaid = latePayment.evidence
    .filter((e) => (e.status === 'open' || e.status === 'uncollectible') && e.daysLate > cureDays)
    .sort((a, b) => b.daysLate - a.daysLate)[0];
  if (!unpaid) return undefined;
  const at = new Date(now.getTime() - (unpaid.daysLate - cureDays) * 86_400_000).toISOString();
  const whose = contract?.cureDays !== undefined ? "the contract's" : "the policy's";
  return {
    at,
    reason: `invoice ${unpaid.number ?? unpaid.invoiceId} unpaid ${unpaid.daysLate} days past due (${whose} cure period: ${cureDays} days)`,
    invoiceId: unpaid.invoiceId,
  };
}

/**
 * The contract as the account view and the renewals list show it, with its notice deadline: the
 * upcoming term's (rolled forward for auto and evergreen terms), or, for a fixed term whose
 * deadline has passed, that passed deadline (`noticeDeadlinePassed`; no upcoming term).
 */
export function contractView(contract: Contract, policy: Policy, now: Date) {
  const upcoming = upcomingTerm(contract, policy, now);
  return {
    endDate: contract.endDate,
    noticeDays: contract.noticeDays ?? policy.noticeDays,
    renewal: contract.renewal,
    ...(contract.renewalTermMonths !== undefined ? { renewalTermMonths: contract.renewalTermMonths } : {}),
    ...(contract.cureDays !== undefined ? { cureDays: contract.cureDays } : {}),
    source: contract.source,
    noticeDeadline: upcoming?.noticeDeadline ?? noticeDeadline(contract, policy),
    noticeDeadlinePassed: upcoming === null,
    upcomingTermEnd: upcoming?.termEnd ?? null,
  };
}

export type Assessment = ReturnType<typeof assessAccount>;

/**
 * Everything the rules say about an account at `now`, from its facts alone (pure): the
 * account's policy (with its overrides), late-payment profile (held invoices left out),
 * profitability, flags (excluded signals dropped), human signals in force, the review plans
 * (none when the account is excluded from all reviews; an abusive client's review opens now),
 * the evidence a review carries, and when any of it next changes with time alone.
 */
export function assessAccount(
  facts: AccountFacts,
  accountId: string,
  basePolicy: Policy,
  now: Date,
  previousFlagSince: Record<string, string>,
  previousRemindersSent: readonly string[] = [],
) {
  const nowIso = now.toISOString();
  const overrides = activeOverrides(facts.overrides, now, basePolicy.timeZone);
  const policy = accountPolicy(basePolicy, overrides);
  const held = new Set(overrides.invoiceHolds.map((h) => h.invoiceId));
  const latePayment = latePaymentProfile(
    facts.invoices.filter((i) => !held.has(i.facts.invoiceId)).map((i) => i.facts),
    policy,
    now,
  );
  const profit = accountProfitability(facts, accountId, policy, now);
  const excluded = new Set<string>(overrides.exclusions.map((e) => e.scope));
  const flags = deriveFlags(latePayment, profit).filter((f) => !excluded.has(f));
  const flagSince = Object.fromEntries(flags.map((f) => [f, previousFlagSince[f] ?? nowIso]));
  const signalWindowMs = policy.latePayer.windowDays * DAY_MS;
  const humanSignals = facts.signals.filter((s) => Date.parse(s.at) > now.getTime() - signalWindowMs && !excluded.has(s.signal));
  const signals: PlanSignal[] = [
    ...flags.map((flag) => ({ reason: flag, at: flagSince[flag]! })),
    ...humanSignals.map((s) => ({ reason: s.signal, at: s.at })),
  ];
  const contract = facts.contract?.contract;
  let plans = excluded.has('all')
    ? []
    : planReviews({ ...(contract ? { contract } : {}), signals, policy, now, forCauseTrigger: forCauseTrigger(latePayment, policy, now, contract) });
  // An abusive client is reviewed now, still targeting the term end.
  if (humanSignals.some((s) => s.signal === 'abusive')) {
    plans = plans.map((p) => (p.kind === 'review' && p.status === 'scheduled' ? { ...p, status: 'open', openAt: nowIso } : p));
  }
  const upcoming = contract ? contractView(contract, policy, now) : undefined;
  const term = contract ? upcomingTerm(contract, policy, now) : null;
  const reminders = contract ? planReminders({ contract, policy, now, recorded: new Set(previousRemindersSent) }) : { skipped: [] };
  const evidence = {
    ...reviewEvidence(latePayment, profit, flags, policy),
    ...(humanSignals.length > 0 ? { humanSignals } : {}),
    ...(overrides.exclusions.length + overrides.invoiceHolds.length > 0 || Object.keys(overrides.policy).length > 0 ? { overrides } : {}),
  };
  const nextChangeAt = earliest([
    latePayment.nextChangeAt,
    // The trailing margin window slides with time: accounts with money facts are re-checked weekly.
    // Rounded up to a UTC day so re-evaluating with no new facts writes nothing.
    profit.rows.length > 0 ? `${new Date(now.getTime() + PROFITABILITY_RECHECK_MS + DAY_MS).toISOString().slice(0, 10)}T00:00:00.000Z` : undefined,
    // When the notice deadline passes, an auto or evergreen contract rolls to its next term.
    term ? new Date(term.dueAt.getTime() + 1).toISOString() : undefined,
    // The next renewal reminder.
    reminders.nextAt,
    // Human signals leave the window; overrides lapse the day after their `until`.
    ...humanSignals.map((s) => new Date(Date.parse(s.at) + signalWindowMs + 1).toISOString()),
    ...[...overrides.exclusions, ...overrides.invoiceHolds].flatMap((o) => (o.until ? [`${nextDay(o.until)}T00:00:00.000Z`] : [])),
  ]);
  return { policy, overrides, latePayment, profit, flags, flagSince, humanSignals, plans, upcoming, reminders, evidence, nextChangeAt };
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
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
export async function evaluateAccount(
  deps: EvaluationDeps,
  accountId: string,
  now: Date,
  options: { settle?: boolean } = {},
): Promise<AccountEvaluation> {
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
  const changes = reconcileReviews(tasks, options.settle ? settlePlans(plans, tasks, now, policy) : plans, {
    accountId,
    now,
    evidence: assessed.evidence,
    newId: newTaskIds(accountId, tasks),
    ...(policy.owners.default ? { owner: policy.owners.default } : {}),
  });
  const summary = {
    latePayment: latePaymentSummary(latePayment),
    profitability: profitabilitySummary(profit),
    ...(upcoming ? { contract: upcoming } : {}),
  };
  // Reminders are sent to people and cannot be taken back: like reviews, those that Stripe
  // events would send now wait for the settle period (the sweep sends them, from the settled
  // facts), so a burst of out-of-order events cannot send one about a passing state.
  const settleMs = policy.reviewSettleMinutes * 60_000;
  const deferReminders = options.settle === true && settleMs > 0 && (assessed.reminders.due !== undefined || assessed.reminders.skipped.length > 0);
  const reminders = deferReminders ? { skipped: [] as string[] } : assessed.reminders;
  // An already pending settle time is kept, so a stream of events neither pushes it back nor
  // rewrites the account each time.
  const pending = account?.nextEvalAt && Date.parse(account.nextEvalAt) > now.getTime() && Date.parse(account.nextEvalAt) <= now.getTime() + settleMs ? account.nextEvalAt : undefined;
  const nextEvalAt = deferReminders ? earliest([assessed.nextChangeAt, pending ?? new Date(now.getTime() + settleMs).toISOString()]) : assessed.nextChangeAt;
  // Keys of the current term are enough to send each reminder once; older ones are dropped.
  const remindersSent = [...new Set([...(account?.remindersSent ?? []), ...reminders.skipped, ...(reminders.due ? [reminders.due.key] : [])])]
    .sort()
    .slice(-12);
  if (account && changes.length === 0 && !reminders.due && canonicalJson(account.remindersSent) === canonicalJson(remindersSent) && isCurrent(account, factsRev, flags, flagSince, summary, nextEvalAt)) {
    return { result: { accountId, flags, latePayment, reviewChanges: [], changed: false } };
  }
  const revs = new Map(facts.tasks.map((t) => [t.task.id, t.rev]));
  const items = reviewChangeItems(deps.store, changes, revs, (task) =>
    reviewOpenedNotification(task, { accountName: account?.name, flags, contract: upcoming, now }),
  );
  if (reminders.due && upcoming) {
    const openTask = [...tasks, ...changes.map((c) => (c.type === 'create' ? c.task : c.after))].find((t) => t.status === 'open' || t.status === 'scheduled');
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

/**
 * For evaluations triggered by Stripe events: a review the rule would open now is scheduled to
 * open after the settle period instead (the sweep opens it then, if the signals still hold).
 * An already scheduled settle time is kept, so a stream of events does not keep pushing it.
 * The settle never runs past a deadline: a review timed to a term end whose due time (the notice
 * deadline, or a fixed term's end) falls within the settle period opens at once, since waiting
 * would open it after the last day on which notice can be given.
 */
function settlePlans(plans: ReviewPlan[], tasks: readonly Task[], now: Date, policy: Policy): ReviewPlan[] {
  const settleMs = policy.reviewSettleMinutes * 60_000;
  if (settleMs === 0) return plans;
  return plans.map((plan) => {
    if (plan.status !== 'open') return plan;
    const current = tasks.find((t) => t.kind === plan.kind && (t.status === 'open' || t.status === 'scheduled'));
    if (current?.status === 'open') return plan;
    // Only a settle time (within the settle period) is kept: a review scheduled months ahead by the
    // timing rule that should now open is settled from now, whichever event came first.
    const pending = current && Date.parse(current.openAt) > now.getTime() && Date.parse(current.openAt) <= now.getTime() + settleMs ? current.openAt : undefined;
    const openAt = pending ?? new Date(now.getTime() + settleMs).toISOString();
    if (plan.targetEnd !== undefined && openAt >= plan.dueAt) return plan;
    // Plans without a term end (no contract, for cause) are due at once only nominally.
    return { ...plan, status: 'scheduled', openAt, dueAt: plan.dueAt < openAt ? openAt : plan.dueAt };
  });
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

function earliest(instants: Array<string | undefined>): string | undefined {
  return instants.filter((i): i is string => i !== undefined).sort()[0];
}

/** Ids for new tasks: the account's n-th task of a kind, so two racing evaluations pick the same id. */
function newTaskIds(accountId: string, tasks: readonly Task[]): (kind: Task['kind']) => string {
  const counts = { review: 0, for_cause: 0 };
  for (const t of tasks) counts[t.kind]++;
  return (kind) => taskIdFor(accountId, kind, ++counts[kind]);
}
