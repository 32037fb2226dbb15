import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { defaultPolicy } from '../shared/domain/policy.ts';
import { nodeChildJson } from './child.ts';
import { median, percentile } from './stats.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The esbuild options CDK's NodejsFunction passes, as the product's construct sets them. */
export interface BundlingOptions {
  /** Where they were read from, or that the fallback was used. */
  source: string;
  target: string;
  format: 'esm' | 'cjs';
  minify: boolean;
  sourcemap: boolean;
  sourcesContent: boolean;
  mainFields: string[];
  banner: string | undefined;
  external: string[];
  /** NODE_OPTIONS the construct sets on every function (e.g. --enable-source-maps). */
  nodeOptions: string;
}

const FALLBACK: BundlingOptions = {
  source: 'fallback (no construct found)',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: false,
  sourcesContent: true,
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  external: [],
  nodeOptions: '',
};

/**
 * Reads the bundling options from the CDK construct that builds the functions
 * (infra/constructs/*function*.ts), so the sizes here are the sizes CDK ships. A value the
 * construct does not spell out keeps the fallback (the options the issue names).
 */
export function readBundlingOptions(): BundlingOptions {
  const dir = join(repoRoot, 'infra', 'constructs');
  const file = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /function.*\.ts$/i.test(f))
        .map((f) => join(dir, f))
        .find((f) => readFileSync(f, 'utf8').includes('NodejsFunction'))
    : undefined;
  if (!file) return FALLBACK;
  const text = readFileSync(file, 'utf8');
  const bundling = /bundling:\s*\{([\s\S]*?)\n\s*\},/.exec(text)?.[1] ?? '';
  const pick = (re: RegExp) => re.exec(bundling)?.[1];
  const bool = (name: string, fallback: boolean) => {
    const v = pick(new RegExp(`\\b${name}:\\s*(true|false)`));
    return v === undefined ? fallback : v === 'true';
  };
  const list = (name: string, fallback: string[]) => {
    const v = pick(new RegExp(`\\b${name}:\\s*\\[([^\\]]*)\\]`));
    return v === undefined ? fallback : [...v.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  };
  const banner = /\bbanner:\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)/.exec(bundling);
  return {
    source: relative(repoRoot, file),
    target: pick(/\btarget:\s*['"]([^'"]+)['"]/) ?? FALLBACK.target,
    format: pick(/\bformat:\s*OutputFormat\.(ESM|CJS)/) === 'CJS' ? 'cjs' : 'esm',
    minify: bool('minify', FALLBACK.minify),
    sourcemap: bool('sourceMap', FALLBACK.sourcemap),
    sourcesContent: bool('sourcesContent', FALLBACK.sourcesContent),
    mainFields: list('mainFields', FALLBACK.mainFields),
    banner: banner ? (banner[1] ?? banner[2] ?? banner[3]) : FALLBACK.banner,
    external: list('externalModules', FALLBACK.external),
    nodeOptions: /NODE_OPTIONS:\s*['"]([^'"]*)['"]/.exec(text)?.[1] ?? '',
  };
}

export interface Bundle {
  name: string;
  entry: string;
  file: string;
  bytes: number;
  kb: number;
  /** Bytes in the output by package (or source folder), largest first. */
  topInputs: Array<{ input: string; kb: number }>;
}

/** Every Lambda entry: functions/<name>/handler.ts. */
export function functionEntries(): Array<{ name: string; entry: string }> {
  const dir = join(repoRoot, 'functions');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'handler.ts')))
    .sort()
    .map((name) => ({ name, entry: join('functions', name, 'handler.ts') }));
}

/** Builds one entry as CDK's esbuild step does, into its own folder under `outDir`. */
export async function bundle(name: string, entry: string, options: BundlingOptions, outDir: string): Promise<Bundle> {
  const file = join(outDir, name, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, entry)],
    bundle: true,
    platform: 'node',
    target: options.target,
    format: options.format,
    outfile: file,
    minify: options.minify,
    sourcemap: options.sourcemap,
    sourcesContent: options.sourcesContent,
    mainFields: options.mainFields,
    external: options.external,
    ...(options.banner ? { banner: { js: options.banner } } : {}),
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = statSync(file).size;
  return { name, entry, file, bytes, kb: bytes / 1024, topInputs: topInputs(result.metafile, file) };
}

function topInputs(metafile: Metafile, file: string): Array<{ input: string; kb: number }> {
  const output = Object.entries(metafile.outputs).find(([path]) => join(repoRoot, path) === file || path.endsWith(relative(repoRoot, file)))?.[1];
  const byGroup = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const group = pkg ?? input.split('/').slice(0, 2).join('/');
    byGroup.set(group, (byGroup.get(group) ?? 0) + bytesInOutput);
  }
  return [...byGroup]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([input, bytes]) => ({ input, kb: Math.round((bytes / 1024) * 10) / 10 }));
}

/** Dummy values for every variable a handler requires at load (none is contacted: nothing runs but the import). */
export function handlerEnvironment(nodeOptions: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    TABLE_NAME: 'termwatch-bench',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/termwatch-bench',
    STRIPE_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench',
    EVENT_BUS_NAME: 'termwatch-bench',
    WATCHER_POLICY_JSON: JSON.stringify(defaultPolicy),
    AUTH_MODE: 'iam',
    POWERTOOLS_SERVICE_NAME: 'bench',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_NAMESPACE: 'Termwatch',
  };
}

const IMPORT_TIMER =
  'const t0 = performance.now(); await import(process.env.BENCH_MODULE_URL); ' + 'process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));';

/** One cold `node` process importing the bundle: the module load time, in ms. */
export async function coldImport(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const report = await nodeChildJson<{ ms: number }>(
    ['--input-type=module', '-e', IMPORT_TIMER],
    { ...env, BENCH_MODULE_URL: pathToFileURL(file).href },
    `loading ${file}`,
  );
  return report.ms;
}

export interface InitTimes {
  runs: number;
  nodeOptions: string;
  /** Median module load time per bundle, ms. */
  medianMs: Record<string, number>;
  /** 25th and 75th percentile per bundle, ms: the samples have a long tail on a shared machine. */
  quartilesMs: Record<string, [number, number]>;
  baselineMs: number;
  worst: string;
  ratio: number;
  /**
   * The worst bundle's load ÷ the baseline's within each round (both loaded moments apart), 25th
   * to 75th percentile over the rounds: how far the headline ratio may move between runs.
   */
  worstRoundRatioQuartiles: [number, number];
}

/**
 * Median load time of each bundle over `runs` cold processes, round-robin in a shuffled order
 * each round, so a busy moment of the machine falls on every bundle alike.
 */
export async function measureInit(bundles: readonly Bundle[], baseline: Bundle, runs: number, nodeOptions: string): Promise<InitTimes> {
  const env = handlerEnvironment(nodeOptions);
  const all = [baseline, ...bundles];
  const samples = new Map<string, number[]>(all.map((b) => [b.name, []]));
  for (const b of all) await coldImport(b.file, env); // page cache and compile cache warm for all alike
  for (let round = 0; round < runs; round++) {
    const order = [...all].sort(() => Math.random() - 0.5);
    for (const b of order) samples.get(b.name)!.push(await coldImport(b.file, env));
  }
  const medianMs = Object.fromEntries([...samples].map(([name, s]) => [name, median(s)]));
  const quartilesMs = Object.fromEntries([...samples].map(([name, s]) => [name, [percentile(s, 25), percentile(s, 75)] as [number, number]]));
  const worst = bundles.reduce((w, b) => (medianMs[b.name]! > medianMs[w.name]! ? b : w), bundles[0]!);
  const baselineMs = medianMs[baseline.name]!;
  const baselineSamples = samples.get(baseline.name)!;
  const roundRatios = samples.get(worst.name)!.map((ms, round) => ms / baselineSamples[round]!);
  return {
    runs,
    nodeOptions,
    medianMs,
    quartilesMs,
    baselineMs,
    worst: worst.name,
    ratio: medianMs[worst.name]! / baselineMs,
    worstRoundRatioQuartiles: [percentile(roundRatios, 25), percentile(roundRatios, 75)],
  };
}

export interface BundleBenchResult {
  options: BundlingOptions;
  bundles: Bundle[];
  baseline: Bundle;
  maxBundle: string;
  maxBundleKb: number;
  init: InitTimes;
  /** The same without NODE_OPTIONS, to show what source-map support costs at load. */
  initWithoutNodeOptions?: InitTimes;
}

export async function measureBundles(options: { runs: number; compareWithoutNodeOptions: boolean }): Promise<BundleBenchResult> {
  const bundling = readBundlingOptions();
  const outDir = mkdtempSync(join(tmpdir(), 'termwatch-bench-bundles-'));
  try {
    const bundles: Bundle[] = [];
    for (const { name, entry } of functionEntries()) bundles.push(await bundle(name, entry, bundling, outDir));
    const baseline = await bundle('baseline', join('bench', 'baseline-entry.ts'), bundling, outDir);
    const largest = bundles.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const init = await measureInit(bundles, baseline, options.runs, bundling.nodeOptions);
    const initWithoutNodeOptions =
      options.compareWithoutNodeOptions && bundling.nodeOptions !== '' ? await measureInit(bundles, baseline, options.runs, '') : undefined;
    return {
      options: bundling,
      bundles,
      baseline,
      maxBundle: largest.name,
      maxBundleKb: largest.kb,
      init,
      ...(initWithoutNodeOptions ? { initWithoutNodeOptions } : {}),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
