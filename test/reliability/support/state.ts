import type { Store } from '../../../shared/store/client.ts';
import { allItems } from '../../support/scan.ts';

/**
 * Partitions that are delivery bookkeeping, not business state: event receipts (which events
 * came, when), charge owners and parked events (how a refund found its account), the sweep's
 * checkpoint, backfill checkpoints.
 */
const BOOKKEEPING_PARTITIONS = ['EVT#', 'CHARGE#', 'SWEEP', 'BACKFILL#'];

/**
 * Attributes that count or date the writes rather than describe the state: revision counters
 * (how many writes an item took depends on how many observations arrived after it) and
 * `evaluatedAt` (when the account was last recomputed: a sweep recomputes an account only if
 * something was due, which depends on what the last event-time evaluation already saw).
 * Audit entries are left out too (below): their chain of before/after is the order the sources
 * arrived in; what is in force is the contract item itself, which is compared.
 */
const BOOKKEEPING_ATTRIBUTES = new Set(['rev', 'factsRev', 'evaluatedRev', 'evaluatedAt']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The business state of a table: accounts (flags, since when, summaries, renewal deadline, next
 * evaluation), flag memberships, facts (invoices, refunds, disputes), contracts, reviews and
 * their slots, notifications (reminders and review openings) — one JSON line per item, keys
 * sorted, lines sorted, so two stores can be compared byte for byte and a difference reads as a
 * diff.
 */
export async function exportState(store: Store): Promise<string> {
  const lines: string[] = [];
  const items = await allItems(store);
  // A review cancelled before it ever opened records a passing state of the evidence (a burst
  // of events flagged the account for a moment); whether one is left depends on the order.
  // It is never visible as an open review; it is left out, with the slot it holds. Reviews
  // that opened, are scheduled or decided are compared, without their transition log.
  const transient = new Set(
    items.filter((i) => String(i.sk).startsWith('TASK#') && (i.task as { status?: string }).status === 'cancelled').map((i) => (i.task as { id: string }).id),
  );
  for (const item of items) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    if (BOOKKEEPING_PARTITIONS.some((p) => pk.startsWith(p))) continue;
    if (sk.startsWith('~AUDIT#')) continue;
    if (sk.startsWith('TASK#') && transient.has((item.task as { id: string }).id)) continue;
    if (sk.startsWith('SLOT#') && transient.has(String(item.taskId))) continue;
    const kept = Object.fromEntries(Object.entries(item).filter(([k]) => !BOOKKEEPING_ATTRIBUTES.has(k)));
    if (sk.startsWith('TASK#')) {
      const { history: _history, ...task } = kept.task as Record<string, unknown>;
      kept.task = task;
    }
    lines.push(JSON.stringify(canonical(kept)));
  }
  return lines.sort().join('\n');
}

/** Counts by kind, to show a state is not trivially empty. */
export function stateCounts(state: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of state.split('\n')) {
    if (!line) continue;
    const item = JSON.parse(line) as { sk: string; entity?: string; task?: { status?: string }; flags?: string[] };
    const kind = item.sk.startsWith('TASK#') ? `task:${item.task?.status ?? '?'}` : item.sk.startsWith('~NOTIF#') ? 'notification' : item.sk.split('#')[0] ?? '?';
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (item.sk === 'ACCOUNT' && item.flags?.length) counts.flaggedAccounts = (counts.flaggedAccounts ?? 0) + 1;
  }
  return counts;
}
