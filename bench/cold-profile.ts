/**
 * Where a cold start's time goes, from the CPU profiles `BENCH_COLD_PROFILE=dir` leaves:
 *
 *   BENCH_COLD_PROFILE=/tmp/cold npm run bench -- --only=coldstart
 *   node --import tsx bench/cold-profile.ts /tmp/cold [function…]
 *
 * For each function (dir/<function>/*.cpuprofile, the bundles in dir/bundles with their source
 * maps), the samples before the first one inside the function's own handler file (node's start,
 * the bundle's compile and module-scope code) and from there on (the first invocation), each
 * summed by package through the source map: a bundle's `node_modules` package, a repository
 * folder, or node's own (`node:…`, `(garbage collector)`, `(idle)`: waiting on a socket).
 * Milliseconds per process, the mean over the profiles. The sampling interval is 0.1 ms; the
 * profiler itself adds some time, so compare the parts with each other, not with the report.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The handler file whose first sample starts the first invocation; the baseline's is its entry. */
const handlerSource = (name: string) => (name === 'baseline' ? 'bench/baseline-entry.ts' : `functions/${name.replace(/FirstRun$/, '')}/handler.ts`);

function groupOf(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
  if (pkg) return pkg;
  const repo = /(?:^|\/)((?:shared|functions|bench)\/[^/]+)/.exec(source)?.[1];
  return repo ?? source;
}

export function readColdProfiles(dir: string, name: string): { profiles: number; load: Map<string, number>; first: Map<string, number> } {
  const bundleName = name.replace(/FirstRun$/, '');
  const mapFile = join(dir, 'bundles', bundleName, 'index.mjs.map');
  const map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined;
  const load = new Map<string, number>();
  const first = new Map<string, number>();
  const files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, name, file), 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const sources = new Map<number, string | undefined>();
    const sourceOf = (id: number): string | undefined => {
      if (!sources.has(id)) {
        const { url, lineNumber, columnNumber } = nodes.get(id)!.callFrame;
        const entry = map && url.endsWith(`/${bundleName}/index.mjs`) ? map.findEntry(lineNumber, columnNumber) : undefined;
        sources.set(id, entry && 'originalSource' in entry ? String(entry.originalSource) : undefined);
      }
      return sources.get(id);
    };
    const groupOfNode = (id: number): string => {
      const source = sourceOf(id);
      if (source) return groupOf(source);
      const { url, functionName } = nodes.get(id)!.callFrame;
      if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
      // Module-scope code of the minified bundle maps to no one source line.
      if (url.endsWith('/index.mjs')) return 'the bundle, unmapped';
      return functionName || url || '(anonymous)';
    };
    const inHandler = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (sourceOf(at)?.endsWith(handlerSource(name))) return true;
      return false;
    };
    let invoking = false;
    profile.samples.forEach((id, i) => {
      invoking ||= inHandler(id);
      const into = invoking ? first : load;
      const group = groupOfNode(id);
      into.set(group, (into.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000 / files.length);
    });
  }
  return { profiles: files.length, load, first };
}

function show(parts: Map<string, number>, top: number): string {
  const total = [...parts.values()].reduce((a, b) => a + b, 0);
  const rows = [...parts].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`  ${total.toFixed(1).padStart(6)} ms in all`, ...rows.map(([group, ms]) => `  ${ms.toFixed(1).padStart(6)}  ${group}`)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...wanted] = process.argv.slice(2);
  if (!dir || !existsSync(dir)) {
    console.error('usage: node --import tsx bench/cold-profile.ts <BENCH_COLD_PROFILE dir> [function…]');
    process.exit(2);
  }
  const names = wanted.length > 0 ? wanted : readdirSync(dir).filter((d) => d !== 'bundles' && !d.endsWith('-warmup'));
  for (const name of names) {
    const { profiles, load, first } = readColdProfiles(dir, name);
    console.log(`${name} (${profiles} profiles)\n start and load:\n${show(load, 12)}\n first invocation:\n${show(first, 12)}\n`);
  }
}
