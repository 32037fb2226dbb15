import { defaultPolicy } from '../shared/config/policy.ts';
import { createBackfillStripe, DEFAULT_RATE_PER_SECOND } from '../shared/stripe/backfill-client.ts';
import { runBackfill } from '../shared/usecases/backfill.ts';
import { manyCustomers } from '../test/support/backfill-scenario.ts';
import { startFakeStripe } from '../test/support/fake-stripe.ts';
import { createBenchStore } from './dynamo.ts';
import { runPool } from './ingest.ts';
import { DynamoMeter } from './meter.ts';
import { batchPut } from './seed.ts';

/**
 * `backfillVsRateLimitRatio`: backfill objects/s ÷ what Stripe's rate limit allows (the
 * backfill's own request rate, `DEFAULT_RATE_PER_SECOND`, × 100 objects a page), against a local
 * Stripe-compatible server that answers at once (`test/support/fake-stripe.ts`), through the
 * real SDK and the product's rate-limited HTTP client, into DynamoDB Local. Customers with four
 * invoices each; the time covers listing, recording every fact and the final evaluation of
 * every touched account, as `npm run backfill` does.
 */
export interface BackfillBenchResult {
  objects: number;
  customers: number;
  ms: number;
  objectsPerSecond: number;
  ratePerSecond: number;
  pageSize: number;
  /** Objects/s the rate limit allows: ratePerSecond × pageSize. */
  allowedObjectsPerSecond: number;
  ratio: number;
  stripeRequests: number;
  throttled: number;
  ddbWrites: number;
  ddbReads: number;
  /** Share of the wall time spent evaluating touched accounts (after every list was read). */
  evaluateShare: number;
  /**
   * The floor on this DynamoDB Local, measured after the run on a fresh table: the least any
   * backfill must write (one item per object for its fact, one per customer for its evaluation,
   * ~350 bytes each as the facts are), with BatchWriteItem, 25 a request, `concurrency` requests
   * at once, nothing read and no transaction. Objects/s at that rate.
   */
  writeFloorObjectsPerSecond: number;
}

/** Writes objects + customers items of fact size as fast as BatchWriteItem takes them; objects/s. */
async function measureWriteFloor(endpoint: string, objects: number, customers: number, concurrency: number): Promise<number> {
  const store = await createBenchStore(endpoint, 'backfill-floor');
  try {
    const items = objects + customers;
    const padding = 'x'.repeat(300);
    const batches = Math.ceil(items / 25);
    const ms = await runPool(batches, concurrency, async (b) => {
      const writes = Array.from({ length: Math.min(25, items - b * 25) }, (_, i) => ({
        pk: `ACCOUNT#cus_floor${Math.floor((b * 25 + i) / 5)}`,
        sk: `INVOICE#in_floor${b * 25 + i}`,
        entity: 'floor',
        padding,
      }));
      await batchPut(store, writes);
    });
    return objects / (ms / 1000);
  } finally {
    store.doc.destroy();
  }
}

export async function measureBackfill(endpoint: string, options: { customers: number; now: Date; concurrency: number }): Promise<BackfillBenchResult> {
  const { customers, invoices } = manyCustomers(options.now, options.customers);
  const fake = await startFakeStripe({ customers, invoices });
  const store = await createBenchStore(endpoint, 'backfill');
  const meter = new DynamoMeter().attach(store);
  try {
    const ratePerSecond = DEFAULT_RATE_PER_SECOND;
    const pageSize = 100;
    const { stripe, stats } = createBackfillStripe({ apiKey: 'sk_test_bench', apiBase: fake.url, ratePerSecond });
    let evaluateStarted: number | undefined;
    const started = performance.now();
    const summary = await meter.run('backfill', () =>
      runBackfill(
        {
          store,
          policy: defaultPolicy,
          stripe,
          now: options.now,
          onProgress: (p) => {
            if (p.phase === 'evaluate' && evaluateStarted === undefined) evaluateStarted = performance.now();
          },
        },
        { concurrency: options.concurrency, pageSize },
      ),
    );
    const ms = performance.now() - started;
    const objects = customers.length + invoices.length;
    if (summary.skipped.length > 0) throw new Error(`backfill skipped ${summary.skipped.length} objects: ${summary.skipped[0]?.reason}`);
    if (summary.accounts !== customers.length) throw new Error(`backfill touched ${summary.accounts} accounts, expected ${customers.length}`);
    const totals = meter.totals();
    const writeFloorObjectsPerSecond = await measureWriteFloor(endpoint, objects, customers.length, options.concurrency);
    const objectsPerSecond = objects / (ms / 1000);
    const allowedObjectsPerSecond = ratePerSecond * pageSize;
    return {
      objects,
      customers: customers.length,
      ms,
      objectsPerSecond,
      ratePerSecond,
      pageSize,
      allowedObjectsPerSecond,
      ratio: objectsPerSecond / allowedObjectsPerSecond,
      stripeRequests: stats.requests,
      throttled: stats.throttled,
      ddbWrites: totals.writes,
      ddbReads: totals.reads,
      evaluateShare: evaluateStarted === undefined ? 0 : (performance.now() - evaluateStarted) / ms,
      writeFloorObjectsPerSecond,
    };
  } finally {
    store.doc.destroy();
    await fake.close();
  }
}
