import type { Policy } from '../domain/policy.ts';
import { NotFoundError } from '../errors.ts';
import type { AccountView } from '../schemas/accounts.ts';
import type { Store } from '../store/client.ts';
import { accountFactsFromItems, listAccountsByFlag, loadAccountPartition, type AccountFlag, type AccountRecord } from '../store/account.ts';
import { paymentHistory } from '../domain/late-payment.ts';
import { monthlyRevenueAndCost } from '../domain/monthly-profit.ts';
import { assessAccount, latePaymentSummary, profitabilityInput, profitabilitySummary } from '../domain/assessment.ts';

/** Months the account page's revenue-against-cost table covers. */
const MONTHLY_MONTHS = 12;

export class AccountNotFoundError extends NotFoundError {
  override readonly name = 'AccountNotFoundError';
}

/**
 * One account as finance sees it, derived live from its stored facts at `now` (so an invoice
 * crossing a threshold today shows today, before the sweep refreshes the stored flags).
 */
export async function getAccountView(deps: { store: Store; policy: Policy }, accountId: string, now: Date): Promise<AccountView> {
  // One Query of the partition: the account item and its facts, as an evaluation reads them.
  const { account, items } = await loadAccountPartition(deps.store, accountId);
  const facts = accountFactsFromItems(items.values());
  const invoices = facts.invoices;
  if (!account && invoices.length === 0) throw new AccountNotFoundError(`no account ${accountId}`);
  const assessed = assessAccount(facts, accountId, deps.policy, now, account?.flagSince ?? {});
  const { latePayment, profit } = assessed;
  return {
    id: accountId,
    ...(account?.name ? { name: account.name } : {}),
    ...(account?.deleted ? { deleted: true } : {}),
    flags: assessed.flags,
    latePayment: { ...latePaymentSummary(latePayment), evidence: latePayment.evidence },
    profitability: profitabilitySummary(profit),
    monthly: monthlyFor(profitabilityInput(facts, accountId, assessed.policy, now), deps.policy.timeZone, now),
    profitabilityEvidence: {
      reasons: profit.reasons,
      historyMonths: profit.historyMonths,
      topCosts: profit.evidence.topCosts,
      refunds: profit.evidence.refunds,
      disputes: profit.evidence.disputes,
      disputeSignal: profit.disputeSignal,
      ...(profit.converted ? { converted: profit.converted } : {}),
    },
    signals: assessed.humanSignals,
    ...(facts.overrides ? { overrides: facts.overrides } : {}),
    ...(assessed.upcoming ? { contract: assessed.upcoming } : {}),
    // The account's policy (its overrides on the watcher's): the grace line is the one it is judged by.
    paymentHistory: paymentHistory(
      invoices.map((i) => i.facts),
      assessed.policy,
      now,
    ),
    graceDays: assessed.policy.graceDays,
    openTasks: facts.tasks.filter((t) => t.task.status === 'open' || t.task.status === 'scheduled').map((t) => t.task.id),
    ...(account?.evaluatedAt ? { evaluatedAt: account.evaluatedAt } : {}),
  };
}

function monthlyFor(input: ReturnType<typeof profitabilityInput>, timeZone: string, now: Date) {
  return monthlyRevenueAndCost({
    paidInvoices: input.paidInvoices,
    costs: input.costs,
    fixedMonthlyCosts: input.fixedMonthlyCosts,
    firstActivityAt: input.firstActivityAt,
    timeZone,
    months: MONTHLY_MONTHS,
    now,
  });
}

/**
 * Accounts carrying a flag, from the stored evaluations (the sweep keeps them current), each with
 * its contract as of that evaluation (`evaluatedAt`): what a finance team needs beside a flag is
 * when the term ends and by when notice must be given.
 */
export async function listFlaggedAccounts(deps: { store: Store }, query: { flag: AccountFlag; limit: number; cursor?: string }) {
  const page = await listAccountsByFlag(deps.store, query.flag, query);
  return { items: page.items.map(toSummary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

function toSummary(record: AccountRecord) {
  const latePayment = record.summary?.latePayment ?? { invoiceCount: 0, lateInvoices: 0, maxDaysOverdue: 0, defaults: 0, reasons: [] };
  return {
    id: record.accountId,
    ...(record.name ? { name: record.name } : {}),
    ...(record.deleted ? { deleted: true } : {}),
    flags: record.flags,
    latePayment,
    profitability: record.summary?.profitability ?? [],
    // A contract view stored before a change of its shape reads as none (see the stored summary's
    // schema in store/account.ts) until the next evaluation rewrites it.
    ...(record.summary?.contract ? { contract: record.summary.contract } : {}),
    ...(record.evaluatedAt ? { evaluatedAt: record.evaluatedAt } : {}),
  };
}
