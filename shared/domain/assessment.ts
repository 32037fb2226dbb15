import * as z from '../zod.ts';
import type { Contract } from './contract.ts';
import type { CostEntry } from './cost.ts';
import { addUtcDays, DAY_MS, utcDay, utcDayStart } from './days.ts';
import type { InvoiceFacts } from './invoice.ts';
import { latePaymentProfile, type LatePaymentProfile } from './late-payment.ts';
import type { Policy } from './policy.ts';
import { profitability, type ProfitabilityInput, type ProfitabilityResult } from './profitability.ts';
import { selectFixedMonthlyCosts, type SubscriptionPlans } from './fixed-costs.ts';
import { accountPolicy, activeOverrides, type HumanSignal, type Overrides } from './account-inputs.ts';
import type { DisputeFact, RefundFact } from './revenue.ts';
import type { Task } from './review.ts';
import { noticeDeadline, planReviews, upcomingTerm, type ForCauseTrigger, type PlanSignal, type ReviewPlan } from './timing.ts';
import { planReminders } from './reminders.ts';

/**
 * What the rules say about one account, from its facts and a `now` (pure): the flags, the
 * evidence a review carries, the for-cause trigger, the contract as people see it, the review
 * plans and when any of it next changes with time alone. The use case `evaluateAccount` reads
 * the facts, calls `assessAccount`, reconciles the reviews with its plans and writes the result.
 */

/** The flags an evaluation raises on an account (`GET /accounts?flag=` lists the accounts carrying one). */
export const accountFlagSchema = z.enum(['late_payer', 'unprofitable', 'disputes']);
export type AccountFlag = z.infer<typeof accountFlagSchema>;

/** The facts of an account the rules read (the store's partition read gives these and more). */
export interface AssessmentFacts {
  invoices: ReadonlyArray<{ facts: InvoiceFacts }>;
  refunds: RefundFact[];
  disputes: DisputeFact[];
  costs: CostEntry[];
  contract?: { contract: Contract } | undefined;
  signals: readonly HumanSignal[];
  overrides?: Overrides | undefined;
  /** Each Stripe subscription's plans (for fixed monthly costs by plan). */
  subscriptionPlans: readonly SubscriptionPlans[];
}

/** Accounts with money facts are re-checked this often: the trailing margin window slides with time. */
const PROFITABILITY_RECHECK_MS = 7 * DAY_MS;

/** The flags an account carries, from the pure rules' results. */
export function deriveFlags(latePayment: LatePaymentProfile, profit?: ProfitabilityResult): AccountFlag[] {
  const flags: AccountFlag[] = [];
  if (latePayment.latePayer) flags.push('late_payer');
  if (profit?.unprofitable) flags.push('unprofitable');
  if (profit?.disputeSignal.flagged) flags.push('disputes');
  return flags;
}

/** Profitability of an account from its stored revenue and cost facts (pure; trailing window at `now`). */
export function accountProfitability(facts: AssessmentFacts, accountId: string, policy: Policy, now: Date): ProfitabilityResult {
  return profitability(profitabilityInput(facts, accountId, policy, now));
}

/** The profitability rule's input from an account's stored facts (the monthly view reads the same). */
export function profitabilityInput(facts: AssessmentFacts, accountId: string, policy: Policy, now: Date): ProfitabilityInput {
  return {
    paidInvoices: facts.invoices.flatMap(({ facts: f }) =>
      f.paidAt && f.amountPaid > 0 ? [{ invoiceId: f.invoiceId, currency: f.currency, amountPaid: f.amountPaid, paidAt: f.paidAt }] : [],
    ),
    refunds: facts.refunds,
    disputes: facts.disputes,
    costs: facts.costs,
    fixedMonthlyCosts: selectFixedMonthlyCosts(policy, { accountId, plans: facts.subscriptionPlans.filter((p) => p.live).flatMap((p) => p.planIds) }),
    firstActivityAt: facts.invoices
      .map((i) => i.facts.finalizedAt)
      .filter((t): t is string => t !== undefined)
      .sort()[0],
    policy,
    now,
  };
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
  const at = new Date(now.getTime() - (unpaid.daysLate - cureDays) * DAY_MS).toISOString();
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
  facts: AssessmentFacts,
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
    profit.rows.length > 0 ? utcDayStart(utcDay(now.getTime() + PROFITABILITY_RECHECK_MS + DAY_MS)) : undefined,
    // When the notice deadline passes, an auto or evergreen contract rolls to its next term.
    term ? new Date(term.dueAt.getTime() + 1).toISOString() : undefined,
    // The next renewal reminder.
    reminders.nextAt,
    // Human signals leave the window; overrides lapse the day after their `until`.
    ...humanSignals.map((s) => new Date(Date.parse(s.at) + signalWindowMs + 1).toISOString()),
    ...[...overrides.exclusions, ...overrides.invoiceHolds].flatMap((o) => (o.until ? [utcDayStart(addUtcDays(o.until, 1))] : [])),
  ]);
  return { policy, overrides, latePayment, profit, flags, flagSince, humanSignals, plans, upcoming, reminders, evidence, nextChangeAt };
}

/**
 * For evaluations triggered by Stripe events, the review changes wait for the settle period
 * (the sweep's evaluation then applies them, if the signals still say so):
 * - a review the rule would open now is scheduled to open after the settle period instead. An
 *   already scheduled settle time is kept, so a stream of events does not keep pushing it. The
 *   settle never runs past a deadline: a review timed to a term end whose due time (the notice
 *   deadline, or a fixed term's end) falls within the settle period opens at once, since waiting
 *   would open it after the last day on which notice can be given;
 * - a scheduled review whose signals cleared is held as it is (`held`), not cancelled: a burst
 *   of out-of-order events that flags an account for a moment neither cancels and reschedules
 *   its review each time nor leaves it cancelled on a passing state. The account is evaluated
 *   again at the settle time (settleReminders), which cancels it if the signals are still clear.
 */
export function settlePlans(plans: ReviewPlan[], tasks: readonly Task[], now: Date, policy: Policy): { plans: ReviewPlan[]; held: Set<Task['kind']> } {
  const settleMs = policy.reviewSettleMinutes * 60_000;
  const held = new Set<Task['kind']>();
  if (settleMs === 0) return { plans, held };
  for (const task of tasks) {
    if (task.status === 'scheduled' && !plans.some((p) => p.kind === task.kind) && !tasks.some((t) => t.kind === task.kind && t.status === 'pending_approval'))
      held.add(task.kind);
  }
  const settled = plans.map((plan): ReviewPlan => {
    if (plan.status !== 'open') return plan;
    const current = tasks.find((t) => t.kind === plan.kind && (t.status === 'open' || t.status === 'scheduled'));
    if (current?.status === 'open') return plan;
    // Only a settle time (within the settle period) is kept: a review scheduled months ahead by the
    // timing rule that should now open is settled from now, whichever event came first.
    const pending =
      current && Date.parse(current.openAt) > now.getTime() && Date.parse(current.openAt) <= now.getTime() + settleMs ? current.openAt : undefined;
    const openAt = pending ?? new Date(now.getTime() + settleMs).toISOString();
    if (plan.targetEnd !== undefined && openAt >= plan.dueAt) return plan;
    // Plans without a term end (no contract, for cause) are due at once only nominally.
    // biome-ignore lint/complexity/useMathMinMax: ISO timestamps compared as strings, not numbers
    return { ...plan, status: 'scheduled', openAt, dueAt: plan.dueAt < openAt ? openAt : plan.dueAt };
  });
  return { plans: settled, held };
}

/**
 * The renewal reminder an evaluation records, the reminder keys it keeps, and when the account
 * is next evaluated. Reminders are sent to people and cannot be taken back: like reviews, those
 * that Stripe events would send now (`settle`) wait for the settle period (the sweep sends them,
 * from the settled facts), so a burst of out-of-order events cannot send one about a passing
 * state. An already pending settle time (`previous.nextEvalAt`) is kept, so a stream of events
 * neither pushes it back nor rewrites the account each time. `holding`: a review change waits for
 * the settle time too (settlePlans' `held`), so the account is evaluated again then.
 */
export function settleReminders(
  assessed: Pick<Assessment, 'policy' | 'reminders' | 'nextChangeAt'>,
  previous: { nextEvalAt?: string | undefined; remindersSent?: readonly string[] | undefined } | undefined,
  now: Date,
  settle: boolean,
  holding = false,
) {
  const settleMs = assessed.policy.reviewSettleMinutes * 60_000;
  const deferReminders = settle && settleMs > 0 && (assessed.reminders.due !== undefined || assessed.reminders.skipped.length > 0);
  const reminders = deferReminders ? { skipped: [] as string[] } : assessed.reminders;
  const pending =
    previous?.nextEvalAt && Date.parse(previous.nextEvalAt) > now.getTime() && Date.parse(previous.nextEvalAt) <= now.getTime() + settleMs
      ? previous.nextEvalAt
      : undefined;
  const nextEvalAt =
    deferReminders || (settle && holding)
      ? earliest([assessed.nextChangeAt, pending ?? new Date(now.getTime() + settleMs).toISOString()])
      : assessed.nextChangeAt;
  // Keys of the current term are enough to send each reminder once; older ones are dropped.
  const remindersSent = [...new Set([...(previous?.remindersSent ?? []), ...reminders.skipped, ...(reminders.due ? [reminders.due.key] : [])])]
    .sort()
    .slice(-12);
  return { reminders, nextEvalAt, remindersSent };
}

/** The earliest of some instants (ISO 8601, all in UTC, so text order is time order). */
export function earliest(instants: Array<string | undefined>): string | undefined {
  return instants.filter((i): i is string => i !== undefined).sort()[0];
}
