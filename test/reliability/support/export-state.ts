import type { Store } from '../../../shared/store/client.ts';
import { allItems } from '../../support/scan.ts';

/**
 * The business state of a table, in a form two stores can be compared in byte for byte:
 * every item reduced to what it says about the business (accounts, flags, facts, contracts,
 * reviews and their slots, notifications), keys sorted, one JSON line per item, lines sorted,
 * so a difference reads as a line diff.
 *
 * What is left out is bookkeeping that legitimately depends on the order (or the moment)
 * events were delivered in, decided item by item from shared/store/*.ts; each rule below says
 * why. Anything not recognised is kept whole, so a new kind of item shows up in a diff rather
 * than being silently ignored.
 *
 * The comparison assumes the replays ran on the same fixed clock (events applied at one
 * instant, the sweep at another): processing times the product writes from `now` (flagSince,
 * FLAG# `since`, task createdAt/openAt, notification sentAt) are then business state that
 * must converge, and are kept.
 */
export async function exportState(store: Store): Promise<string> {
  const items = await allItems(store);
  const transient = transientReviewIds(items);
  const lines: string[] = [];
  for (const item of items) {
    const reduced = reduceItem(item, transient);
    if (reduced) lines.push(JSON.stringify(sortKeys(reduced)));
  }
  return lines.sort().join('\n');
}

/** Counts of the state's business items, so a test can show the state compared is not trivial. */
export interface StateCounts {
  accounts: number;
  flaggedAccounts: number;
  flagItems: number;
  invoices: number;
  refunds: number;
  disputes: number;
  contracts: number;
  tasksByStatus: Record<string, number>;
  slots: number;
  notificationsByType: Record<string, number>;
  /** Accounts whose renewal reminders (sent or skipped) are recorded on the account. */
  accountsWithReminderKeys: number;
  /** Accounts in the renewals list (gsi1 `RENEWALS`, a notice deadline ahead). */
  renewals: number;
}

export function stateCounts(state: string): StateCounts {
  const counts: StateCounts = {
    accounts: 0,
    flaggedAccounts: 0,
    flagItems: 0,
    invoices: 0,
    refunds: 0,
    disputes: 0,
    contracts: 0,
    tasksByStatus: {},
    slots: 0,
    notificationsByType: {},
    accountsWithReminderKeys: 0,
    renewals: 0,
  };
  for (const line of state.split('\n')) {
    if (!line) continue;
    const item = JSON.parse(line) as Record<string, unknown>;
    const sk = String(item.sk);
    if (sk === 'ACCOUNT') {
      counts.accounts++;
      if (Array.isArray(item.flags) && item.flags.length > 0) counts.flaggedAccounts++;
      if (Array.isArray(item.remindersSent) && item.remindersSent.length > 0) counts.accountsWithReminderKeys++;
      if (item.gsi1pk === 'RENEWALS') counts.renewals++;
    } else if (sk.startsWith('FLAG#')) counts.flagItems++;
    else if (sk.startsWith('INV#')) counts.invoices++;
    else if (sk.startsWith('REFUND#')) counts.refunds++;
    else if (sk.startsWith('DISPUTE#')) counts.disputes++;
    else if (sk === 'CONTRACT') counts.contracts++;
    else if (sk.startsWith('SLOT#')) counts.slots++;
    else if (sk.startsWith('TASK#')) {
      const status = String((item.task as { status?: unknown }).status);
      counts.tasksByStatus[status] = (counts.tasksByStatus[status] ?? 0) + 1;
    } else if (sk.startsWith('~NOTIF#')) {
      const type = String((item.notification as { type?: unknown }).type);
      counts.notificationsByType[type] = (counts.notificationsByType[type] ?? 0) + 1;
    }
  }
  return counts;
}

type Item = Record<string, unknown>;

/**
 * Whole partitions that are delivery bookkeeping:
 * - `EVT#…` event receipts: which deliveries the webhook accepted and when (`receivedAt`, TTL).
 *   They record the delivery, not the business; the processor path writes none.
 * - `SWEEP` / `STATE`: the sweep's checkpoint and `lastRunAt`, i.e. when and how often the
 *   sweep ran, which differs with the number of sweeps interleaved with deliveries.
 * - `BACKFILL#…`: a backfill run's progress and checkpoints (TTL'd), not its results.
 * `CHARGE#…` is NOT excluded whole: its `OWNER` item (charge -> customer) is a fact that must
 * converge, and its `PARKED#…` items must all be gone once every charge has been delivered
 * (see reduceItem).
 */
const BOOKKEEPING_PARTITION_PREFIXES = ['EVT#', 'SWEEP', 'BACKFILL#'];

/**
 * Attributes that count or date writes rather than describe state, on any item:
 * - `rev` (facts, contract, tasks): optimistic-locking counter = how many writes the item
 *   took, which depends on how many observations arrived after the newest one (an older
 *   observation arriving last writes nothing; arriving first, it is one more write).
 * - `factsRev` / `evaluatedRev` (account): the same counter for the account's facts, and which
 *   revision the stored evaluation saw.
 * - `evaluatedAt` (account): when the account was last recomputed. An evaluation that finds
 *   nothing to change writes nothing, so this is the time of the last *changing* evaluation:
 *   events-time or sweep-time depending on which intermediate states the order went through.
 * - `expiresAt`: TTL, derived from processing time (parked events even from the wall clock).
 * - `updatedAt` / `updatedBy` (overrides): when and by whom the item was last written.
 */
const BOOKKEEPING_ATTRIBUTES = new Set(['rev', 'factsRev', 'evaluatedRev', 'evaluatedAt', 'expiresAt', 'updatedAt', 'updatedBy']);

/**
 * Reviews cancelled before they ever opened. A burst of out-of-order events can flag an
 * account for a moment (an `invoice.overdue` before the `invoice.paid` that settles it); the
 * event-time evaluation then schedules a review (never opens one: it waits for the settle
 * period) and cancels it when the next event clears the signal. Whether such a cancelled
 * review is left behind depends on whether the order went through that passing state, so it
 * is not business state: finance never saw it and no notification was sent. Reconciliation
 * reuses a cancelled review before creating a new one (domain/review.ts), so the ids of the
 * reviews that do matter do not depend on it. Only never-opened ones are dropped: a review
 * that opened (history has an `open` entry) is kept whatever its status. (Observed: two orders
 * of the 50-customer stream left 17 and 18 such reviews, with otherwise identical state.)
 */
function transientReviewIds(items: readonly Item[]): Set<string> {
  const ids = new Set<string>();
  for (const item of items) {
    if (!String(item.sk).startsWith('TASK#')) continue;
    const task = item.task as { id: string; status: string; history?: Array<{ status: string }> };
    if (task.status === 'cancelled' && !(task.history ?? []).some((h) => h.status === 'open')) ids.add(task.id);
  }
  return ids;
}

function reduceItem(item: Item, transient: ReadonlySet<string>): Item | undefined {
  const pk = String(item.pk);
  const sk = String(item.sk);
  if (BOOKKEEPING_PARTITION_PREFIXES.some((p) => pk.startsWith(p))) return undefined;
  // Audit entries: the key holds the wall-clock write time and a random id, and the chain of
  // before/after records the order in which observations replaced each other. What is in force
  // (contract, task) is compared on its own item.
  if (sk.startsWith('~AUDIT#')) return undefined;
  if (sk.startsWith('TASK#') && transient.has((item.task as { id: string }).id)) return undefined;
  // A slot is claimed with its review and stays claimed after a cancellation: it goes with a
  // transient review.
  if (sk.startsWith('SLOT#') && transient.has(String(item.taskId))) return undefined;
  const kept: Item = Object.fromEntries(Object.entries(item).filter(([k]) => !BOOKKEEPING_ATTRIBUTES.has(k)));
  if (sk.startsWith('TASK#')) {
    // `history` is the transition log (scheduled, cancelled, rescheduled, moved...), which
    // records the intermediate states the order went through; `updatedAt` is when it last
    // changed. The task's current status, timing, target, reasons and evidence are compared.
    const { history: _history, updatedAt: _updatedAt, ...task } = kept.task as Item;
    kept.task = task;
  }
  if (sk.startsWith('~NOTIF#')) {
    // Whether and when a channel has taken the notification (`dispatchedAt`, and the sparse
    // gsi2 "to dispatch" entry) depends on when the dispatcher ran, not on the events. The
    // notification itself (id, type, sentAt, text, payload) is compared.
    delete kept.dispatchedAt;
    if (kept.gsi2pk === 'DISPATCH#pending') {
      delete kept.gsi2pk;
      delete kept.gsi2sk;
    }
  }
  // Parked refunds/disputes (`CHARGE#…`/`PARKED#…`) are kept (without their TTL): an order
  // that brought the refund before its charge parks it and applies it when the charge arrives,
  // so once every charge has been delivered none may be left in any order. One left over
  // means an observation was never applied, and shows up here as well as in the facts.
  return kept;
}

/** JSON with keys sorted at every level (arrays keep their order: it is meaningful). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((k) => [k, sortKeys(object[k])]),
  );
}
