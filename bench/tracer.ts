import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bundle, handlerEnvironment, readBundlingOptions } from './bundles.ts';
import { nodeChildJson } from './child.ts';
import { createBenchTable, startBenchDynamo } from './dynamo.ts';
import { median } from './stats.ts';

/**
 * What Powertools Tracer around the SDK clients costs a cold start (the stack's `tracer`
 * setting; docs/deploy-context.md, "Tracing"): the API function bundled as CDK bundles it, then
 * one cold `node` process per sample loads it and answers its first GET /health (one GetItem on
 * DynamoDB Local), as in bench/cold-start.ts. Three cases, interleaved at random:
 * - off: the default bundle (the tracer external: never imported while tracing is off),
 * - bundledOff: the bundle of a stage with `tracer` on, but POWERTOOLS_TRACE_ENABLED=false,
 * - on: that bundle with tracing on, in a Lambda-like environment (AWS_EXECUTION_ENV and a
 *   trace header set, so the tracer does capture; segments go to the absent daemon over UDP).
 *
 * `node --import tsx bench/tracer.ts [runs]` prints one JSON line.
 */
const CHILD = `
const t0 = performance.now();
const m = await import(process.env.BENCH_MODULE_URL);
const t1 = performance.now();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60000 };
const out = await m.handler(JSON.parse(process.env.BENCH_INPUT), context);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ load: t1 - t0, first: t2 - t1, status: out.statusCode }));`;

const health: APIGatewayProxyEventV2 = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/health',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: {
    accountId: '000000000000',
    apiId: 'bench',
    domainName: 'bench.example.com',
    domainPrefix: 'bench',
    http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
    requestId: 'bench',
    routeKey: '$default',
    stage: '$default',
    time: '',
    timeEpoch: 0,
  },
};

const runs = Number(process.argv[2] ?? 15);
const options = readBundlingOptions();
const outDir = mkdtempSync(join(tmpdir(), 'termwatch-bench-tracer-'));
const dynamo = await startBenchDynamo();
try {
  // The bench reads the default bundling (tracer external); a traced stage bundles everything.
  const untraced = await bundle('untraced', join('functions', 'api', 'handler.ts'), options, outDir);
  const traced = await bundle(
    'traced',
    join('functions', 'api', 'handler.ts'),
    { ...options, external: options.external.filter((m) => m !== '@aws-lambda-powertools/tracer') },
    outDir,
  );
  const tableName = await createBenchTable(dynamo.endpoint, 'tracer');
  const env = { ...handlerEnvironment(options.nodeOptions), TABLE_NAME: tableName, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };
  const lambdaLike = {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    LAMBDA_TASK_ROOT: outDir,
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  };
  const cases = {
    off: { file: untraced.file, env: { ...env, POWERTOOLS_TRACE_ENABLED: 'false' } },
    bundledOff: { file: traced.file, env: { ...env, POWERTOOLS_TRACE_ENABLED: 'false' } },
    on: { file: traced.file, env: { ...env, ...lambdaLike, POWERTOOLS_TRACE_ENABLED: 'true' } },
  };
  const samples: Record<string, Array<{ load: number; first: number }>> = { off: [], bundledOff: [], on: [] };
  // The first round warms the page cache and checks each case answers.
  for (let round = 0; round <= runs; round++) {
    for (const [name, c] of Object.entries(cases).sort(() => Math.random() - 0.5)) {
      const r = await nodeChildJson<{ load: number; first: number; status: number }>(
        ['--input-type=module', '-e', CHILD],
        { ...c.env, BENCH_MODULE_URL: pathToFileURL(c.file).href, BENCH_INPUT: JSON.stringify(health) },
        `cold /health, tracer ${name}`,
      );
      if (r.status !== 200) throw new Error(`tracer ${name}: GET /health answered ${r.status}`);
      if (round > 0) samples[name]!.push(r);
    }
  }
  const medians = Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [
      name,
      {
        loadMs: Math.round(median(s.map((x) => x.load))),
        firstMs: Math.round(median(s.map((x) => x.first))),
        totalMs: Math.round(median(s.map((x) => x.load + x.first))),
      },
    ]),
  );
  const kb = (file: string) => Math.round(statSync(file).size / 1024);
  console.log(JSON.stringify({ runs, bundleKb: { untraced: kb(untraced.file), traced: kb(traced.file) }, medians }));
} finally {
  await dynamo.stop();
  rmSync(outDir, { recursive: true, force: true });
}
