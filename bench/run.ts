/**
 * `npm run bench [-- --json] [--quick] [--only=bundles,dashboard,coldstart,writes,sweep,ingest,webhook,lists,backfill,preview] [--update-docs] [--init-compare]`
 *
 * The benchmark report (issue 9): DynamoDB requests per event, ingest throughput against raw
 * PutItem, the sweep's read cost against not-due work, bundle sizes and module load time, and
 * the webhook's tail latency on the local stack; also cold starts with their first invocation. Everything runs on this machine against
 * DynamoDB Local (in memory, started and stopped here). Prints a Markdown table; `--json` adds
 * one final line of JSON. Exits 0 when every phase ran, whether or not a target was met (the
 * table says MISSED); 1 when a phase failed to run.
 */
import './env.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunningDynamoDbLocal } from '../local/dynamodb-local.ts';
import { measureBackfill } from './backfill.ts';
import { measureBundles } from './bundles.ts';
import { measureLists } from './lists.ts';
import { measureColdStart } from './cold-start.ts';
import { startBenchDynamo } from './dynamo.ts';
import { measureIngest } from './ingest.ts';
import { currentLoad, describeMachine } from './machine.ts';
import { detailSections, headlineTable, jsonSummary, machineLine, type BenchResults } from './report.ts';
import { measurePreview } from './preview.ts';
import { buildDashboard } from '../web/build.ts';
import { compareSweeps, prepareSweep, sweepOnce, type PreparedSweep } from './sweep.ts';
import { measureWebhook } from './webhook.ts';
import { measureWrites } from './writes.ts';

const PHASES = ['bundles', 'dashboard', 'coldstart', 'writes', 'sweep', 'ingest', 'webhook', 'lists', 'backfill', 'preview'] as const;
type Phase = (typeof PHASES)[number];

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const unknown = (only ?? []).filter((p) => !(PHASES as readonly string[]).includes(p));
if (unknown.length > 0) {
  console.error(`unknown phase(s): ${unknown.join(', ')}; phases are ${PHASES.join(', ')}`);
  process.exit(2);
}
const runs = (phase: Phase) => !only || only.includes(phase);
const quick = flag('quick');

/** Sizes: the issue's, or small ones for a quick check that everything still runs. */
const size = quick
  ? {
      customers: 5,
      rawPuts: 400,
      events: 80,
      rounds: 1,
      notDueSmall: 100,
      notDueLarge: 5_000,
      dueAccounts: 4,
      initRuns: 5,
      coldRuns: 2,
      deliveries: 300,
      warmUp: 50,
      listsSmall: 600,
      listsLarge: 3_000,
      backfillCustomers: 100,
      previewAccounts: 200,
      previewRounds: 1,
    }
  : {
      customers: 20,
      rawPuts: 1_500,
      events: 300,
      rounds: 3,
      notDueSmall: 1_000,
      notDueLarge: 100_000,
      dueAccounts: 20,
      initRuns: 25,
      coldRuns: 15,
      deliveries: 2_000,
      warmUp: 200,
      listsSmall: 1_000,
      listsLarge: 100_000,
      backfillCustomers: 4_000,
      previewAccounts: 10_000,
      previewRounds: 3,
    };

const started = performance.now();
const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

const results: BenchResults = {
  machine: describeMachine(),
  command: `npm run bench -- ${args.join(' ')}`.trim(),
  startedAt: new Date().toISOString(),
  errors: [],
};

async function phase<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  log(`${name}…`);
  try {
    const value = await work();
    log(`${name} done`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    results.errors.push({ phase: name, message });
    log(`${name} FAILED: ${message}`);
    return undefined;
  }
}

let dynamo: RunningDynamoDbLocal | undefined;
// Ctrl-C: DynamoDB Local is a Java process of ours; never leave it behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void (dynamo?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const now = new Date();
try {
  // Bundles first, while no Java process competes for the CPU with the cold `node` processes.
  if (runs('bundles'))
    results.bundles = await phase('bundles (esbuild as CDK builds them; cold module loads)', () =>
      measureBundles({ runs: size.initRuns, compareWithoutNodeOptions: flag('init-compare') }),
    );

  if (runs('dashboard')) {
    results.dashboard = await phase("dashboard's JavaScript (web/build.ts)", async () => ({ scriptBytes: (await buildDashboard()).scriptBytes }));
  }

  if (PHASES.some((p) => p !== 'bundles' && p !== 'dashboard' && runs(p))) {
    log('starting DynamoDB Local (in memory)');
    dynamo = await startBenchDynamo();
    const endpoint = dynamo.endpoint;

    // Before the sweep's seeding starts: cold processes time themselves.
    if (runs('coldstart'))
      results.coldStart = await phase('cold start with the first invocation', () => measureColdStart(endpoint, { runs: size.coldRuns, now, seed: 500 }));

    // The large sweep table is seeded while the write counts run: those are counts, not timings.
    let largePrep: Promise<PreparedSweep> | undefined;
    if (runs('sweep')) {
      log(`seeding ${size.notDueLarge} not-due reviews in the background`);
      largePrep = prepareSweep(endpoint, { notDue: size.notDueLarge, dueAccounts: size.dueAccounts, now });
      largePrep.catch(() => undefined);
    }
    if (runs('writes')) results.writes = await phase('writes per event', () => measureWrites(endpoint, { customers: size.customers, now, seed: 42 }));
    if (largePrep) {
      const prepared = largePrep;
      results.sweep = await phase('sweep', async () => {
        const large = await prepared;
        const small = await sweepOnce(await prepareSweep(endpoint, { notDue: size.notDueSmall, dueAccounts: size.dueAccounts, now }));
        return compareSweeps(small, await sweepOnce(large), size.dueAccounts);
      });
    }
    if (runs('ingest'))
      results.ingest = await phase('ingest against raw PutItem', () =>
        measureIngest(endpoint, { concurrency: 8, rawPuts: size.rawPuts, events: size.events, rounds: size.rounds, now, seed: 1000, javaPid: dynamo?.pid }),
      );
    if (runs('lists'))
      results.lists = await phase('list queries against table size', () => measureLists(endpoint, { small: size.listsSmall, large: size.listsLarge, now }));
    if (runs('backfill'))
      results.backfill = await phase('backfill against the rate limit', () =>
        measureBackfill(endpoint, { customers: size.backfillCustomers, now, concurrency: 8 }),
      );
    if (runs('webhook'))
      results.webhook = await phase('webhook p99 on the local stack', () =>
        measureWebhook(endpoint, { deliveries: size.deliveries, warmUp: size.warmUp, concurrency: 50, now, seed: 77 }),
      );
    if (runs('preview'))
      results.preview = await phase(`policy preview over ${size.previewAccounts} accounts against reading their partitions`, () =>
        measurePreview(endpoint, { accounts: size.previewAccounts, rounds: size.previewRounds, now }),
      );
  }
} finally {
  if (dynamo) {
    log('stopping DynamoDB Local');
    await dynamo.stop();
  }
}

results.durationSeconds = Math.round((performance.now() - started) / 1000);
results.machine.loadAverageEnd = currentLoad();

const title = `## Termwatch benchmark${quick ? ' (quick sizes: not the issue’s figures)' : ''}`;
const body = [
  `Machine: ${machineLine(results.machine)}.`,
  `Command: \`${results.command}\`, ${results.startedAt}, ${results.durationSeconds} s.`,
  '',
  headlineTable(results),
  '',
  detailSections(results),
  ...(results.errors.length > 0 ? ['### Errors', '', ...results.errors.map((e) => `- ${e.phase}: ${e.message}`), ''] : []),
].join('\n');
console.log(`${title}\n\n${body}`);

if (flag('update-docs')) {
  const docs = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
  const text = readFileSync(docs, 'utf8');
  const start = '<!-- bench:results -->';
  const end = '<!-- /bench:results -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    log(`docs/benchmarks.md has no ${start} … ${end} block; not updated`);
  } else {
    writeFileSync(docs, `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`);
    log('docs/benchmarks.md updated');
  }
}

if (flag('json')) console.log(JSON.stringify(jsonSummary(results)));
process.exitCode = results.errors.length > 0 ? 1 : 0;
