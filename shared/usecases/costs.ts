import { parse } from 'csv-parse/sync';
import type { Policy } from '../config/policy.ts';
import { costBodySchema, type CostBody } from '../domain/cost.ts';
import { accountIdSchema } from '../schemas/common.ts';
import type { Store } from '../store/client.ts';
import { recordCost } from '../store/cost.ts';
import type { ImportReport } from './contracts.ts';
import { evaluateAccount } from './evaluate-account.ts';

/**
 * Records a cost-to-serve entry and re-evaluates the account (its margin may cross the line).
 * A retry with the same idempotency key returns the first entry and changes nothing.
 */
export async function addCost(
  deps: { store: Store; policy: Policy },
  input: { accountId: string; body: CostBody; actor: string; now: Date },
) {
  const result = await recordCost(deps.store, {
    accountId: input.accountId,
    body: input.body,
    recordedAt: input.now.toISOString(),
    recordedBy: input.actor,
  });
  if (!result.replayed) await evaluateAccount(deps, input.accountId, input.now);
  return result;
}

const COLUMNS = ['accountId', 'amount', 'currency', 'date', 'category', 'note', 'idempotencyKey'] as const;

/**
 * Imports cost entries from CSV (header: accountId,amount,currency,date,category[,note][,idempotencyKey]).
 * Bad rows are reported with line and reason; good rows are kept. Without an idempotencyKey
 * column each row gets one from its line content, so re-importing the same file adds nothing.
 */
export async function importCostsCsv(deps: { store: Store; policy: Policy }, csv: string, actor: string, now: Date): Promise<ImportReport> {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    return { rows: 0, recorded: 0, unchanged: 0, errors: [{ line: 1, problem: `not readable as CSV: ${(error as Error).message}` }] };
  }
  const [header, ...rows] = records;
  const report: ImportReport = { rows: rows.length, recorded: 0, unchanged: 0, errors: [] };
  const columns = (header ?? []).map((h) => h.trim());
  const missing = ['accountId', 'amount', 'currency', 'date', 'category'].filter((c) => !columns.includes(c));
  const unknown = columns.filter((c) => !(COLUMNS as readonly string[]).includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    report.errors.push({ line: 1, problem: `header must name ${COLUMNS.join(',')}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}` });
    return report;
  }
  for (const [index, row] of rows.entries()) {
    const line = index + 2;
    const cells = Object.fromEntries(columns.map((c, i) => [c, row[i] ?? '']));
    const accountId = accountIdSchema.safeParse(cells.accountId);
    if (!accountId.success) {
      report.errors.push({ line, field: 'accountId', problem: accountId.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    const body = costBodySchema.safeParse({
      amount: /^-?\d+(\.\d+)?$/.test(cells.amount ?? '') ? Number(cells.amount) : cells.amount,
      currency: cells.currency,
      date: cells.date,
      category: cells.category,
      ...(cells.note ? { note: cells.note } : {}),
      idempotencyKey: cells.idempotencyKey || `csv:${row.join('|')}`.slice(0, 100),
    });
    if (!body.success) {
      for (const issue of body.error.issues) report.errors.push({ line, accountId: accountId.data, field: issue.path.join('.'), problem: issue.message });
      continue;
    }
    const result = await addCost(deps, { accountId: accountId.data, body: body.data, actor, now });
    if (result.replayed) report.unchanged++;
    else report.recorded++;
  }
  return report;
}
