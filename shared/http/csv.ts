import { stringify } from 'csv-stringify/sync';
import type { Task } from '../domain/review.ts';

const COLUMNS = [
  'id',
  'accountId',
  'kind',
  'status',
  'targetEnd',
  'noticeDeadline',
  'openAt',
  'dueAt',
  'reasons',
  'latestDecision',
  'decidedBy',
  'decidedAt',
] as const;

/** Tasks as a spreadsheet: one header row, one row per task, RFC 4180 quoting. */
export function tasksCsv(tasks: readonly Task[]): string {
  const rows = tasks.map((t) => {
    const latest = t.decisions.at(-1);
    return [
      t.id,
      t.accountId,
      t.kind,
      t.status,
      t.targetEnd ?? '',
      t.noticeDeadline ?? '',
      t.openAt,
      t.dueAt,
      t.reasons.join('; '),
      latest?.decision ?? '',
      latest?.by ?? '',
      latest?.at ?? '',
    ].map(spreadsheetSafe);
  });
  return stringify([[...COLUMNS], ...rows], { record_delimiter: '\r\n' });
}

/** A cell starting with =, +, - or @ would run as a formula in a spreadsheet: prefix it. */
function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
