import type { Policy } from '../domain/policy.ts';
import type { Overrides, SignalBody } from '../domain/account-inputs.ts';
import { recordSignal, saveOverrides } from '../store/account-inputs.ts';
import type { Store } from '../store/client.ts';
import { evaluateAfterWrite } from './evaluate-account.ts';

type Deps = { store: Store; policy: Policy };

/**
 * Records a human signal (audited) and re-evaluates the account: the signal becomes a review
 * reason through the timing rule; `abusive` opens the review now. With an idempotencyKey, a
 * retry returns the first signal (`replayed`) instead of recording a second.
 */
export async function addSignal(deps: Deps, input: { accountId: string; body: SignalBody; actor: string; now: Date }) {
  const { signal, replayed } = await recordSignal(deps.store, input.accountId, input.body, input.actor, input.now.toISOString());
  // A replay evaluates too: the first request may have stopped between its write and its evaluation.
  const evaluation = await evaluateAfterWrite(deps, input.accountId, input.now);
  if (evaluation === 'pending') return { ...signal, replayed, reviewChanges: [], evaluationPending: true as const };
  return { ...signal, replayed, reviewChanges: evaluation.reviewChanges.map((c) => ({ type: c.type, taskId: c.type === 'create' ? c.task.id : c.after.id })) };
}

/** Replaces the account's overrides (audited) and re-evaluates it, so exclusions and holds apply at once. */
export async function replaceOverrides(deps: Deps, input: { accountId: string; overrides: Overrides; actor: string; now: Date }) {
  await saveOverrides(deps.store, input.accountId, input.overrides, input.actor, input.now.toISOString());
  await evaluateAfterWrite(deps, input.accountId, input.now);
  return input.overrides;
}
