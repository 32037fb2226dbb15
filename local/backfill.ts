/**
 * `npm run backfill -- [--since YYYY-MM-DD] [--customer cus_…] [--dry-run] [--resume]
 *   [--rate N] [--table NAME | --stack NAME] [--region R]`
 *
 * Imports an existing Stripe account's history (customers, subscriptions, schedules, invoices,
 * refunds, disputes) through the same code as webhook events, then evaluates every touched
 * account once. Reads STRIPE_API_KEY and STRIPE_API_BASE. Target: the local store under
 * WATCHER_DATA_DIR (the running watcher's, or DynamoDB Local started here), or with --table /
 * --stack / TABLE_NAME the deployed table with your AWS credentials. See README "Backfill".
 */
import './node-version.ts';
import { parseArgs } from 'node:util';
import { loadPolicy, PolicyError, type Policy } from '../shared/config/policy.ts';
import { createStore, type Store } from '../shared/store/client.ts';
import { createBackfillStripe, DEFAULT_RATE_PER_SECOND, StripeSettingsError } from '../shared/stripe/backfill-client.ts';
import { BackfillInterruptedError, BackfillOptionsError, runBackfill, type BackfillOptions } from '../shared/usecases/backfill.ts';
import { JavaMissingError } from './dynamodb-local.ts';
import { summaryLines, progressReporter } from './backfill-progress.ts';
import { localSettings, runningWatcherStore, StackOutputError, tableFromStack, withLocalStore } from './local-target.ts';

const USAGE = `usage: npm run backfill -- [options]
  --since YYYY-MM-DD   only invoices, refunds and disputes created since that day (customers,
                       subscriptions and schedules are always read whole: old contracts still renew)
  --customer cus_…     only this customer
  --dry-run            read and check everything, write nothing
  --resume             continue an interrupted run (same --since and --customer)
  --rate N             at most N Stripe requests per second (default ${DEFAULT_RATE_PER_SECOND})
  --table NAME         write to this DynamoDB table on AWS (or set TABLE_NAME)
  --stack NAME         ... the table named by this stack's TableName output (e.g. Termwatch-prod-Stateful)
  --region REGION      AWS region for --table/--stack (default: your AWS configuration)
Environment: STRIPE_API_KEY (required), STRIPE_API_BASE, WATCHER_DATA_DIR, WATCHER_POLICY.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseOptions(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        since: { type: 'string' },
        customer: { type: 'string' },
        'dry-run': { type: 'boolean' },
        resume: { type: 'boolean' },
        rate: { type: 'string' },
        table: { type: 'string' },
        stack: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (
    v.since !== undefined &&
    !(
      /^\d{4}-\d{2}-\d{2}$/.test(v.since) &&
      !Number.isNaN(Date.parse(`${v.since}T00:00:00Z`)) &&
      new Date(`${v.since}T00:00:00Z`).toISOString().startsWith(v.since)
    )
  ) {
    throw new UsageError(`--since must be a calendar date YYYY-MM-DD, got "${v.since}"`);
  }
  if (v.customer !== undefined && !/^cus_\w+$/.test(v.customer)) throw new UsageError(`--customer must be a Stripe customer id (cus_…), got "${v.customer}"`);
  const rate = v.rate === undefined ? DEFAULT_RATE_PER_SECOND : Number(v.rate);
  if (!(rate > 0 && rate <= 100)) throw new UsageError(`--rate must be a number of requests per second between 0 and 100, got "${v.rate}"`);
  if (v.table && v.stack) throw new UsageError('give --table or --stack, not both');
  const options: BackfillOptions = {
    ...(v.since ? { since: v.since } : {}),
    ...(v.customer ? { customer: v.customer } : {}),
    dryRun: v['dry-run'] === true,
    resume: v.resume === true,
  };
  return { help: v.help === true, options, rate, table: v.table ?? process.env.TABLE_NAME, stack: v.stack, region: v.region };
}

async function main(): Promise<number> {
  const started = Date.now();
  let cli;
  try {
    cli = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  let policy: Policy;
  try {
    policy = loadPolicy(process.env.WATCHER_POLICY);
  } catch (error) {
    if (error instanceof PolicyError) {
      console.error(`backfill cannot start: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const client = createBackfillStripe({ apiKey: process.env.STRIPE_API_KEY ?? '', apiBase: process.env.STRIPE_API_BASE, ratePerSecond: cli.rate });
  const progress = progressReporter(process.stdout);

  const run = async (store: Store, target: string) => {
    console.log(`Backfill from ${process.env.STRIPE_API_BASE || 'https://api.stripe.com'} into ${target}${cli.options.dryRun ? ' (dry run)' : ''}`);
    const summary = await runBackfill({ store, policy, stripe: client.stripe, now: new Date(), onProgress: progress.update }, cli.options);
    progress.finish();
    console.log(summaryLines(summary, { ...client.stats, elapsedMs: Date.now() - started }).join('\n'));
  };

  if (cli.table || cli.stack) {
    const tableName = cli.table ?? (await tableFromStack(cli.stack as string, cli.region));
    if (!process.env.WATCHER_POLICY) console.log('Note: using the built-in policy; set WATCHER_POLICY to the policy file the stack was deployed with.');
    const store = createStore({ tableName, ...(cli.region ? { region: cli.region } : {}) });
    try {
      await run(store, `DynamoDB table ${tableName} (AWS)`);
    } finally {
      store.doc.destroy();
    }
    return 0;
  }
  const settings = localSettings();
  const watcherStore = await runningWatcherStore(settings.dataDir);
  if (watcherStore) {
    try {
      await run(watcherStore, `the running watcher's store (${settings.dataDir})`);
    } finally {
      watcherStore.doc.destroy();
    }
  } else {
    await withLocalStore(settings.dataDir, (store) => run(store, `the local store in ${settings.dataDir}`));
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error('');
  if (
    error instanceof UsageError ||
    error instanceof StackOutputError ||
    error instanceof BackfillOptionsError ||
    error instanceof StripeSettingsError ||
    error instanceof PolicyError
  ) {
    console.error(`backfill: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof BackfillInterruptedError) {
    console.error(`backfill: ${error.message}`);
    if (error.checkpoint) console.error(`  ${error.checkpoint.read} ${error.resource} read before it stopped; run again with --resume to continue from there.`);
    process.exitCode = 1;
  } else if (error instanceof JavaMissingError) {
    console.error(`backfill: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
