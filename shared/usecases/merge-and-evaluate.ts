import {
  accountFactsFromItems,
  accountConditionCheck,
  accountRecordSchema,
  customerFactsChange,
  customerVersionGuard,
  customerFactsUpdate,
  evaluationWrite,
  isStaleCustomer,
  loadAccountPartition,
  saveCustomerFacts,
  saveEvaluations,
  type AccountRecord,
  type CustomerFacts,
  type EvaluationWrite,
} from '../store/account.ts';
import { CONTRACT_SK, contractFromItem, stripeContractChange, type StripeContractChange } from '../store/contract.ts';
import { listContractSources } from '../store/contract-source.ts';
import type { Contract } from '../domain/contract.ts';
import type { StripeTermsObject } from '../stripe/terms-in-force.ts';
import { MAX_TRANSACTION_ITEMS } from '../store/client.ts';
import { retryOptimistic } from '../store/optimistic.ts';
import { isConcurrentUpdate } from '../store/revision.ts';
import { factKey, mergeFact, planFactMerge, type FactKind, type FactWrite } from '../store/facts.ts';
import { evaluateAccount, planEvaluation, type AccountEvaluation, type EvaluationDeps } from './evaluate-account.ts';

/** One observed fact of some kind, ready to be merged into an account's partition. */
export interface Observation {
  sk: (accountId: string) => string;
  plan: (deps: EvaluationDeps, accountId: string, storedItem: Record<string, unknown> | undefined, expectedRev: number | undefined) => FactWrite | undefined;
  /** The same merge as its own write (read, merge, transaction with the facts revision). */
  mergeAlone: (deps: EvaluationDeps, accountId: string) => Promise<boolean>;
}

export function observation<T>(kind: FactKind<T>, observed: T): Observation {
  return {
    sk: (accountId) => factKey(kind, accountId, kind.idOf(observed)).sk,
    plan: (deps, accountId, storedItem, expectedRev) => planFactMerge(deps.store, kind, accountId, storedItem, observed, expectedRev),
    mergeAlone: (deps, accountId) => mergeFact(deps.store, kind, accountId, observed),
  };
}

/**
 * The Stripe contract terms recomputed in a round, from the account item as read (the customer's
 * contract metadata) and every Stripe object's latest observation, read after it.
 */
export interface StripeTermsRefresh {
  actor: string;
  terms: (account: AccountRecord | undefined, sources: readonly StripeTermsObject[]) => Contract | null;
  /** The same recomputation as its own read and write, for a round too large for one transaction. */
  alone: () => Promise<unknown>;
}

export interface MergeResult {
  /** Whether this call's observations changed a stored fact (or its customer observation was newer than the stored one). */
  changed: boolean;
  evaluation: AccountEvaluation;
  /** The account item as read before this round's write, and whether a contract was on record then. */
  before: { account?: AccountRecord; contractOnRecord: boolean };
}

/**
 * Merges observed facts into an account and re-evaluates it with one read and one write: one
 * Query of the partition (account item, facts, tasks), the merge and the evaluation in memory
 * against the merged facts, then one transaction holding the fact writes (each conditioned on the
 * fact's revision read), the account's evaluation with its facts revision moved on by one
 * (conditioned on the revision read), flags, review changes, notifications and audit records.
 * When another writer got in between, the transaction fails as a whole and the whole is redone
 * from a fresh read (bounded), so concurrent events on one account all land and an evaluation
 * never misses a fact. An observation that adds nothing writes no fact; the evaluation then
 * writes only if it is not current, exactly as evaluateAccount does. One that moves only a fact's
 * ordering version (FactWrite.orderingOnly) writes that fact without moving the revision: alone
 * (conditioned on the fact's revision read) when the evaluation is current, else with it.
 *
 * Calls with the same `deps` object (one processor: the records of an SQS batch run in parallel)
 * are grouped per account: while one is under way, those that arrive wait, and the next round
 * merges all of them with one read and one transaction, evaluated at the latest of their
 * instants. Two merges of one account in one process would otherwise only make each other's
 * transaction fail. The writes of different accounts in flight at once share transactions
 * (commitWrite, a group commit).
 */
export function mergeAndEvaluate(
  deps: EvaluationDeps,
  accountId: string,
  observations: readonly Observation[],
  now: Date,
  options: { settle?: boolean; customer?: CustomerFacts; stripeTerms?: StripeTermsRefresh } = {},
): Promise<MergeResult> {
  let groups = groupsByDeps.get(deps);
  if (!groups) {
    groups = new Map();
    groupsByDeps.set(deps, groups);
  }
  let group = groups.get(accountId);
  if (!group) {
    group = { waiting: [], busy: false };
    groups.set(accountId, group);
  }
  const target = group;
  const done = new Promise<MergeResult>((resolve, reject) =>
    target.waiting.push({
      deps,
      observations,
      ...(options.customer ? { customer: options.customer } : {}),
      ...(options.stripeTerms ? { stripeTerms: options.stripeTerms } : {}),
      now,
      settle: options.settle === true,
      resolve,
      reject,
    }),
  );
  if (!target.busy) void drain(groups, target, accountId);
  return done;
}

interface Waiter {
  deps: EvaluationDeps;
  observations: readonly Observation[];
  /** A customer observation: the account item's own facts (name, deletion, contract metadata). */
  customer?: CustomerFacts;
  /**
   * The Stripe terms recomputed with the evaluation. Never in a round with a customer observation:
   * the terms must be computed from metadata already stored (its writer recomputes them after its
   * write, so that of two writers of the terms' inputs one always reads the other's).
   */
  stripeTerms?: StripeTermsRefresh;
  now: Date;
  settle: boolean;
  resolve: (result: MergeResult) => void;
  reject: (error: unknown) => void;
}
interface Group {
  waiting: Waiter[];
  busy: boolean;
}
/**
 * Groups per caller's dependencies object: one processor (one Lambda instance, or the local
 * runner) groups the merges of its concurrent records; two processors never share a round.
 */
const groupsByDeps = new WeakMap<EvaluationDeps, Map<string, Group>>();

async function drain(groups: Map<string, Group>, group: Group, accountId: string): Promise<void> {
  group.busy = true;
  try {
    while (group.waiting.length > 0) {
      const first = group.waiting[0]!;
      // Only what would be evaluated alike goes together (same settle option; the deps are one
      // object), and terms recomputed only in rounds of their own.
      const batch = group.waiting.filter((w) => w.settle === first.settle && (w.stripeTerms === undefined) === (first.stripeTerms === undefined));
      group.waiting = group.waiting.filter((w) => !batch.includes(w));
      const now = batch.reduce((latest, w) => (w.now.getTime() > latest.getTime() ? w.now : latest), first.now);
      try {
        const { changed, evaluation, before } = await mergeRound(first.deps, accountId, batch, now, { settle: first.settle });
        for (const [i, w] of batch.entries()) w.resolve({ changed: changed[i] ?? false, evaluation, before });
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          continue;
        }
        // One waiter's facts must not fail the others (SQS would redeliver them all together,
        // again and again, into the dead-letter queue): each is retried on its own round.
        for (const w of batch) {
          try {
            const alone = await mergeRound(w.deps, accountId, [w], w.now, { settle: w.settle });
            w.resolve({ changed: alone.changed[0] ?? false, evaluation: alone.evaluation, before: alone.before });
          } catch (own) {
            w.reject(own);
          }
        }
      }
    }
  } finally {
    group.busy = false;
    groups.delete(accountId);
  }
}

type RoundResult = { changed: boolean[]; evaluation: AccountEvaluation; before: MergeResult['before'] };

/**
 * One round: the observations of each waiter; which waiters changed a fact, and the evaluation.
 * A customer observation newer than the stored one (the newest of the round's, when several) is
 * stored in the evaluation's own update of the account item, and the evaluation made with it.
 */
async function mergeRound(
  deps: EvaluationDeps,
  accountId: string,
  waiters: ReadonlyArray<Pick<Waiter, 'observations' | 'customer' | 'stripeTerms'>>,
  now: Date,
  options: { settle?: boolean },
): Promise<RoundResult> {
  let before: MergeResult['before'] = { contractOnRecord: false };
  const refresh = waiters.find((w) => w.stripeTerms)?.stripeTerms;
  const round = await retryOptimistic(
    async (): Promise<RoundResult | 'too large'> => {
      const { account, items } = await loadAccountPartition(deps.store, accountId);
      before = { ...(account ? { account } : {}), contractOnRecord: items.has(CONTRACT_SK) };
      const contractChange = refresh ? await refreshedTerms(deps, accountId, account, items, refresh, now) : { outcome: 'kept' as const };
      const writes = new Map<string, { write: FactWrite; expectedRev: number | undefined }>();
      let customer: CustomerFacts | undefined;
      const changed = waiters.map(({ observations: list, customer: observed }) => {
        let changedHere = false;
        if (observed && !isStaleCustomer(account, observed)) {
          if (!customer || customer.version < observed.version) customer = observed;
          changedHere = true;
        }
        for (const obs of list) {
          const sk = obs.sk(accountId);
          const stored = items.get(sk);
          // A fact merged earlier in this round is conditioned on the revision read, not its own.
          const expectedRev = writes.has(sk) ? writes.get(sk)!.expectedRev : stored ? Number(stored.rev) : undefined;
          const planned = obs.plan(deps, accountId, stored, expectedRev);
          if (!planned) continue;
          // Ordering-only against what is stored: only if every merge of this round into it was.
          const write = { ...planned, orderingOnly: planned.orderingOnly && (writes.get(sk)?.write.orderingOnly ?? true) };
          writes.set(sk, { write, expectedRev });
          items.set(sk, write.item);
          changedHere = true;
        }
        return changedHere;
      });
      const readRev = account?.factsRev ?? 0;
      // Conditioned on the customer version read, so nothing decided from the account as read goes
      // stale: the customer's own write, or terms computed from its contract metadata.
      const accountChange = customer
        ? customerFactsChange(customer, account?.customerVersion)
        : refresh
          ? customerVersionGuard(account?.customerVersion)
          : undefined;
      // Facts whose merge changed only how observations are ordered are stored without moving the
      // facts revision: no evaluation reads those fields, so the one stored stays current. So are
      // the same terms read from a newer observation (the contract `moved`).
      const factPuts = [
        ...[...writes.values()].filter((w) => !w.write.orderingOnly).map((w) => w.write.put),
        ...(contractChange.outcome === 'changed' ? contractChange.items : []),
      ];
      const orderingPuts = [
        ...[...writes.values()].filter((w) => w.write.orderingOnly).map((w) => w.write.put),
        ...(contractChange.outcome === 'moved' ? contractChange.items : []),
      ];
      const anyChanged = factPuts.length > 0;
      // Key order, as the Query returns them, so the evaluation does not depend on which fact is new.
      const ordered = [...items.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, item]) => item);
      const evaluated = customer ? withCustomer(account ?? accountRecordSchema.parse({ accountId }), customer) : account;
      const planned = planEvaluation(deps, accountId, evaluated, accountFactsFromItems(ordered), anyChanged ? readRev + 1 : readRev, now, options);
      const save = planned.save;
      if (!save) {
        // Only reachable when no fact changed: a new fact always moves the revision past the evaluated one.
        if (anyChanged) throw new Error(`evaluation of ${accountId} skipped a new fact`);
        // Each conditioned on its fact's revision read (the customer on its version read), as in the transaction they would have joined.
        const guard = customer
          ? [{ Update: customerFactsUpdate(deps.store, accountId, customer, accountChange) }]
          : accountChange && orderingPuts.length > 0
            ? [accountConditionCheck(deps.store, accountId, accountChange)]
            : [];
        const alone = [...guard, ...orderingPuts];
        if (alone.length > 0) await commitWrite(deps, { accountId, items: alone });
        return { changed, evaluation: planned.result, before };
      }
      const write = evaluationWrite(
        deps.store,
        accountId,
        readRev,
        save.previousFlags,
        save.evaluation,
        [...save.items, ...orderingPuts],
        factPuts,
        accountChange,
      );
      // Too much for one transaction (many review changes at once): done apart, below, outside the
      // retry (the merges and the evaluation there redo their own races).
      if (write.items.length > MAX_TRANSACTION_ITEMS) return 'too large';
      await commitWrite(deps, write);
      return { changed, evaluation: planned.result, before };
    },
    { isRace: isConcurrentUpdate },
  );
  if (round !== 'too large') return round;
  // Facts first, each with its own revision bump (the customer's with its own condition), then the
  // evaluation on its own, as before the two were merged.
  const merged: boolean[] = [];
  for (const { observations: list, customer } of waiters) {
    let changedHere = customer ? (await saveCustomerFacts(deps.store, accountId, customer)) === 'saved' : false;
    for (const obs of list) changedHere = (await obs.mergeAlone(deps, accountId)) || changedHere;
    merged.push(changedHere);
  }
  if (refresh) await refresh.alone();
  return { changed: merged, evaluation: await evaluateAccount(deps, accountId, now, options), before };
}

/**
 * The contract change a terms refresh makes, with the partition's items updated to it. The Stripe
 * objects are read after the partition (the contract on record, then what terms are computed
 * from: a writer that moved the contract stored its inputs before).
 */
async function refreshedTerms(
  deps: EvaluationDeps,
  accountId: string,
  account: AccountRecord | undefined,
  items: Map<string, Record<string, unknown>>,
  refresh: StripeTermsRefresh,
  now: Date,
): Promise<StripeContractChange> {
  const sources = await listContractSources(deps.store, accountId);
  const stored = items.get(CONTRACT_SK);
  const change = stripeContractChange(
    deps.store,
    accountId,
    stored ? contractFromItem(stored) : undefined,
    refresh.terms(account, sources),
    refresh.actor,
    now.toISOString(),
  );
  if (change.outcome !== 'kept') {
    if (change.after) items.set(CONTRACT_SK, change.after);
    else items.delete(CONTRACT_SK);
  }
  return change;
}

/** The account item as a customer observation leaves it (what the evaluation then reads of it: the name). */
function withCustomer(account: AccountRecord, customer: CustomerFacts): AccountRecord {
  const { name: _name, ...rest } = account;
  return {
    ...rest,
    ...(customer.name !== undefined ? { name: customer.name } : {}),
    deleted: customer.deleted,
    contractMetadata: customer.contractMetadata,
    customerVersion: customer.version,
  };
}

interface PendingWrite {
  write: EvaluationWrite;
  resolve: () => void;
  reject: (error: unknown) => void;
}
interface Writer {
  pending: PendingWrite[];
  busy: boolean;
}
/** Per processor, like the account groups: two processors never share a transaction. */
const writersByDeps = new WeakMap<EvaluationDeps, Writer>();

/**
 * Group commit of the accounts' writes: the first goes out at once; those that arrive while a
 * transaction is under way go out together in the next one (whole accounts, at most DynamoDB's
 * 100 items), so a processor with many records in flight sends a few large transactions rather
 * than one per record. An account is never twice in one transaction (its rounds run one at a
 * time). When a shared transaction fails, each write is sent again on its own and gets its own
 * outcome (a ConcurrentUpdateError sends its round back to a fresh read), so one account's
 * conflict or refusal never fails another's.
 */
function commitWrite(deps: EvaluationDeps, write: EvaluationWrite): Promise<void> {
  let writer = writersByDeps.get(deps);
  if (!writer) {
    writer = { pending: [], busy: false };
    writersByDeps.set(deps, writer);
  }
  const target = writer;
  const done = new Promise<void>((resolve, reject) => target.pending.push({ write, resolve, reject }));
  if (!target.busy) void flush(deps, target);
  return done;
}

async function flush(deps: EvaluationDeps, writer: Writer): Promise<void> {
  writer.busy = true;
  try {
    while (writer.pending.length > 0) {
      const batch: PendingWrite[] = [];
      let size = 0;
      while (writer.pending.length > 0 && (batch.length === 0 || size + writer.pending[0]!.write.items.length <= MAX_TRANSACTION_ITEMS)) {
        const next = writer.pending.shift()!;
        batch.push(next);
        size += next.write.items.length;
      }
      try {
        await saveEvaluations(
          deps.store,
          batch.map((p) => p.write),
        );
        for (const p of batch) p.resolve();
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          continue;
        }
        await Promise.all(
          batch.map((p) =>
            saveEvaluations(deps.store, [p.write]).then(
              () => p.resolve(),
              (own: unknown) => p.reject(own),
            ),
          ),
        );
      }
    }
  } finally {
    writer.busy = false;
  }
}
