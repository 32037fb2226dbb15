import { parse } from 'csv-parse/sync';
import type { Policy } from '../config/policy.ts';
import { contractBodySchema, contractFromBody, type ContractBody } from '../domain/contract.ts';
import { accountIdSchema } from '../schemas/common.ts';
import type { Store } from '../store/client.ts';
import { offerContract } from '../store/contract.ts';
import { contractView, evaluateAccount } from './evaluate-account.ts';

export interface ContractDeps {
  store: Store;
  policy: Policy;
}

/**
 * Records the contract a person gives (API or CSV), which wins over terms read from Stripe.
 * 1. Turn the validated body into stored terms (source, time).
 * 2. Offer them: written with a history entry unless identical to the terms on record.
 * 3. Re-evaluate the account, so its review moves to the new term end at once.
 */
export async function recordContract(
  deps: ContractDeps,
  input: { accountId: string; body: ContractBody; source: 'manual' | 'csv'; actor: string; now: Date; sourceRef?: string },
) {
  const contract = contractFromBody(input.body, {
    source: input.source,
    recordedAt: input.now.toISOString(),
    ...(input.sourceRef ? { sourceRef: input.sourceRef } : {}),
  });
  const result = await offerContract(deps.store, input.accountId, contract, input.actor);
  await evaluateAccount(deps, input.accountId, input.now);
  return { outcome: result.outcome, contract: contractView(result.contract, deps.policy, input.now) };
}

export interface ImportRowError {
  line: number;
  accountId?: string;
  field?: string;
  problem: string;
}

export interface ImportReport {
  rows: number;
  recorded: number;
  unchanged: number;
  errors: ImportRowError[];
}

const CSV_COLUMNS = ['accountId', 'endDate', 'noticeDays', 'renewal', 'renewalTermMonths'] as const;
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Imports contracts from CSV (header: accountId,endDate,noticeDays,renewal,renewalTermMonths).
 * Every row is validated on its own: bad rows are reported with their line number and reason,
 * good rows are recorded. Recording identical terms changes nothing, so a re-import is a no-op.
 */
export async function importContractsCsv(deps: ContractDeps, csv: string, actor: string, now: Date): Promise<ImportReport> {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    return { rows: 0, recorded: 0, unchanged: 0, errors: [{ line: (error as { lines?: number }).lines ?? 1, problem: `not readable as CSV: ${(error as Error).message}` }] };
  }
  const [header, ...rows] = records;
  const report: ImportReport = { rows: rows.length, recorded: 0, unchanged: 0, errors: [] };
  const columns = (header ?? []).map((h) => h.trim());
  const missing = ['accountId', 'endDate', 'renewal'].filter((c) => !columns.includes(c));
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (!header || missing.length > 0 || unknown.length > 0) {
    report.errors.push({
      line: 1,
      problem: `header must name the columns ${CSV_COLUMNS.join(',')}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
    });
    return report;
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    report.errors.push({ line: 1, problem: `at most ${MAX_IMPORT_ROWS} rows per import; split the file` });
    return report;
  }
  const seen = new Map<string, number>();
  for (const [index, row] of rows.entries()) {
    const line = index + 2;
    const cells = Object.fromEntries(columns.map((c, i) => [c, row[i] ?? '']));
    const accountId = accountIdSchema.safeParse(cells.accountId);
    if (!accountId.success) {
      report.errors.push({ line, field: 'accountId', problem: accountId.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    const earlier = seen.get(accountId.data);
    if (earlier !== undefined) {
      report.errors.push({ line, accountId: accountId.data, problem: `account appears again (first on line ${earlier}); one contract per account` });
      continue;
    }
    seen.set(accountId.data, line);
    const body = contractBodySchema.safeParse({
      endDate: cells.endDate,
      renewal: cells.renewal,
      ...(cells.noticeDays ? { noticeDays: numberCell(cells.noticeDays) } : {}),
      ...(cells.renewalTermMonths ? { renewalTermMonths: numberCell(cells.renewalTermMonths) } : {}),
    });
    if (!body.success) {
      for (const issue of body.error.issues) {
        report.errors.push({ line, accountId: accountId.data, field: issue.path.join('.'), problem: issue.message });
      }
      continue;
    }
    const result = await recordContract(deps, { accountId: accountId.data, body: body.data, source: 'csv', actor, now, sourceRef: `csv line ${line}` });
    if (result.outcome === 'changed') report.recorded++;
    else report.unchanged++;
  }
  return report;
}

/** CSV cells are text: a number that is not one stays text, so the schema names the problem. */
function numberCell(value: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}
