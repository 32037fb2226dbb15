import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startWatcher, type RunningWatcher } from '../local/watcher.ts';
import { defaultPolicy } from '../shared/domain/policy.ts';
import { createStore } from '../shared/store/client.ts';
import { signedDelivery } from '../test/support/stripe-events.ts';
import { assertLocalEndpoint } from './dynamo.ts';
import type { LoadPlan, LoadReport, PlannedRequest } from './load-client.ts';
import { DynamoMeter } from './meter.ts';
import { eventMix, type StripeEnvelope } from './mix.ts';
import { percentile } from './stats.ts';
import { nodeChildJson } from './child.ts';

const loadClient = fileURLToPath(new URL('./load-client.ts', import.meta.url));

export interface WebhookBenchResult {
  deliveries: number;
  concurrency: number;
  webhookP50Ms: number;
  webhookP99Ms: number;
  healthP50Ms: number;
  healthP99Ms: number;
  ratio: number;
  /** Deliveries answered per second while the measured run lasted. */
  acceptedPerSecond: number;
  /** Events applied per second, from the first measured delivery until the queue was empty. */
  processedPerSecond: number;
  drainMs: number;
  /** Every delivery answered 200 and queued, the queue emptied with no dead letter, every fact stored. */
  verified: boolean;
  problems: string[];
  writesPerEvent: number;
  /** Refund/dispute events parked under a charge (owner unknown when they were applied) still in the table at the end. */
  parkedLeft: number;
  /** The server process (watcher + processor) while the measured run lasted: its event loop's p99 delay and its CPU use (100 = one core). */
  eventLoopDelayP99Ms: number;
  serverCpuPercent: number;
  /** The local queue's `send` (its journal append), as the webhook waited for it. */
  queueSendP50Ms: number;
  queueSendP99Ms: number;
  /** DynamoDB Local's answer times as the server saw them during the run (webhook, health and processor together). */
  dynamoLatency: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
}

/**
 * The webhook's latency on the local stack (`startWatcher`: the HTTP server, the webhook and
 * API routers, the journaled spool queue feeding the processor in-process, DynamoDB Local).
 * A separate load process sends, on `concurrency` connections, signed deliveries of distinct
 * events of the realistic mix alternating with `GET /health`, so both see the same load (the
 * processor draining the queue behind them included); a smaller warm-up run goes first.
 * Afterwards the queue must drain with no dead letter, and the table must hold a receipt per
 * delivery and every invoice, refund and dispute the deliveries carried.
 */
export async function measureWebhook(
  endpoint: string,
  options: {
    deliveries: number;
    warmUp: number;
    concurrency: number;
    now: Date;
    seed: number;
    /** The local queue's settings; absent: as `npm start` runs it. For experiments only. */
    queue?: { concurrency?: number };
  },
): Promise<WebhookBenchResult> {
  assertLocalEndpoint(endpoint);
  const dataDir = mkdtempSync(join(tmpdir(), 'termwatch-bench-webhook-'));
  const tableName = `bench-webhook-${Date.now().toString(36)}`;
  let watcher: RunningWatcher | undefined;
  try {
    watcher = await startWatcher({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      policy: defaultPolicy,
      dynamoEndpoint: endpoint,
      tableName,
      sweepIntervalMs: 0,
      env: {},
      ...(options.queue ? { queue: options.queue } : {}),
    });
    const meter = new DynamoMeter().attach(watcher.store);
    // Instrumentation only: how long the webhook waits for the local queue to take an event.
    const queue = watcher.queue;
    const send = queue.send.bind(queue);
    let sendMs: number[] = [];
    queue.send = async (event) => {
      const t0 = performance.now();
      try {
        await send(event);
      } finally {
        sendMs.push(performance.now() - t0);
      }
    };
    const perCustomer = 26;
    const events = eventMix({
      customers: Math.ceil(((options.deliveries + options.warmUp) * 1.1) / perCustomer),
      prefix: 'h',
      now: options.now,
      seed: options.seed,
    });
    if (events.length < options.deliveries + options.warmUp) throw new Error(`event mix too small (${events.length})`);
    const warmUpEvents = events.slice(0, options.warmUp);
    const measuredEvents = events.slice(options.warmUp, options.warmUp + options.deliveries);

    await runLoad(watcher, warmUpEvents, options.concurrency);
    await watcher.queue.drained();
    meter.reset();
    sendMs = [];

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await runLoad(watcher, measuredEvents, options.concurrency);
    const accepted = performance.now();
    loop.disable();
    const cpuUsed = process.cpuUsage(cpu);
    await withTimeout(watcher.queue.drained(), 300_000, 'the queue did not drain in 5 minutes');
    const drained = performance.now();

    const webhook = report.samples.filter((s) => s.cls === 'webhook');
    const health = report.samples.filter((s) => s.cls === 'health');
    const problems: string[] = [];
    const notQueued = webhook.filter((s) => s.status !== 200 || s.outcome !== 'queued').length;
    if (notQueued > 0) problems.push(`${notQueued} deliveries not answered 200/queued`);
    const unhealthy = health.filter((s) => s.status !== 200).length;
    if (unhealthy > 0) problems.push(`${unhealthy} health checks not 200`);
    if (watcher.queue.depth !== 0) problems.push(`queue depth ${watcher.queue.depth} after drain`);
    if (watcher.queue.deadLetters().length > 0) problems.push(`${watcher.queue.deadLetters().length} dead letters`);
    const stored = await verifyStored(endpoint, tableName, [...warmUpEvents, ...measuredEvents]);
    problems.push(...stored.problems);
    const writes = meter.totals().writes;

    const webhookP99Ms = percentile(
      webhook.map((s) => s.ms),
      99,
    );
    const healthP99Ms = percentile(
      health.map((s) => s.ms),
      99,
    );
    return {
      deliveries: webhook.length,
      concurrency: options.concurrency,
      webhookP50Ms: percentile(
        webhook.map((s) => s.ms),
        50,
      ),
      webhookP99Ms,
      healthP50Ms: percentile(
        health.map((s) => s.ms),
        50,
      ),
      healthP99Ms,
      ratio: webhookP99Ms / healthP99Ms,
      acceptedPerSecond: webhook.length / ((accepted - started) / 1000),
      processedPerSecond: measuredEvents.length / ((drained - started) / 1000),
      drainMs: drained - accepted,
      verified: problems.length === 0,
      problems,
      writesPerEvent: writes / measuredEvents.length,
      parkedLeft: stored.parked,
      eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
      queueSendP50Ms: percentile(sendMs, 50),
      queueSendP99Ms: percentile(sendMs, 99),
      dynamoLatency: Object.fromEntries(
        ['PutItem', 'GetItem', 'TransactWriteItems', 'Query'].map((op) => {
          const samples = meter.latencyOf(op);
          return [op, { count: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) }];
        }),
      ),
      serverCpuPercent: ((cpuUsed.user + cpuUsed.system) / 1000 / (accepted - started)) * 100,
    };
  } finally {
    await watcher?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Deliveries signed now (Stripe signs each attempt when it sends it), each followed by a health check. */
async function runLoad(watcher: RunningWatcher, events: readonly StripeEnvelope[], concurrency: number): Promise<LoadReport> {
  const requests: PlannedRequest[] = [];
  for (const event of events) {
    const { body, signature } = signedDelivery(event, watcher.webhookSecret);
    requests.push({
      cls: 'webhook',
      method: 'POST',
      path: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
    });
    requests.push({ cls: 'health', method: 'GET', path: '/health' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'termwatch-bench-load-'));
  try {
    const planPath = join(dir, 'plan.json');
    const plan: LoadPlan = { url: watcher.url, concurrency, requests };
    writeFileSync(planPath, JSON.stringify(plan));
    return await runChild(planPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(planPath: string): Promise<LoadReport> {
  return nodeChildJson<LoadReport>(['--import', 'tsx', loadClient, planPath], { ...process.env, NODE_NO_WARNINGS: '1' }, 'load client');
}

/** Receipts, invoices, refunds and disputes in the table against what the deliveries carried (a bench-only Scan). */
async function verifyStored(endpoint: string, tableName: string, events: readonly StripeEnvelope[]): Promise<{ problems: string[]; parked: number }> {
  const expected = new Map<string, Set<string>>([
    ['event_receipt', new Set(events.map((e) => e.id))],
    ['invoice', new Set(events.filter((e) => e.type.startsWith('invoice.')).map((e) => String(e.data.object.id)))],
    ['dispute', new Set(events.filter((e) => e.type.startsWith('charge.dispute.')).map((e) => String(e.data.object.id)))],
  ]);
  const store = createStore({ tableName, endpoint });
  const counts = new Map<string, number>();
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await store.doc.send(
        new ScanCommand({ TableName: tableName, ProjectionExpression: 'entity', ExclusiveStartKey: startKey, ConsistentRead: true }),
      );
      for (const item of page.Items ?? []) counts.set(String(item.entity), (counts.get(String(item.entity)) ?? 0) + 1);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    store.doc.destroy();
  }
  const problems: string[] = [];
  for (const [entity, ids] of expected) {
    const found = counts.get(entity) ?? 0;
    if (found !== ids.size) problems.push(`${entity}: ${found} stored, ${ids.size} expected`);
  }
  return { problems, parked: counts.get('parked_event') ?? 0 };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
