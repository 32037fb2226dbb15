/**
 * `npm run import:contracts -- file.csv`: imports contracts (accountId,endDate,noticeDays,
 * renewal,renewalTermMonths). Sends the file to the running watcher when `npm start` is up;
 * otherwise opens the local store itself. Prints every bad row with its line and reason.
 */
import './node-version.ts';
import { readFileSync } from 'node:fs';
import { loadPolicy } from '../shared/config/policy.ts';
import { importContractsCsv, type ImportReport } from '../shared/usecases/contracts.ts';
import { localSettings, runningWatcherUrl, withLocalStore } from './local-target.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npm run import:contracts -- <file.csv>');
  process.exit(2);
}
let csv: string;
try {
  csv = readFileSync(file, 'utf8');
} catch (error) {
  console.error(`cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}

const settings = localSettings();
const url = await runningWatcherUrl(settings.port);
let report: ImportReport;
if (url) {
  const response = await fetch(`${url}/contracts/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${settings.secrets.apiToken}` },
    body: csv,
  });
  report = (await response.json()) as ImportReport;
} else {
  const policy = loadPolicy(process.env.WATCHER_POLICY);
  report = await withLocalStore(settings.dataDir, (store) => importContractsCsv({ store, policy }, csv, 'import-cli', new Date()));
}
console.log(`${report.rows} rows: ${report.recorded} recorded, ${report.unchanged} unchanged, ${report.errors.length} errors`);
for (const e of report.errors) console.log(`  line ${e.line}${e.accountId ? ` (${e.accountId})` : ''}: ${e.field ? `${e.field}: ` : ''}${e.problem}`);
process.exit(report.errors.length > 0 ? 1 : 0);
