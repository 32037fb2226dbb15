import type { BackfillBenchResult } from './backfill.ts';
import type { BundleBenchResult } from './bundles.ts';
import { costPerMillionEvents, PRICES } from './cost.ts';
import type { ListsBenchResult } from './lists.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { IngestResult } from './ingest.ts';
import type { MachineDescription } from './machine.ts';
import type { PreviewBenchResult } from './preview.ts';
import type { SweepBenchResult } from './sweep.ts';
import type { WebhookBenchResult } from './webhook.ts';
import type { WritesResult } from './writes.ts';

export interface BenchResults {
  machine: MachineDescription;
  command: string;
  startedAt: string;
  durationSeconds?: number;
  writes?: WritesResult;
  ingest?: IngestResult;
  sweep?: SweepBenchResult;
  bundles?: BundleBenchResult;
  coldStart?: ColdStartResult;
  webhook?: WebhookBenchResult;
  lists?: ListsBenchResult;
  backfill?: BackfillBenchResult;
  /** The dashboard's JavaScript (web/build.ts's buildDashboard), when this tree has it. */
  dashboard?: { scriptBytes: number };
  preview?: PreviewBenchResult;
  errors: Array<{ phase: string; message: string }>;
}

type Comparison = '<=' | '>=' | '==' | 'info';

export interface Figure {
  key: string;
  what: string;
  value: number | undefined;
  comparison: Comparison;
  target?: number;
  unit?: string;
  digits: number;
  /** Why there is no value (e.g. not built in this tree): reported, not an error. */
  note?: string;
}

/** The issue's figures, in its order, with their targets. */
export function figures(r: BenchResults): Figure[] {
  const cost = r.writes ? costPerMillionEvents(r.writes) : undefined;
  return [
    // What a user pays for (issue 23), against their floors.
    {
      key: 'ingestVsFloorRatio',
      what: "processor events/s ÷ the same round's floor (consistent Query + two-item transaction per event), median of rounds",
      value: r.ingest?.eventsVsFloor,
      comparison: '>=',
      target: 0.8,
      digits: 3,
    },
    {
      key: 'coldStartVsBaselineRatio',
      what: `load + first invocation, worst function (${r.coldStart?.worst ?? '?'}) ÷ baseline (load + one GetItem)`,
      value: r.coldStart?.ratio,
      comparison: '<=',
      target: 1.45,
      digits: 2,
    },
    {
      key: 'listReadRatio',
      what: `read units of the list queries, ${r.lists?.large.accounts ?? '?'} ÷ ${r.lists?.small.accounts ?? '?'} accounts, same result set`,
      value: r.lists?.readRatio,
      comparison: '<=',
      target: 1.1,
      digits: 3,
    },
    {
      key: 'backfillVsRateLimitRatio',
      what: `backfill objects/s ÷ (${r.backfill?.ratePerSecond ?? '?'} requests/s × ${r.backfill?.pageSize ?? '?'} a page), ${r.backfill?.objects ?? '?'} objects`,
      value: r.backfill?.ratio,
      comparison: '>=',
      target: 0.8,
      digits: 3,
    },
    {
      key: 'dashboardBundleKb',
      what: "all of the dashboard's JavaScript, minified (web/build.ts)",
      value: r.dashboard ? r.dashboard.scriptBytes / 1024 : undefined,
      comparison: '<=',
      target: 150,
      unit: 'KiB',
      digits: 1,
    },
    {
      key: 'previewVsReadRatio',
      what: `policy preview over ${r.preview?.accounts ?? '?'} accounts ÷ reading their partitions alone`,
      value: r.preview?.ratio,
      comparison: '<=',
      target: 1.5,
      digits: 2,
    },
    {
      key: 'usdPerMillionEvents',
      what: `AWS cost of a million events of the mix (${PRICES.region}; most: ${cost?.dominant ?? '?'})`,
      value: cost?.usdPerMillionEvents,
      comparison: 'info',
      unit: 'USD',
      digits: 2,
    },
    {
      key: 'ddbWritesPerEvent',
      what: 'DynamoDB writes per new Stripe event (webhook + processor)',
      value: r.writes?.writesPerEvent,
      comparison: '<=',
      target: 2.2,
      digits: 2,
    },
    {
      key: 'ddbWriteUnitsPerEvent',
      what: 'DynamoDB write units per new Stripe event (the bill)',
      value: r.writes?.writeUnitsPerEvent,
      comparison: '<=',
      target: 6,
      digits: 1,
    },
    {
      key: 'ddbWritesPerDuplicate',
      what: 'DynamoDB writes per redelivered event',
      value: r.writes?.writesPerDuplicate,
      comparison: '<=',
      target: 1,
      digits: 2,
    },
    {
      key: 'sweepReadRatio',
      what: `sweep read units, ${r.sweep?.large.notDueReviews ?? '?'} ÷ ${r.sweep?.small.notDueReviews ?? '?'} not-due reviews, same due set`,
      value: r.sweep?.readRatio,
      comparison: '<=',
      target: 1.1,
      digits: 3,
    },
    { key: 'sweepScans', what: 'Scan calls made by the sweep', value: r.sweep?.scans, comparison: '==', target: 0, digits: 0 },
    {
      key: 'maxBundleKb',
      what: `largest function bundle (${r.bundles?.maxBundle ?? '?'})`,
      value: r.bundles?.maxBundleKb,
      comparison: '<=',
      target: 720,
      unit: 'KiB',
      digits: 1,
    },
    { key: 'webhookVsHealthP99Ratio', what: 'webhook p99 ÷ /health p99, same load', value: r.webhook?.ratio, comparison: '<=', target: 3, digits: 2 },
    // Issue 9's figures, kept as information (issue 23 restated them against their floors).
    {
      key: 'ingestVsRawPutRatio',
      what: `processor events/s ÷ PutItem/s (${r.ingest?.concurrency ?? '?'} workers; floor ${r.ingest ? r.ingest.floorRatio.toFixed(2) : '?'})`,
      value: r.ingest?.ratio,
      comparison: 'info',
      digits: 3,
    },
    {
      key: 'initVsBaselineRatio',
      what: `module load alone, worst (${r.bundles?.init.worst ?? '?'}) ÷ baseline`,
      value: r.bundles?.init.ratio,
      comparison: 'info',
      digits: 2,
    },
    {
      key: 'webhookP99Ms',
      what: `webhook p99, ${r.webhook?.deliveries ?? '?'} deliveries at ${r.webhook?.concurrency ?? '?'} concurrent`,
      value: r.webhook?.webhookP99Ms,
      comparison: 'info',
      unit: 'ms',
      digits: 0,
    },
  ];
}

export function verdict(f: Figure): 'ok' | 'MISSED' | 'info' | 'ERROR' | 'n/a' {
  if (f.value === undefined && f.note) return 'n/a';
  if (f.value === undefined || Number.isNaN(f.value)) return 'ERROR';
  if (f.comparison === 'info' || f.target === undefined) return 'info';
  const ok = f.comparison === '<=' ? f.value <= f.target : f.comparison === '>=' ? f.value >= f.target : f.value === f.target;
  return ok ? 'ok' : 'MISSED';
}

const fmt = (n: number | undefined, digits: number) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The headline table, as Markdown (readable in a terminal and pasted as is into docs/benchmarks.md). */
export function headlineTable(r: BenchResults): string {
  return table(
    ['figure', 'measured', 'target', 'result', 'what'],
    figures(r).map((f) => [
      f.key,
      `${fmt(f.value, f.digits)}${f.unit ? ` ${f.unit}` : ''}`,
      f.target === undefined ? '—' : `${f.comparison === '==' ? '=' : f.comparison === '<=' ? '≤' : '≥'} ${f.target}`,
      verdict(f),
      f.note ? `${f.what} — ${f.note}` : f.what,
    ]),
  );
}

/** A function's median CPU time in its cold process, load + first invocation. */
function cpuCell(c: ColdStartResult, name: string): string {
  const m = c.cpuMs[name];
  return m ? `${fmt(m.load, 0)} + ${fmt(m.first, 0)} = ${fmt(m.total, 0)}` : '—';
}

/** The detail behind each figure. */
export function detailSections(r: BenchResults): string {
  const out: string[] = [];
  if (r.coldStart) {
    const c = r.coldStart;
    out.push(
      `### Cold start with the first invocation (medians of ${c.runs} cold processes)`,
      '',
      table(
        ['function', 'load ms', 'first invocation ms', 'total ms', '÷ baseline', 'CPU ms (load + first)', 'CPU ÷ baseline', 'first invocation'],
        Object.entries(c.medianMs).map(([name, m]) => [
          name,
          fmt(m.load, 0),
          fmt(m.first, 0),
          fmt(m.total, 0),
          fmt(m.total / c.medianMs.baseline!.total, 2),
          cpuCell(c, name),
          fmt((c.cpuMs[name]?.total ?? Number.NaN) / c.cpuMs.baseline!.total, 2),
          c.invocations[name] ?? '',
        ]),
      ),
      '',
      `CPU time is the function's own process (user + system; DynamoDB Local's work is not in it): it moves much less with the machine's load than wall time, so changes compare on it. Worst by CPU: ${c.cpuWorst}, ${fmt(c.cpuRatio, 2)} of the baseline.`,
      '',
    );
  }
  if (r.lists) {
    const l = r.lists;
    out.push(
      `### List queries, ${l.small.accounts} and ${l.large.accounts} accounts (same result set: ${l.sameResultSet ? 'yes' : 'NO'}; Scans ${l.scans})`,
      '',
      table(
        ['query', `read units (${l.small.accounts})`, `read units (${l.large.accounts})`, 'requests', 'items'],
        l.small.queries.map((q, i) => [
          q.name,
          fmt(q.readUnits, 1),
          fmt(l.large.queries[i]?.readUnits, 1),
          `${q.reads} / ${l.large.queries[i]?.reads ?? '?'}`,
          `${q.ids.length} / ${l.large.queries[i]?.ids.length ?? '?'}`,
        ]),
      ),
      '',
    );
  }
  if (r.backfill) {
    const b = r.backfill;
    out.push(
      `### Backfill against a local Stripe-compatible server (${b.objects} objects, ${b.customers} customers)`,
      '',
      `${fmt(b.objectsPerSecond, 0)} objects/s in ${fmt(b.ms / 1000, 1)} s against ${fmt(b.allowedObjectsPerSecond, 0)} allowed (${b.ratePerSecond} requests/s × ${b.pageSize}); ` +
        `${b.stripeRequests} Stripe requests (${b.throttled} throttled), ${b.ddbWrites} DynamoDB writes and ${b.ddbReads} reads; evaluating the touched accounts took ${fmt(b.evaluateShare * 100, 0)} % of the time.`,
      '',
      `The write floor on this DynamoDB Local (one fact-sized item per object and one per customer, BatchWriteItem, nothing read): ${fmt(b.writeFloorObjectsPerSecond, 0)} objects/s, ` +
        `${fmt(b.writeFloorObjectsPerSecond / b.allowedObjectsPerSecond, 3)} of the rate limit's ${fmt(b.allowedObjectsPerSecond, 0)}; the backfill ran at ${fmt(b.objectsPerSecond / b.writeFloorObjectsPerSecond, 3)} of that floor.`,
      '',
    );
  }
  if (r.writes) {
    const c = costPerMillionEvents(r.writes);
    out.push(
      `### AWS cost of a million events of the mix (${PRICES.region}, ${PRICES.date})`,
      '',
      table(['service', 'USD per million events'], [...Object.entries(c.parts).map(([k, v]) => [k, fmt(v, 2)]), ['total', fmt(c.usdPerMillionEvents, 2)]]),
      '',
      `From this run: ${fmt(r.writes.writeUnitsPerEvent, 1)} write units and ${fmt(r.writes.readUnitsPerEvent, 1)} read units per event, webhook ${fmt(r.writes.webhookMsPerEvent, 1)} ms and processor ${fmt(r.writes.processorMsPerEvent, 1)} ms per event (wall, DynamoDB Local).`,
      '',
    );
  }
  if (r.writes) {
    const w = r.writes;
    out.push(
      `### DynamoDB requests per event (${w.events} events, ${w.accounts} accounts, one at a time)`,
      '',
      `Writes per new event ${fmt(w.writesPerEvent, 2)} (webhook ${fmt(w.webhookWritesPerEvent, 2)}, processor ${fmt(w.processorWritesPerEvent, 2)}); ` +
        `items written ${fmt(w.writeItemsPerEvent, 2)}, write units ${fmt(w.writeUnitsPerEvent, 1)}, reads ${fmt(w.readsPerEvent, 2)}. ` +
        `Redelivered by Stripe: ${fmt(w.writesPerDuplicate, 2)} writes (${w.duplicates} events). ` +
        `Redelivered by SQS to the processor: ${fmt(w.writesPerQueueRedelivery, 2)} writes (${w.queueRedeliveries} events). Processor failures: ${w.failures}.`,
      '',
      table(
        ['event type', 'events', 'writes/event', 'reads/event', 'outcomes'],
        w.byType.map((t) => [
          t.type,
          String(t.events),
          fmt(t.writesPerEvent, 2),
          fmt(t.readsPerEvent, 2),
          Object.entries(t.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ]),
      ),
      '',
    );
  }
  if (r.ingest) {
    const i = r.ingest;
    out.push(
      `### Ingest against raw PutItem (${i.concurrency} workers, ${i.rawPutsPerRound} puts and ${i.eventsPerRound} events per round, after a warm-up round)`,
      '',
      table(
        [
          'round',
          'PutItem/s',
          'events/s',
          'ratio',
          'events/s, one processor per worker',
          'ratio',
          'floor ops/s',
          'floor ÷ PutItem',
          'events ÷ floor',
          'write floor ÷ PutItem',
        ],
        i.rounds.map((round, n) => [
          String(n + 1),
          fmt(round.rawPutsPerSecond, 0),
          fmt(round.eventsPerSecond, 1),
          fmt(round.eventsPerSecond / round.rawPutsPerSecond, 3),
          fmt(round.separateEventsPerSecond, 1),
          fmt(round.separateEventsPerSecond / round.rawPutsPerSecond, 3),
          fmt(round.floorPerSecond, 1),
          fmt(round.floorPerSecond / round.rawPutsPerSecond, 3),
          fmt(round.eventsPerSecond / round.floorPerSecond, 2),
          fmt(round.writeFloorPerSecond / round.rawPutsPerSecond, 3),
        ]),
      ),
      '',
      `Median: ${fmt(i.rawPutsPerSecond, 0)} PutItem/s, ${fmt(i.eventsPerSecond, 1)} events/s through one processor (the workers' records of one account share a round, as one Lambda instance's batch does); ${fmt(i.separateRatio, 3)} of PutItem/s through one processor per worker (separate instances: their events of one account race and retry); records the processors reported failed: ${i.failedRecords}.`,
      `Floor (the processor's requests for a new fact without its code: one consistent Query of the partition, one two-item transaction): ${fmt(i.floorPerSecond, 1)} ops/s, ${fmt(i.floorRatio, 3)} of PutItem/s; the processor reaches ${fmt(i.eventsVsFloor, 2)} of it. ` +
        `Write floor (that transaction alone, one per event, nothing read first): ${fmt(i.writeFloorRatio, 3)} of PutItem/s. ` +
        `Floor transactions retried after a conflict: ${i.floorConflicts}.`,
      ...(i.cpuMsPerEvent
        ? [
            '',
            `CPU an event (medians of the rounds), this Node process and DynamoDB Local's Java: through the processor ${fmt(i.cpuMsPerEvent.processor.node, 2)} + ${fmt(i.cpuMsPerEvent.processor.java, 2)} ms, at the floor ${fmt(i.cpuMsPerEvent.floor.node, 2)} + ${fmt(i.cpuMsPerEvent.floor.java, 2)} ms (both share the machine's cores; Java's figure moves in 10 ms ticks over a round).`,
          ]
        : []),
      '',
    );
  }
  if (r.sweep) {
    const s = r.sweep;
    out.push(
      `### Sweep (${s.dueAccounts} due accounts; same due set: ${s.sameDueSet ? 'yes' : 'NO'})`,
      '',
      table(
        ['not-due reviews', 'not-due accounts', 'read units', 'reads', 'writes', 'scans', 'accounts re-evaluated', 'reviews opened', 'sweep ms', 'seeding'],
        [s.small, s.large].map((run) => [
          String(run.notDueReviews),
          String(run.notDueAccounts),
          fmt(run.readUnits, 1),
          String(run.reads),
          String(run.writes),
          String(run.scans),
          String(run.result.accountsReevaluated),
          String(run.result.reviewsOpened),
          fmt(run.sweepMs, 0),
          `${run.seededItems} items in ${fmt(run.seedMs / 1000, 1)} s`,
        ]),
      ),
      '',
    );
  }
  if (r.bundles) {
    const b = r.bundles;
    const init = b.init;
    const plain = b.initWithoutNodeOptions;
    out.push(
      `### Bundles and module load (esbuild options from ${b.options.source}: target ${b.options.target}, ${b.options.format}, minify ${b.options.minify}, sourcemap ${b.options.sourcemap}, external [${b.options.external.join(', ')}]; load time median of ${init.runs} cold \`node\` processes${init.nodeOptions ? ` with NODE_OPTIONS=${init.nodeOptions}` : ''})`,
      '',
      table(
        [
          'bundle',
          'KiB',
          `load ms${plain ? ' (with NODE_OPTIONS)' : ''}`,
          'p25–p75 ms',
          ...(plain ? ['load ms (without)'] : []),
          '÷ baseline',
          'largest inputs (KiB)',
        ],
        [b.baseline, ...b.bundles].map((x) => [
          x.name,
          fmt(x.kb, 1),
          fmt(init.medianMs[x.name], 1),
          init.quartilesMs[x.name] ? `${fmt(init.quartilesMs[x.name]![0], 1)}–${fmt(init.quartilesMs[x.name]![1], 1)}` : '—',
          ...(plain ? [fmt(plain.medianMs[x.name], 1)] : []),
          fmt((init.medianMs[x.name] ?? NaN) / init.baselineMs, 2),
          x.topInputs
            .slice(0, 5)
            .map((t) => `${t.input} ${t.kb}`)
            .join(', '),
        ]),
      ),
      '',
      `The worst function (${init.worst}) ÷ the baseline within each round, 25th–75th percentile over the ${init.runs} rounds: ` +
        `${fmt(init.worstRoundRatioQuartiles[0], 2)}–${fmt(init.worstRoundRatioQuartiles[1], 2)} (the headline is the ratio of the medians, ${fmt(init.ratio, 2)}).`,
      '',
    );
  }
  if (r.coldStart) {
    const c = r.coldStart;
    const base = c.medianMs.baseline;
    out.push(
      `### Cold start with the first invocation (a fresh \`node\` process loads the bundle, then handles one invocation against DynamoDB Local; medians of ${c.runs})`,
      '',
      table(
        ['bundle', 'first invocation', 'load ms', 'first invocation ms', 'total ms', 'total ÷ baseline', 'CPU ms (load + first)', 'CPU ÷ baseline'],
        Object.entries(c.medianMs).map(([name, m]) => [
          name,
          c.invocations[name] ?? '',
          fmt(m.load, 1),
          fmt(m.first, 1),
          fmt(m.total, 1),
          base ? fmt(m.total / base.total, 2) : '—',
          cpuCell(c, name),
          fmt((c.cpuMs[name]?.total ?? Number.NaN) / c.cpuMs.baseline!.total, 2),
        ]),
      ),
      '',
      'No target: module load alone can be made shorter by deferring work into the first invocation, which this total would show.',
      '',
    );
  }
  if (r.webhook) {
    const h = r.webhook;
    out.push(
      `### Webhook on the local stack (${h.deliveries} signed deliveries of distinct events alternating with /health, ${h.concurrency} concurrent connections)`,
      '',
      table(
        ['route', 'p50 ms', 'p99 ms'],
        [
          ['POST /webhooks/stripe', fmt(h.webhookP50Ms, 1), fmt(h.webhookP99Ms, 1)],
          ['GET /health', fmt(h.healthP50Ms, 1), fmt(h.healthP99Ms, 1)],
        ],
      ),
      '',
      `Accepted ${fmt(h.acceptedPerSecond, 1)} deliveries/s; applied ${fmt(h.processedPerSecond, 1)} events/s end to end (queue drained ${fmt(h.drainMs / 1000, 1)} s after the last answer); ` +
        `DynamoDB writes per event under this load ${fmt(h.writesPerEvent, 2)}; verified: ${h.verified ? 'every delivery queued, queue empty, no dead letter, receipts/invoices/disputes all stored' : `NO (${h.problems.join('; ')})`}; ` +
        `parked refund/dispute items left in the table: ${h.parkedLeft}.`,
      '',
      `Where the webhook's time goes (server side, same run): the local queue's \`send\` (journal append) p50 ${fmt(h.queueSendP50Ms, 1)} ms, p99 ${fmt(h.queueSendP99Ms, 1)} ms; ` +
        `event-loop delay p99 ${fmt(h.eventLoopDelayP99Ms, 1)} ms; server process CPU ${fmt(h.serverCpuPercent, 0)} % of a core. DynamoDB Local answer times (webhook, health and processor together):`,
      '',
      table(
        ['operation', 'requests', 'p50 ms', 'p99 ms'],
        Object.entries(h.dynamoLatency).map(([op, l]) => [op, String(l.count), fmt(l.p50Ms, 1), fmt(l.p99Ms, 1)]),
      ),
      '',
    );
  }
  if (r.preview) {
    const p = r.preview;
    out.push(
      `### Policy preview (${p.accounts} accounts, ${p.items} items seeded in ${fmt(p.seedMs / 1000, 1)} s; ${p.requests} preview requests listing ${p.changed} changed accounts)`,
      '',
      table(
        ['round', 'read partitions ms', 'preview ms', 'ratio'],
        p.rounds.map((round, n) => [String(n + 1), fmt(round.readMs, 0), fmt(round.previewMs, 0), fmt(round.previewMs / round.readMs, 2)]),
      ),
      '',
      "Both sides read every partition with the evaluation's Query, 16 at a time; the preview also lists the accounts (a Query of the account directory, gsi3) and applies the rules twice per account (policy in force and proposal).",
      '',
    );
  }
  return out.join('\n');
}

export function machineLine(m: MachineDescription): string {
  return `${m.os} ${m.arch}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB RAM, Node ${m.node}, ${m.java}; 1-min load average ${m.loadAverageStart} at start${m.loadAverageEnd !== undefined ? `, ${m.loadAverageEnd} at end` : ''}`;
}

/** The one-line JSON summary (`--json`). */
export function jsonSummary(r: BenchResults): Record<string, unknown> {
  const fs = figures(r);
  const value = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? null : Math.round(n * 1000) / 1000);
  return {
    ...Object.fromEntries(fs.map((f) => [f.key, value(f.value)])),
    missed: fs.filter((f) => verdict(f) === 'MISSED').map((f) => f.key),
    notes: Object.fromEntries(fs.filter((f) => f.note).map((f) => [f.key, f.note])),
    errors: r.errors,
    bundleKb: r.bundles ? Object.fromEntries([r.bundles.baseline, ...r.bundles.bundles].map((b) => [b.name, value(b.kb)])) : null,
    initMs: r.bundles ? Object.fromEntries(Object.entries(r.bundles.init.medianMs).map(([k, v]) => [k, value(v)])) : null,
    initWorstRoundRatioQuartiles: r.bundles ? r.bundles.init.worstRoundRatioQuartiles.map(value) : null,
    coldStartMs: r.coldStart
      ? Object.fromEntries(Object.entries(r.coldStart.medianMs).map(([k, m]) => [k, { load: value(m.load), first: value(m.first), total: value(m.total) }]))
      : null,
    coldStartCpuMs: r.coldStart
      ? Object.fromEntries(Object.entries(r.coldStart.cpuMs).map(([k, m]) => [k, { load: value(m.load), first: value(m.first), total: value(m.total) }]))
      : null,
    coldStartCpuVsBaselineRatio: value(r.coldStart?.cpuRatio),
    ddbWriteItemsPerEvent: value(r.writes?.writeItemsPerEvent),
    usdPerMillionEventsByService: r.writes ? Object.fromEntries(Object.entries(costPerMillionEvents(r.writes).parts).map(([k, v]) => [k, value(v)])) : null,
    listSameResultSet: r.lists?.sameResultSet ?? null,
    backfillObjectsPerSecond: value(r.backfill?.objectsPerSecond),
    backfillWriteFloorObjectsPerSecond: value(r.backfill?.writeFloorObjectsPerSecond),
    backfillWriteFloorVsRateLimitRatio: value(r.backfill ? r.backfill.writeFloorObjectsPerSecond / r.backfill.allowedObjectsPerSecond : undefined),
    backfillVsWriteFloorRatio: value(r.backfill ? r.backfill.objectsPerSecond / r.backfill.writeFloorObjectsPerSecond : undefined),
    ddbReadsPerEvent: value(r.writes?.readsPerEvent),
    ddbWritesPerQueueRedelivery: value(r.writes?.writesPerQueueRedelivery),
    ddbWritesPerEventUnderLoad: value(r.webhook?.writesPerEvent),
    rawPutsPerSecond: value(r.ingest?.rawPutsPerSecond),
    eventsPerSecond: value(r.ingest?.eventsPerSecond),
    ingestSeparateProcessorsRatio: value(r.ingest?.separateRatio),
    ingestFloorRatio: value(r.ingest?.floorRatio),
    ingestEventsVsFloor: value(r.ingest?.eventsVsFloor),
    ingestWriteFloorRatio: value(r.ingest?.writeFloorRatio),
    ingestCpuMsPerEvent: r.ingest?.cpuMsPerEvent ?? null,
    sweepReadUnits: r.sweep ? { small: value(r.sweep.small.readUnits), large: value(r.sweep.large.readUnits) } : null,
    sweepSameDueSet: r.sweep?.sameDueSet ?? null,
    webhookP50Ms: value(r.webhook?.webhookP50Ms),
    healthP50Ms: value(r.webhook?.healthP50Ms),
    healthP99Ms: value(r.webhook?.healthP99Ms),
    webhookAcceptedPerSecond: value(r.webhook?.acceptedPerSecond),
    webhookProcessedPerSecond: value(r.webhook?.processedPerSecond),
    webhookVerified: r.webhook?.verified ?? null,
    webhookProblems: r.webhook?.problems ?? null,
    webhookQueueSendP99Ms: value(r.webhook?.queueSendP99Ms),
    webhookEventLoopDelayP99Ms: value(r.webhook?.eventLoopDelayP99Ms),
    machine: r.machine,
    startedAt: r.startedAt,
    durationSeconds: r.durationSeconds,
  };
}
