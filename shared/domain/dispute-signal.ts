import { subDays } from 'date-fns';
import * as z from '../zod.ts';
import type { Policy } from './policy.ts';
import type { DisputeFact } from './revenue.ts';

/** When a lost dispute counts: when it was first seen closed (its creation if never seen so). */
export const lostAt = (d: DisputeFact): string => d.closedAt ?? d.createdAt;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const disputeSignalSchema = z.object({
  flagged: z.boolean(),
  /** Disputes created in the dispute window. */
  count: z.number().check(z.int(), z.gte(0)),
  /** Disputes lost in the dispute window. */
  lost: z.number().check(z.int(), z.gte(0)),
  reasons: z.array(z.string()),
});
export type DisputeSignal = z.infer<typeof disputeSignalSchema>;

/**
 * The dispute signal over its own window of days at `now` (the zoned instant and its epoch
 * milliseconds): enough disputes opened, or any lost. Lost means lost, whenever first seen so.
 */
export function disputeSignal(disputes: readonly DisputeFact[], settings: Policy['disputes'], now: { nowMs: number; nowTz: Date }) {
  const { windowDays, minDisputes } = settings;
  const signalStartMs = subDays(now.nowTz, windowDays).getTime();
  const inSignalWindow = (iso: string): boolean => {
    const t = Date.parse(iso);
    return t > signalStartMs && t <= now.nowMs;
  };
  const opened = disputes.filter((d) => inSignalWindow(d.createdAt));
  const lostRecently = disputes.filter((d) => d.status === 'lost' && inSignalWindow(lostAt(d)));
  const reasons: string[] = [];
  const inDays = `in the last ${windowDays} days`;
  if (opened.length >= minDisputes) {
    reasons.push(`${plural(opened.length, 'dispute', 'disputes')} opened ${inDays} (threshold ${minDisputes})`);
  }
  if (lostRecently.length > 0) {
    reasons.push(`${plural(lostRecently.length, 'dispute', 'disputes')} lost ${inDays}`);
  }
  const signal: DisputeSignal = { flagged: reasons.length > 0, count: opened.length, lost: lostRecently.length, reasons };
  return { signal, opened };
}
