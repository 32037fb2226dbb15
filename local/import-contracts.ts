/**
 * `npm run import:contracts -- file.csv [--table NAME | --stack NAME] [--region R] [--as NAME]`:
 * imports contracts (accountId,endDate,noticeDays,renewal,renewalTermMonths). Sends the file to
 * the running watcher when `npm start` is up; otherwise opens the local store itself. With
 * --table / --stack it writes to the deployed table through the same use case, with your AWS
 * credentials (IAM: the machine path on AWS, where the API takes people's JWTs). Prints every bad
 * row with its line and reason.
 */
import './node-version.ts';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPolicy } from '../shared/config/policy.ts';
import { createStore } from '../shared/store/client.ts';
import { importContractsCsv, type ImportReport } from '../shared/usecases/contracts.ts';
import { localSettings, runningWatcherUrl, StackOutputError, tableFromStack, withLocalStore } from './local-target.ts';

const USAGE = 'usage: npm run import:contracts -- <file.csv> [--table NAME | --stack NAME] [--region REGION] [--as NAME]';
const parseCommandLine = () => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: { table: { type: 'string' }, stack: { type: 'string' }, region: { type: 'string' }, as: { type: 'string' } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
};
const args = parseCommandLine();
const file = args.positionals[0];
const { table, stack, region, as: author = 'import-cli' } = args.values;
if (!file || args.positionals.length > 1 || (table && stack)) {
  console.error(USAGE);
  process.exit(2);
}
let csv: string;
try {
  csv = readFileSync(file, 'utf8');
} catch (error) {
  console.error(`cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}

let report: ImportReport;
if (table || stack) {
  // The deployed table, with the caller's AWS credentials: as the backfill does.
  let tableName: string;
  try {
    tableName = table ?? (await tableFromStack(stack as string, region));
  } catch (error) {
    if (!(error instanceof StackOutputError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  if (!process.env.WATCHER_POLICY) console.log('Note: using the built-in policy; set WATCHER_POLICY to the policy file the stack was deployed with.');
  const policy = loadPolicy(process.env.WATCHER_POLICY);
  const store = createStore({ tableName, ...(region ? { region } : {}) });
  try {
    report = await importContractsCsv({ store, policy }, csv, author, new Date());
  } finally {
    store.doc.destroy();
  }
} else {
  const settings = localSettings();
  const url = await runningWatcherUrl(settings.port);
  if (url) {
    const response = await fetch(`${url}/contracts/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${settings.secrets.apiToken}` },
      body: csv,
    });
    report = (await response.json()) as ImportReport;
  } else {
    const policy = loadPolicy(process.env.WATCHER_POLICY);
    report = await withLocalStore(settings.dataDir, (store) => importContractsCsv({ store, policy }, csv, author, new Date()));
  }
}
console.log(`${report.rows} rows: ${report.recorded} recorded, ${report.unchanged} unchanged, ${report.errors.length} errors`);
for (const e of report.errors) console.log(`  line ${e.line}${e.accountId ? ` (${e.accountId})` : ''}: ${e.field ? `${e.field}: ` : ''}${e.problem}`);
process.exit(report.errors.length > 0 ? 1 : 0);
