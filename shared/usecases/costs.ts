import { createHash } from 'node:crypto';
import type { Policy } from '../domain/policy.ts';
import { costBodySchema, type CostBody } from '../domain/cost.ts';
import { ConflictError } from '../errors.ts';
import { accountIdSchema } from '../schemas/common.ts';
import { IdempotencyConflictError, type Store } from '../store/client.ts';
import { recordCost } from '../store/cost.ts';
import { numberCell, readCsvRows, type ImportReport } from './csv-import.ts';
import { evaluateAfterWrite } from './evaluate-account.ts';

/**
 * Records a cost-to-serve entry and re-evaluates the account (its margin may cross the line).
 * A retry with the same idempotency key returns the first entry and changes nothing.
 */
export async function addCost(deps: { store: Store; policy: Policy }, input: { accountId: string; body: CostBody; actor: string; now: Date }) {
  const result = await recordCost(deps.store, {
    accountId: input.accountId,
    body: input.body,
    recordedAt: input.now.toISOString(),
    recordedBy: input.actor,
  });
  if (result.replayed) return result;
  const evaluation = await evaluateAfterWrite(deps, input.accountId, input.now);
  return evaluation === 'pending' ? { ...result, evaluationPending: true as const } : result;
}

const COLUMNS = ['accountId', 'amount', 'currency', 'date', 'category', 'note', 'idempotencyKey'] as const;

/**
 * Imports cost entries from CSV (header: accountId,amount,currency,date,category[,note][,idempotencyKey]).
 * Bad rows are reported with line and reason; good rows are kept. Without an idempotencyKey
 * column each row gets one from its line content, so re-importing the same file adds nothing.
 */
export async function importCostsCsv(deps: { store: Store; policy: Policy }, csv: string, actor: string, now: Date): Promise<ImportReport> {
  const read = readCsvRows(csv, { required: ['accountId', 'amount', 'currency', 'date', 'category'], allowed: COLUMNS });
  if ('error' in read) return { rows: read.rowCount, recorded: 0, unchanged: 0, errors: [read.error] };
  const report: ImportReport = { rows: read.rows.length, recorded: 0, unchanged: 0, errors: [] };
  for (const { line, raw, cells, problem } of read.rows) {
    if (problem) {
      report.errors.push({ line, problem });
      continue;
    }
    const accountId = accountIdSchema.safeParse(cells.accountId);
    if (!accountId.success) {
      report.errors.push({ line, field: 'accountId', problem: accountId.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    const body = costBodySchema.safeParse({
      amount: numberCell(cells.amount),
      currency: cells.currency,
      date: cells.date,
      category: cells.category,
      ...(cells.note ? { note: cells.note } : {}),
      idempotencyKey: cells.idempotencyKey || rowKey(raw),
    });
    if (!body.success) {
      for (const issue of body.error.issues) report.errors.push({ line, accountId: accountId.data, field: issue.path.join('.'), problem: issue.message });
      continue;
    }
    let result: Awaited<ReturnType<typeof addCost>>;
    try {
      result = await addCost(deps, { accountId: accountId.data, body: body.data, actor, now });
    } catch (error) {
      // A key reused with another cost, or a row that lost a race with other writers, is reported,
      // and the rest of the file goes on.
      if (!(error instanceof ConflictError)) throw error;
      const reused = error instanceof IdempotencyConflictError;
      report.errors.push({
        line,
        accountId: accountId.data,
        ...(reused ? { field: 'idempotencyKey' } : {}),
        problem: reused ? error.message : `${error.message} (importing the file again is safe: rows on record are unchanged)`,
      });
      continue;
    }
    if (result.replayed) report.unchanged++;
    else report.recorded++;
  }
  return report;
}

/**
 * The idempotency key of a CSV row without one: a digest of all its cells, so re-importing the
 * file adds nothing and two rows that differ anywhere (past any length) are two entries. Two
 * identical rows in one file are one entry, as they would be on a re-import.
 */
function rowKey(raw: readonly string[]): string {
  return `csv:${createHash('sha256').update(JSON.stringify(raw)).digest('hex')}`;
}
