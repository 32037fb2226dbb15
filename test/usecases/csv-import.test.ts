import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { listCosts } from '../../shared/store/cost.ts';
import { getContract } from '../../shared/store/contract.ts';
import { importCostsCsv } from '../../shared/usecases/costs.ts';
import { importContractsCsv } from '../../shared/usecases/contracts.ts';
import { createTestStore } from '../support/store.ts';

/** CSV imports as a spreadsheet writes them: what is read, what is refused, and on which line. */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());
const deps = () => ({ store, policy: defaultPolicy });
const amounts = async (accountId: string) => (await listCosts(store, accountId, { limit: 50 })).items.map((c) => c.amount).sort((a, b) => a - b);

describe('CSV imports', () => {
  it('refuse an amount written with a decimal point: "15.00" in a minor-units column is not 15 cents', async () => {
    const csv = ['accountId,amount,currency,date,category', 'cus_csv_dec,15.00,usd,2026-11-02,support', 'cus_csv_dec,1500,usd,2026-11-03,support'].join('\n');
    const report = await importCostsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 2, recorded: 1, errors: [{ line: 2, field: 'amount' }] });
    expect(await amounts('cus_csv_dec')).toEqual([1500]);
  });

  it('report the line a row starts on, counting blank lines and quoted line breaks', async () => {
    const csv =
      'accountId,amount,currency,date,category,note\r\n\r\ncus_csv_lines,100,usd,2026-11-02,support,"two\r\nlines"\r\n\r\ncus_csv_lines,-1,usd,2026-11-02,support,bad\r\n';
    const report = await importCostsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 2, recorded: 1, errors: [{ line: 6, field: 'amount' }] });
  });

  it('refuse a header naming a column twice, writing nothing', async () => {
    const csv = ['accountId,amount,currency,date,category,amount', 'cus_csv_twice,100,usd,2026-11-02,support,999'].join('\n');
    const report = await importCostsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ recorded: 0, errors: [{ line: 1 }] });
    expect(report.errors[0]!.problem).toContain('named more than once: amount');
    expect(await amounts('cus_csv_twice')).toEqual([]);
  });

  it('report a row with more cells than the header names, and import the others', async () => {
    const csv = ['accountId,endDate,noticeDays,renewal', 'cus_csv_extra,2027-06-30,30,fixed,surprise', 'cus_csv_fine,2027-06-30,30,fixed'].join('\n');
    const report = await importContractsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 2, recorded: 1, errors: [{ line: 2 }] });
    expect(report.errors[0]!.problem).toContain('5 cells but the header names 4 columns');
    expect(await getContract(store, 'cus_csv_extra')).toBeUndefined();
  });

  it('tell rows apart by all their cells: two rows differing only in a long note are two costs, and a re-import adds nothing', async () => {
    const note = 'x'.repeat(120);
    const csv = [
      'accountId,amount,currency,date,category,note',
      `cus_csv_long,100,usd,2026-11-02,support,${note}a`,
      `cus_csv_long,100,usd,2026-11-02,support,${note}b`,
    ].join('\n');
    expect(await importCostsCsv(deps(), csv, 'token:finance', now)).toMatchObject({ recorded: 2, errors: [] });
    expect(await importCostsCsv(deps(), csv, 'token:finance', now)).toMatchObject({ recorded: 0, unchanged: 2, errors: [] });
    expect(await amounts('cus_csv_long')).toEqual([100, 100]);
  });
});
