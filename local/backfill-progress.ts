import type { BackfillProgress, BackfillSummary } from '../shared/usecases/backfill.ts';

const LABEL: Record<string, string> = {
  customers: 'customers',
  subscriptions: 'subscriptions',
  subscription_schedules: 'schedules',
  invoices: 'invoices',
  refunds: 'refunds',
  disputes: 'disputes',
};

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Counts per list: `customers 12 ✓ · invoices 340`. */
function counts(progress: BackfillProgress): string {
  return Object.values(progress.resources)
    .filter((r) => r.done || r.read > 0 || r.resource === progress.phase)
    .map((r) => `${LABEL[r.resource] ?? r.resource} ${r.read.toLocaleString('en-US')}${r.done ? ' ✓' : ''}`)
    .join(' · ');
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * The share done of the current phase and the time left, estimated from the time span the
 * list has covered (Stripe lists have no total count) or, when evaluating, accounts done.
 */
export function phaseEstimate(progress: BackfillProgress, phaseElapsedMs: number): { fraction?: number; etaMs?: number } {
  const fraction =
    progress.phase === 'evaluate' ? (progress.evaluation.total > 0 ? progress.evaluation.done / progress.evaluation.total : undefined) : progress.fraction;
  if (fraction === undefined) return {};
  if (fraction <= 0 || phaseElapsedMs <= 0) return { fraction };
  return { fraction, etaMs: (phaseElapsedMs / fraction) * (1 - fraction) };
}

/** One line for a terminal: a bar for the current phase, counts per list, the ETA. */
export function progressLine(progress: BackfillProgress, phaseElapsedMs: number): string {
  const { fraction, etaMs } = phaseEstimate(progress, phaseElapsedMs);
  const phase =
    progress.phase === 'evaluate' ? `evaluating ${progress.evaluation.done}/${progress.evaluation.total} accounts` : `reading ${LABEL[progress.phase]}`;
  const share = fraction === undefined ? '' : ` ${bar(fraction)} ${Math.floor(fraction * 100)}%`;
  const eta = etaMs === undefined ? '' : ` · ETA ${duration(etaMs)}`;
  return `${phase}${share}${eta} | ${counts(progress)}`;
}

/** Renders progress: a line redrawn in place on a terminal, plain lines at most every few seconds otherwise. */
export function progressReporter(stream: NodeJS.WriteStream, options: { intervalMs?: number; now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 100 : 5000);
  let phase: string | undefined;
  let phaseStart = now();
  let lastDraw = 0;
  let last: BackfillProgress | undefined;
  const draw = (progress: BackfillProgress) => {
    const line = progressLine(progress, now() - phaseStart);
    if (tty) stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    else stream.write(`backfill: ${line}\n`);
    lastDraw = now();
  };
  return {
    update(progress: BackfillProgress) {
      last = progress;
      if (progress.phase !== phase) {
        phase = progress.phase;
        phaseStart = now();
        draw(progress);
      } else if (now() - lastDraw >= interval) {
        draw(progress);
      }
    },
    /** Draws the final state and ends the terminal line. */
    finish() {
      if (last) draw(last);
      if (tty) stream.write('\n');
    },
  };
}

/** The summary printed at the end. */
export function summaryLines(summary: BackfillSummary, extra: { requests?: number; throttled?: number; elapsedMs?: number } = {}): string[] {
  const rows = Object.values(summary.resources).map(
    (r) =>
      `  ${(LABEL[r.resource] ?? r.resource).padEnd(14)} ${String(r.read).padStart(8)} read  ${String(r.applied).padStart(8)} written  ${String(r.unchanged).padStart(8)} unchanged  ${String(r.skipped).padStart(5)} skipped`,
  );
  const e = summary.evaluation;
  const lines = [
    `${summary.dryRun ? 'Dry run (nothing written)' : summary.resumed ? 'Backfill resumed and finished' : 'Backfill finished'} for ${summary.scope}${extra.elapsedMs !== undefined ? ` in ${duration(extra.elapsedMs)}` : ''}`,
    ...rows,
    `  objects read: ${Object.values(summary.resources).reduce((n, r) => n + r.read, 0)}, facts written: ${summary.factsWritten}`,
    summary.dryRun
      ? `  accounts that would be evaluated: ${summary.accounts}`
      : `  accounts evaluated: ${e.evaluated}, flagged: ${e.flagged}, reviews opened: ${e.reviewsOpened}, reviews scheduled: ${e.reviewsScheduled}, renewal reminders: ${e.reminders}`,
  ];
  if (extra.requests !== undefined)
    lines.push(`  Stripe requests: ${extra.requests} (${extra.throttled ?? 0} answered 429 and were retried after slowing down)`);
  for (const s of summary.skipped) lines.push(`  skipped ${s.id}: ${s.reason}`);
  return lines;
}
