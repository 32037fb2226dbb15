/**
 * `npm run migrate:account-directory -- --table <name> [--region <region>] [--endpoint <url>]`:
 * the one-off migration that puts account items written before the account directory (gsi3)
 * into it (shared/store/account-directory-backfill.ts). Run it once after the deploy that adds
 * gsi3; running it again adds nothing. The local runner does it by itself when it adds the index.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { backfillAccountDirectory } from '../shared/store/account-directory-backfill.ts';
import { createStore } from '../shared/store/client.ts';

const USAGE = 'usage: npm run migrate:account-directory -- --table <name> [--region <region>] [--endpoint <url>]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { table: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const tableName = values.table ?? process.env.TABLE_NAME;
  if (!tableName) {
    console.error(USAGE);
    return 2;
  }
  const store = createStore({ tableName, ...(values.region ? { region: values.region } : {}), ...(values.endpoint ? { endpoint: values.endpoint } : {}) });
  try {
    const { added } = await backfillAccountDirectory(store);
    console.log(`Account directory: ${added} account item(s) added in ${tableName}.`);
    return 0;
  } finally {
    store.doc.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
