import type { AuditRecord } from '../../shared/store/audit.ts';
import { Day, dayLabel, html } from './ui.ts';

/** Consecutive audit records that say the same thing: one line on the page, each record behind it. */
export interface AuditRun {
  /** The run's records in the order listed (newest first on the account page). */
  records: AuditRecord[];
  action: string;
  by: string;
  changed?: string[];
}

const sameChange = (a: AuditRecord, b: AuditRecord) =>
  a.action === b.action &&
  a.by === b.by &&
  a.entity === b.entity &&
  a.entityId === b.entityId &&
  (a.changed ?? []).join('\u0000') === (b.changed ?? []).join('\u0000');

/**
 * Groups neighbouring records of one change to one entity by one actor with the same fields
 * changed (an evaluation refreshing a review's evidence after each new invoice, say) into runs,
 * keeping the trail's order; records in between break a run, so nothing moves in time.
 */
export function auditRuns(records: readonly AuditRecord[]): AuditRun[] {
  const runs: AuditRun[] = [];
  for (const record of records) {
    const last = runs.at(-1);
    if (last && sameChange(last.records[0]!, record)) last.records.push(record);
    else runs.push({ records: [record], action: record.action, by: record.by, ...(record.changed?.length ? { changed: record.changed } : {}) });
  }
  return runs;
}

/** A record's instant as finance reads it: day, month, year and the time to the second, in UTC. */
export function auditInstant(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  const iso = date.toISOString();
  return `${dayLabel(iso.slice(0, 10))}, ${iso.slice(11, 19)} UTC`;
}

const ACTIONS: Record<string, string> = {
  'task.created': 'Review created',
  'task.moved': 'Review re-timed',
  'task.updated': 'Review updated',
  'task.open': 'Review opened',
  'task.scheduled': 'Review scheduled',
  'task.cancelled': 'Review cancelled',
  'task.decided': 'Review decided',
  'task.pending_approval': 'Review waiting for approval',
  'task.assigned': 'Review owner set',
  'task.checklist.done': 'Checklist step ticked',
  'task.checklist.undone': 'Checklist step unticked',
  'task.termination.requested': 'Termination asked for',
  'task.termination.approved': 'Termination approved',
  'task.termination.rejected': 'Termination rejected',
  'contract.recorded': 'Contract recorded',
  'contract.replaced': 'Contract replaced',
  'contract.withdrawn': 'Contract withdrawn',
  'signal.recorded': 'Signal recorded',
  'cost.recorded': 'Cost recorded',
  'overrides.replaced': 'Overrides saved',
};

/** An audit action as finance reads it (`task.decided.terminate`: "Decided: terminate"); an unknown one as it is. */
export function auditActionLabel(action: string): string {
  const decided = /^task\.decided\.(.+)$/.exec(action);
  if (decided) return `Decided: ${decided[1]}`;
  return ACTIONS[action] ?? action;
}

/** Who made a change: the watcher's evaluations and Stripe's events by name, a person by theirs. */
export function auditActorLabel(by: string): string {
  if (by === 'system:evaluation') return 'Termwatch (evaluation)';
  const stripe = /^stripe:(.+)$/.exec(by);
  if (stripe) return `Stripe (event ${stripe[1]})`;
  return by;
}

/** "Review updated by Termwatch (evaluation): evidence, updatedAt". */
function describe(run: AuditRun): string {
  return `${auditActionLabel(run.action)} by ${auditActorLabel(run.by)}${run.changed ? `: ${run.changed.join(', ')}` : ''}`;
}

/** The action's code, kept beside its label for anyone matching the API or the logs. */
const code = (run: AuditRun) => html`<code class="muted">${run.action}</code>`;

/** One line per run; a run of several opens (a native disclosure, keyboard-ready) onto each record's time. */
export function AuditRunItem({ run }: { run: AuditRun }) {
  const [first] = run.records;
  if (run.records.length === 1) return html`<li><${Day} date=${first!.at} /> ${describe(run)} ${code(run)}</li>`;
  const times = run.records.map((r) => r.at).sort();
  const oldest = times[0]!;
  const newest = times.at(-1)!;
  const span = oldest.slice(0, 10) === newest.slice(0, 10) ? html`<${Day} date=${newest} />` : html`<${Day} date=${oldest} />–<${Day} date=${newest} />`;
  return html`<li><details><summary>${span} ${describe(run)}, ${run.records.length} times ${code(run)}</summary>
    <ul>${run.records.map((r) => html`<li><time datetime=${r.at}>${auditInstant(r.at)}</time></li>`)}</ul>
  </details></li>`;
}
