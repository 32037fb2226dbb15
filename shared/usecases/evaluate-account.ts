import type { Policy } from '../config/policy.ts';
import { latePaymentProfile, type LatePaymentProfile } from '../domain/late-payment.ts';
import { canonicalJson } from '../store/canonical-json.ts';
import type { Store } from '../store/client.ts';
import {
  ConcurrentUpdateError,
  getAccount,
  listInvoices,
  saveEvaluation,
  type AccountFlag,
} from '../store/account.ts';

const MAX_ATTEMPTS = 8;

export interface EvaluationDeps {
  store: Store;
  policy: Policy;
}

export interface AccountEvaluation {
  accountId: string;
  flags: AccountFlag[];
  latePayment: LatePaymentProfile;
  changed: boolean;
}

/** The flags an account carries, from the pure rules' results. */
export function deriveFlags(latePayment: LatePaymentProfile): AccountFlag[] {
  const flags: AccountFlag[] = [];
  if (latePayment.latePayer) flags.push('late_payer');
  return flags;
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

/**
 * Re-derives an account's signals from its stored facts and stores the result.
 * 1. Read the account's facts revision, then all its invoice facts.
 * 2. Apply the pure late-payment rule at `now`.
 * 3. Store flags, summary and the next time the result changes by time alone, on the condition
 *    that no fact was written meanwhile; otherwise start again from 1.
 * Writes nothing when the stored evaluation is already this one.
 */
export async function evaluateAccount(deps: EvaluationDeps, accountId: string, now: Date): Promise<AccountEvaluation> {
  for (let attempt = 1; ; attempt++) {
    const account = await getAccount(deps.store, accountId);
    const invoices = await listInvoices(deps.store, accountId);
    const latePayment = latePaymentProfile(
      invoices.map((i) => i.facts),
      deps.policy,
      now,
    );
    const flags = deriveFlags(latePayment);
    const summary = { latePayment: latePaymentSummary(latePayment) };
    const factsRev = account?.factsRev ?? 0;
    const unchanged =
      account !== undefined &&
      account.evaluatedRev === factsRev &&
      sameJson(account.flags, flags) &&
      sameJson(account.summary, summary) &&
      account.nextEvalAt === latePayment.nextChangeAt;
    if (unchanged) return { accountId, flags, latePayment, changed: false };
    try {
      await saveEvaluation(deps.store, accountId, factsRev, account?.flags ?? [], {
        flags,
        summary,
        evaluatedAt: now.toISOString(),
        ...(latePayment.nextChangeAt ? { nextEvalAt: latePayment.nextChangeAt } : {}),
      });
      return { accountId, flags, latePayment, changed: true };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
