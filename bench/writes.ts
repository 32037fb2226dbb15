import { defaultPolicy } from '../shared/domain/policy.ts';
import type { Store } from '../shared/store/client.ts';
import { queuedEventSchema, type QueuedEvent } from '../shared/stripe/events.ts';
import { applyStripeEvent } from '../shared/usecases/apply-stripe-event.ts';
import { receiveStripeEvent } from '../shared/usecases/receive-stripe-event.ts';
import { signedDelivery } from '../test/support/stripe-events.ts';
import { createBenchStore } from './dynamo.ts';
import { DynamoMeter } from './meter.ts';
import { eventMix, random, type StripeEnvelope } from './mix.ts';
import { CollectingQueue } from './queue.ts';

const SECRET = 'whsec_bench_writes';

export interface TypeCost {
  type: string;
  events: number;
  /** What the webhook answered, and what the processor did with what it queued. */
  outcomes: Record<string, number>;
  writesPerEvent: number;
  readsPerEvent: number;
}

export interface WritesResult {
  events: number;
  accounts: number;
  writesPerEvent: number;
  /** Items written (a transaction's members counted one by one) and write units consumed. */
  writeItemsPerEvent: number;
  writeUnitsPerEvent: number;
  readsPerEvent: number;
  /** Read units consumed per new event (both sides). */
  readUnitsPerEvent: number;
  /** Wall time per new event in the webhook's use case and in the processor's record handler, ms (one at a time, DynamoDB Local). */
  webhookMsPerEvent: number;
  processorMsPerEvent: number;
  webhookWritesPerEvent: number;
  processorWritesPerEvent: number;
  duplicates: number;
  writesPerDuplicate: number;
  /** The processor given an event it already applied (SQS delivers at least once). */
  queueRedeliveries: number;
  writesPerQueueRedelivery: number;
  failures: number;
  byType: TypeCost[];
  operations: Record<string, number>;
}

/**
 * DynamoDB requests per Stripe event along the whole path, one event at a time in `created`
 * order: the webhook use case (signature, receipt) queues the event, then the processor's
 * record handler applies it, as `functions/processor/processor.ts` does (it parses the body and
 * calls applyStripeEvent; it makes no DynamoDB request of its own). Then a sample is delivered
 * again by "Stripe" (a duplicate at the webhook) and again by "SQS" (a duplicate at the processor).
 */
export async function measureWrites(endpoint: string, options: { customers: number; now: Date; seed: number }): Promise<WritesResult> {
  const store: Store = await createBenchStore(endpoint, 'writes');
  const meter = new DynamoMeter().attach(store);
  const queue = new CollectingQueue();
  const deps = { store, policy: defaultPolicy };
  const events = eventMix({ customers: options.customers, prefix: 'w', now: options.now, seed: options.seed });
  const outcomes = new Map<string, Record<string, number>>();
  const bump = (type: string, outcome: string) => {
    const o = outcomes.get(type) ?? {};
    o[outcome] = (o[outcome] ?? 0) + 1;
    outcomes.set(type, o);
  };
  let failures = 0;
  const deliver = (event: StripeEnvelope, now: Date) => {
    const { body, signature } = signedDelivery(event, SECRET, Math.floor(now.getTime() / 1000));
    return receiveStripeEvent({ store, queue, webhookSecret: async () => SECRET, now }, { rawBody: Buffer.from(body), signature });
  };
  const applied: QueuedEvent[] = [];
  // As the record handler does with an SQS body.
  const apply = async (message: QueuedEvent) => {
    const event = queuedEventSchema.parse(JSON.parse(JSON.stringify(message)));
    return applyStripeEvent(deps, event, new Date());
  };

  let webhookMs = 0;
  let processorMs = 0;
  for (const event of events) {
    const webhookStarted = performance.now();
    const received = await meter.run(`webhook|${event.type}`, () => deliver(event, new Date()));
    webhookMs += performance.now() - webhookStarted;
    bump(event.type, `webhook:${received.outcome}`);
    for (const message of queue.take()) {
      try {
        const processorStarted = performance.now();
        const result = await meter.run(`processor|${event.type}`, () => apply(message));
        processorMs += performance.now() - processorStarted;
        bump(event.type, `processor:${result.outcome}`);
        applied.push(message);
      } catch (error) {
        failures++;
        bump(event.type, `processor:failed:${(error as Error).name}`);
      }
    }
  }
  const fresh = meter.totals((l) => l.startsWith('webhook|') || l.startsWith('processor|'));
  const webhook = meter.totals((l) => l.startsWith('webhook|'));
  const processor = meter.totals((l) => l.startsWith('processor|'));

  // Redeliveries: a quarter of the stream again, as Stripe retries do, then again through SQS.
  const rand = random(options.seed + 1);
  const again = events.filter(() => rand() < 0.25);
  for (const event of again) {
    const received = await meter.run('duplicate', () => deliver(event, new Date()));
    if (received.outcome !== 'duplicate') throw new Error(`redelivered ${event.id} was not recognised as a duplicate (${received.outcome})`);
    // The webhook queues a redelivery again (its first attempt may have died before queueing):
    // what the processor then writes for it counts against the duplicate too.
    for (const message of queue.take()) await meter.run('duplicate', () => apply(message));
  }
  const requeued = applied.filter(() => rand() < 0.25);
  for (const message of requeued) await meter.run('requeue', () => apply(message));
  const duplicate = meter.totals((l) => l === 'duplicate');
  const requeue = meter.totals((l) => l === 'requeue');

  const byType: TypeCost[] = [...outcomes].map(([type, o]) => {
    const count = events.filter((e) => e.type === type).length;
    const t = meter.totals((l) => l === `webhook|${type}` || l === `processor|${type}`);
    return { type, events: count, outcomes: o, writesPerEvent: t.writes / count, readsPerEvent: t.reads / count };
  });
  byType.sort((a, b) => b.events - a.events || (a.type < b.type ? -1 : 1));
  store.doc.destroy();
  const n = events.length;
  return {
    events: n,
    accounts: options.customers,
    writesPerEvent: fresh.writes / n,
    writeItemsPerEvent: fresh.writeItems / n,
    writeUnitsPerEvent: fresh.writeUnits / n,
    readsPerEvent: fresh.reads / n,
    readUnitsPerEvent: fresh.readUnits / n,
    webhookMsPerEvent: webhookMs / n,
    processorMsPerEvent: processorMs / n,
    webhookWritesPerEvent: webhook.writes / n,
    processorWritesPerEvent: processor.writes / n,
    duplicates: again.length,
    writesPerDuplicate: duplicate.writes / Math.max(1, again.length),
    queueRedeliveries: requeued.length,
    writesPerQueueRedelivery: requeue.writes / Math.max(1, requeued.length),
    failures,
    byType,
    operations: Object.fromEntries(Object.entries(fresh.byOperation).map(([op, t]) => [op, t.requests])),
  };
}
