import { describe, expect, it } from 'vitest';
import { phaseEstimate, progressLine, progressReporter, summaryLines } from '../../local/backfill-progress.ts';
import type { BackfillProgress, BackfillSummary } from '../../shared/usecases/backfill.ts';

const checkpoint = (resource: string, read: number, done = false) => ({ resource, read, applied: read, unchanged: 0, skipped: 0, done });

const progress: BackfillProgress = {
  phase: 'invoices',
  resources: { customers: checkpoint('customers', 40, true), subscriptions: checkpoint('subscriptions', 38, true), invoices: checkpoint('invoices', 1200) },
  fraction: 0.25,
  evaluation: { done: 0, total: 0 },
};

describe('backfill progress', () => {
  it('estimates the time left from the share of the time span covered', () => {
    expect(phaseEstimate(progress, 30_000)).toEqual({ fraction: 0.25, etaMs: 90_000 });
    expect(phaseEstimate({ ...progress, fraction: undefined } as BackfillProgress, 30_000)).toEqual({});
    expect(phaseEstimate({ ...progress, phase: 'evaluate', evaluation: { done: 30, total: 40 } }, 9_000)).toEqual({ fraction: 0.75, etaMs: 3_000 });
  });

  it('shows a bar, the ETA and counts per list on one line', () => {
    expect(progressLine(progress, 30_000)).toBe(
      'reading invoices [#####---------------] 25% · ETA 1:30 | customers 40 ✓ · subscriptions 38 ✓ · invoices 1,200',
    );
  });

  it('redraws in place on a terminal and writes throttled plain lines otherwise', () => {
    let clock = 0;
    const written: string[] = [];
    const stream = (isTTY: boolean) => ({ isTTY, columns: 200, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
    const plain = progressReporter(stream(false), { intervalMs: 5000, now: () => clock });
    plain.update(progress);
    clock += 1000;
    plain.update(progress);
    clock += 5000;
    plain.update(progress);
    expect(written).toHaveLength(2);
    expect(written.every((line) => line.startsWith('backfill: ') && line.endsWith('\n'))).toBe(true);
    written.length = 0;
    const tty = progressReporter(stream(true), { now: () => clock });
    tty.update(progress);
    tty.finish();
    expect(written[0]?.startsWith('\r\x1b[2K')).toBe(true);
    expect(written.at(-1)).toBe('\n');
  });

  it('summarises what was read, written and found', () => {
    const summary: BackfillSummary = {
      scope: 'since=all,customer=all',
      dryRun: false,
      resumed: false,
      resources: progress.resources,
      factsWritten: 1278,
      accounts: 40,
      evaluation: { evaluated: 40, flagged: 3, reviewsOpened: 1, reviewsScheduled: 2, reminders: 1 },
      skipped: [{ id: 'in_bad', reason: 'invoice has no customer' }],
    };
    const text = summaryLines(summary, { requests: 20, throttled: 2 }).join('\n');
    expect(text).toContain('objects read: 1278, facts written: 1278');
    expect(text).toContain('accounts evaluated: 40, flagged: 3, reviews opened: 1, reviews scheduled: 2, renewal reminders: 1');
    expect(text).toContain('Stripe requests: 20 (2 answered 429');
    expect(text).toContain('skipped in_bad: invoice has no customer');
  });
});
