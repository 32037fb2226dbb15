import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { createProcessor } from '../functions/processor/processor.ts';
import { defaultPolicy } from '../shared/domain/policy.ts';
import { createStore } from '../shared/store/client.ts';
import { bundle, handlerEnvironment, readBundlingOptions } from './bundles.ts';
import { nodeChildJson } from './child.ts';
import { createBenchTable } from './dynamo.ts';
import { runPool } from './ingest.ts';
import { eventMix } from './mix.ts';
import { sqsBatch } from './queue.ts';
import { median } from './stats.ts';
import { startAwsStandIn } from './aws-standin.ts';
import { prepareSweep } from './sweep.ts';
import { signedDelivery } from '../test/support/stripe-events.ts';

/**
 * A cold start as a caller feels it: a fresh `node` process loads a bundle, then handles its
 * first invocation against DynamoDB Local (the SDK pointed there by AWS_ENDPOINT_URL_DYNAMODB).
 * Module load alone can be made shorter by deferring work to the first invocation without any
 * cold start getting shorter (docs/benchmarks.md: building schemas on first use); this shows the
 * sum beside the load. No target: the figure is there to be compared between changes.
 *
 * The processor gets an SQS batch of one new `invoice.finalized` (a larger batch measures the
 * batch's own work more than the cold start: ten events of two customers take 250-450 ms warm),
 * the API `GET /tasks?limit=50` on a table the mix went through, the webhook one signed delivery
 * (its secret read from Secrets Manager, the event sent to SQS: both a stand-in on 127.0.0.1 that
 * answers at once, `aws-standin.ts`), the sweep an hourly run over a fresh table with two accounts
 * that came due since the last run and the checkpoint the earlier runs left (one opens its
 * review; SNS and EventBridge from the stand-in), and as `sweepFirstRun` the same work on the
 * first run after a deployment, with no checkpoint (a week read back: information, not in the
 * headline), the baseline one GetItem. `coldStartVsBaselineRatio` is the worst function's total
 * ÷ the baseline's.
 */
export interface ColdStartResult {
  runs: number;
  /** Per bundle: medians over the runs of the load, the first invocation and their sum, ms. */
  medianMs: Record<string, { load: number; first: number; total: number }>;
  /** What each first invocation did. */
  invocations: Record<string, string>;
  /** The function whose load + first invocation took longest, and that total ÷ the baseline's. */
  worst: string;
  ratio: number;
  /**
   * The same in CPU time of the function's process (DynamoDB Local's work not included): on a
   * shared machine wall time moves with the load, CPU time much less, so changes compare on it.
   */
  cpuMs: Record<string, { load: number; first: number; total: number }>;
  cpuWorst: string;
  cpuRatio: number;
}

const CHILD = `
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now(), c0 = cpu();
const m = await import(process.env.BENCH_MODULE_URL);
const t1 = performance.now(), c1 = cpu();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60000 };
const out = await m.handler(JSON.parse(process.env.BENCH_INPUT), context);
const t2 = performance.now(), c2 = cpu();
process.stdout.write("\\n" + JSON.stringify({ load: t1 - t0, first: t2 - t1, loadCpu: c1 - c0, firstCpu: c2 - c1, answer: out }));`;

interface ChildResult {
  load: number;
  first: number;
  /** CPU time (user + system) the process spent in each: its own work, whatever else the machine runs. */
  loadCpu: number;
  firstCpu: number;
  answer: unknown;
}

function coldInvoke(name: string, file: string, input: unknown, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  // BENCH_COLD_PROFILE=dir writes each cold process's CPU profile to dir/<function>/, for bench/cold-profile.ts.
  const dir = process.env.BENCH_COLD_PROFILE;
  const profile = dir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${join(dir, name)}`] : [];
  return nodeChildJson<ChildResult>(
    [...profile, '--input-type=module', '-e', CHILD],
    { ...env, BENCH_MODULE_URL: pathToFileURL(file).href, BENCH_INPUT: JSON.stringify(input) },
    `cold invocation of ${file}`,
  );
}

function tasksRequest(): APIGatewayProxyEventV2 {
  return gatewayRequest('GET', '/tasks', { limit: '50' });
}

function gatewayRequest(
  method: string,
  path: string,
  query: Record<string, string>,
  body?: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    ...(body === undefined ? {} : { body }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      // As API Gateway's IAM authorizer leaves it.
      authorizer: { iam: { userArn: 'arn:aws:iam::000000000000:user/bench' } },
    } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
  };
}

/** Checks the first invocation did its work, so a failure is not timed as a fast cold start. */
function checkAnswer(name: string, answer: unknown): void {
  const a = answer as { batchItemFailures?: unknown[]; statusCode?: number; ok?: boolean } | null;
  const sweep = answer as { accountsReevaluated?: number; reviewsOpened?: number; failures?: number } | null;
  const ok =
    name === 'processor'
      ? Array.isArray(a?.batchItemFailures) && a.batchItemFailures.length === 0
      : name === 'api' || name === 'webhook'
        ? a?.statusCode === 200
        : name === 'sweep' || name === 'sweepFirstRun'
          ? (sweep?.accountsReevaluated ?? 0) > 0 && (sweep?.reviewsOpened ?? 0) > 0 && sweep?.failures === 0
          : a?.ok === true;
  if (!ok) throw new Error(`${name}'s first invocation did not succeed: ${JSON.stringify(answer).slice(0, 300)}`);
}

export async function measureColdStart(endpoint: string, options: { runs: number; now: Date; seed: number }): Promise<ColdStartResult> {
  const bundling = readBundlingOptions();
  const outDir = mkdtempSync(join(tmpdir(), 'termwatch-bench-cold-'));
  let closeStandIn = async () => {};
  try {
    const built = [
      await bundle('baseline', join('bench', 'baseline-entry.ts'), bundling, outDir),
      await bundle('processor', join('functions', 'processor', 'handler.ts'), bundling, outDir),
      await bundle('api', join('functions', 'api', 'handler.ts'), bundling, outDir),
      await bundle('webhook', join('functions', 'webhook', 'handler.ts'), bundling, outDir),
      await bundle('sweep', join('functions', 'sweep', 'handler.ts'), bundling, outDir),
    ];
    built.push({ ...built.find((b) => b.name === 'sweep')!, name: 'sweepFirstRun' });
    const webhookSecret = 'whsec_bench_cold_start';
    const standIn = await startAwsStandIn({ [handlerEnvironment(bundling.nodeOptions).STRIPE_WEBHOOK_SECRET_ID!]: webhookSecret });
    closeStandIn = () => standIn.close();
    const tableName = await createBenchTable(endpoint, 'cold');
    // Accounts, facts and tasks for the API to list, made by the processor itself.
    const store = createStore({ tableName, endpoint });
    const processor = createProcessor({ store, policy: defaultPolicy, clock: () => new Date() }, { throwOnFullBatchFailure: false });
    const seedEvents = eventMix({ customers: 10, prefix: 'cold-seed', now: options.now, seed: options.seed });
    await runPool(seedEvents.length, 8, async (i) => void (await processor(sqsBatch([seedEvents[i]!]))));
    store.doc.destroy();

    const env = { ...handlerEnvironment(bundling.nodeOptions), ...standIn.env, TABLE_NAME: tableName, AWS_ENDPOINT_URL_DYNAMODB: endpoint };
    let batchNumber = 0;
    // Each sweep needs due work of its own: a fresh table per cold process. `sweep` is an hourly
    // run (the checkpoint the earlier runs left: today read); `sweepFirstRun` the first run after
    // a deployment (no checkpoint: eight days read), the same bundle.
    const envOf = async (name: string): Promise<NodeJS.ProcessEnv> => {
      if (name !== 'sweep' && name !== 'sweepFirstRun') return env;
      const prepared = await prepareSweep(endpoint, { notDue: 0, dueAccounts: 2, now: options.now, checkpoint: name === 'sweep' ? 'hourly' : 'none' });
      prepared.store.doc.destroy();
      return { ...env, TABLE_NAME: prepared.store.tableName };
    };
    const inputOf = (name: string): unknown => {
      if (name === 'webhook') {
        batchNumber++;
        const story = eventMix({ customers: 1, prefix: `cold-hook-${batchNumber}`, now: options.now, seed: options.seed + 10_000 + batchNumber });
        const { body, signature } = signedDelivery(story[0]!, webhookSecret);
        return gatewayRequest('POST', '/webhooks/stripe', {}, body, { 'content-type': 'application/json', 'stripe-signature': signature });
      }
      if (name === 'processor') {
        batchNumber++;
        const story = eventMix({ customers: 1, prefix: `cold-${batchNumber}`, now: options.now, seed: options.seed + batchNumber });
        const batch: SQSEvent = sqsBatch([story.find((e) => e.type === 'invoice.finalized')!]);
        return batch;
      }
      return name === 'api' ? tasksRequest() : {};
    };
    const samples = new Map<string, ChildResult[]>(built.map((b) => [b.name, []]));
    for (const b of built) checkAnswer(b.name, (await coldInvoke(`${b.name}-warmup`, b.file, inputOf(b.name), await envOf(b.name))).answer); // warm the page cache; check each works
    for (let round = 0; round < options.runs; round++) {
      for (const b of [...built].sort(() => Math.random() - 0.5)) {
        const childEnv = await envOf(b.name);
        const result = await coldInvoke(b.name, b.file, inputOf(b.name), childEnv);
        checkAnswer(b.name, result.answer);
        samples.get(b.name)!.push(result);
      }
    }
    const medianMs = Object.fromEntries(
      [...samples].map(([name, s]) => [
        name,
        { load: median(s.map((r) => r.load)), first: median(s.map((r) => r.first)), total: median(s.map((r) => r.load + r.first)) },
      ]),
    );
    const cpuMs = Object.fromEntries(
      [...samples].map(([name, s]) => [
        name,
        { load: median(s.map((r) => r.loadCpu)), first: median(s.map((r) => r.firstCpu)), total: median(s.map((r) => r.loadCpu + r.firstCpu)) },
      ]),
    );
    // The headline compares the functions as they run every day; the first run after a deployment is shown beside them.
    const daily = ([name]: [string, unknown]) => name !== 'baseline' && name !== 'sweepFirstRun';
    const [worst, worstMs] = Object.entries(medianMs)
      .filter(daily)
      .reduce((a, b) => (b[1].total > a[1].total ? b : a));
    const [cpuWorst, cpuWorstMs] = Object.entries(cpuMs)
      .filter(daily)
      .reduce((a, b) => (b[1].total > a[1].total ? b : a));
    return {
      runs: options.runs,
      medianMs,
      invocations: {
        baseline: 'one GetItem',
        processor: 'an SQS batch of one new invoice.finalized',
        api: 'GET /tasks?limit=50 on a table holding 10 customers’ history',
        webhook: 'one signed delivery (secret from Secrets Manager, event to SQS: a local stand-in)',
        sweep: 'an hourly run: two accounts due since the last (one review opens; SNS and EventBridge from the stand-in), today read',
        sweepFirstRun: 'the same due work on the first run after a deployment (no checkpoint: eight days read); not in the headline',
      },
      worst,
      ratio: worstMs.total / medianMs.baseline!.total,
      cpuMs,
      cpuWorst,
      cpuRatio: cpuWorstMs.total / cpuMs.baseline!.total,
    };
  } finally {
    await closeStandIn();
    // The profiles point into the bundles: kept beside them, source maps included.
    if (process.env.BENCH_COLD_PROFILE) cpSync(outDir, join(process.env.BENCH_COLD_PROFILE, 'bundles'), { recursive: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}
