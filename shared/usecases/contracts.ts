import type { Policy } from '../domain/policy.ts';
import { contractBodySchema, contractFromBody, type ContractBody } from '../domain/contract.ts';
import { ConflictError } from '../errors.ts';
import { accountIdSchema } from '../schemas/common.ts';
import type { Store } from '../store/client.ts';
import { offerContract } from '../store/contract.ts';
import { numberCell, readCsvRows, type ImportReport } from './csv-import.ts';
import { contractView } from '../domain/assessment.ts';
import { evaluateAfterWrite } from './evaluate-account.ts';

export type { ImportReport, ImportRowError } from './csv-import.ts';

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
  const evaluation = await evaluateAfterWrite(deps, input.accountId, input.now);
  return {
    outcome: result.outcome,
    contract: contractView(result.contract, deps.policy, input.now),
    ...(evaluation === 'pending' ? { evaluationPending: true as const } : {}),
  };
}

const CSV_COLUMNS = ['accountId', 'endDate', 'noticeDays', 'renewal', 'renewalTermMonths', 'cureDays'] as const;

/**
 * Imports contracts from CSV (header: accountId,endDate,noticeDays,renewal,renewalTermMonths[,cureDays]).
 * Every row is validated on its own: bad rows are reported with their line number and reason,
 * good rows are recorded. Recording identical terms changes nothing, so a re-import is a no-op.
 */
export async function importContractsCsv(deps: ContractDeps, csv: string, actor: string, now: Date): Promise<ImportReport> {
  const read = readCsvRows(csv, { required: ['accountId', 'endDate', 'renewal'], allowed: CSV_COLUMNS });
  if ('error' in read) return { rows: read.rowCount, recorded: 0, unchanged: 0, errors: [read.error] };
  const report: ImportReport = { rows: read.rows.length, recorded: 0, unchanged: 0, errors: [] };
  const seen = new Map<string, number>();
  for (const { line, cells, problem } of read.rows) {
    if (problem) {
      report.errors.push({ line, problem });
      continue;
    }
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
      ...(cells.cureDays ? { cureDays: numberCell(cells.cureDays) } : {}),
    });
    if (!body.success) {
      for (const issue of body.error.issues) {
        report.errors.push({ line, accountId: accountId.data, field: issue.path.join('.'), problem: issue.message });
      }
      continue;
    }
    let result: Awaited<ReturnType<typeof recordContract>>;
    try {
      result = await recordContract(deps, { accountId: accountId.data, body: body.data, source: 'csv', actor, now, sourceRef: `csv line ${line}` });
    } catch (error) {
      // A row that lost a race with other writers is reported, and the rest of the file goes on.
      if (!(error instanceof ConflictError)) throw error;
      report.errors.push({ line, accountId: accountId.data, problem: `${error.message} (importing the file again is safe: rows on record are unchanged)` });
      continue;
    }
    if (result.outcome === 'changed') report.recorded++;
    else report.unchanged++;
  }
  return report;
}
