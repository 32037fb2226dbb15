import { PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createProcessor } from '../functions/processor/processor.ts';
import { defaultPolicy } from '../shared/domain/policy.ts';
import { backoffAfterConflict, type Store } from '../shared/store/client.ts';
import type { QueuedEvent } from '../shared/stripe/events.ts';
import { createBenchStore, processCpuMs } from './dynamo.ts';
import { eventMix } from './mix.ts';
import { sqsBatch } from './queue.ts';
import { median } from './stats.ts';

export interface IngestRound {
  rawPutsPerSecond: number;
  eventsPerSecond: number;
  /** The same events through one processor per worker (separate Lambda instances: no grouping in-process). */
  separateEventsPerSecond: number;
  /** The processor's request shape without its code: one Query of a partition, one two-item transaction. */
  floorPerSecond: number;
  /** The atomic write alone (the floor's two-item transaction, nothing read first). */
  writeFloorPerSecond: number;
  /**
   * CPU time an event cost each side, through the shared processor and at the floor: this Node
   * process (the processor's code and its SDK) and DynamoDB Local's Java process (from /proc;
   * absent without its pid or off Linux). On two shared cores their sum is what a rate pays for.
   */
  cpuMsPerEvent?: { processor: CpuSplit; floor: CpuSplit };
}

export interface CpuSplit {
  node: number;
  java: number;
}

export interface IngestResult {
  concurrency: number;
  /** SQS records per processor call. */
  batchSize: number;
  rawPutsPerRound: number;
  eventsPerRound: number;
  rounds: IngestRound[];
  rawPutsPerSecond: number;
  eventsPerSecond: number;
  ratio: number;
  /** Events/s ÷ PutItem/s with one processor per worker. */
  separateRatio: number;
  floorPerSecond: number;
  /** Floor ops/s ÷ PutItem/s: the best ratio the processor's request shape allows on this DynamoDB. */
  floorRatio: number;
  /** Processor events/s ÷ floor ops/s: how much of that the processor's own code costs. */
  eventsVsFloor: number;
  /** Write floor ops/s ÷ PutItem/s: what writing a fact and its account's revision atomically allows, before any read. */
  writeFloorRatio: number;
  /** Floor and write-floor transactions cancelled by a concurrent one on the same partition (retried). */
  floorConflicts: number;
  /** Records the processor reported as failed (they would go back to SQS). */
  failedRecords: number;
  /** Medians over the rounds of IngestRound.cpuMsPerEvent. */
  cpuMsPerEvent?: { processor: CpuSplit; floor: CpuSplit };
}

/** This process's CPU time and DynamoDB Local's (its Java process's user + system time from /proc; 10 ms ticks), ms. */
function cpuNow(javaPid: number | undefined): CpuSplit | undefined {
  if (javaPid === undefined) return undefined;
  try {
    const java = processCpuMs(javaPid);
    const own = process.cpuUsage();
    return { node: (own.user + own.system) / 1000, java };
  } catch {
    return undefined;
  }
}

/** `work`'s wall time, and the CPU each side spent on it per event. */
async function timed(javaPid: number | undefined, events: number, work: () => Promise<number>): Promise<{ ms: number; cpu?: CpuSplit }> {
  const before = cpuNow(javaPid);
  const ms = await work();
  const after = cpuNow(javaPid);
  return before && after ? { ms, cpu: { node: (after.node - before.node) / events, java: (after.java - before.java) / events } } : { ms };
}

/** Runs `count` jobs on `concurrency` workers; returns the wall time in ms. */
export async function runPool(count: number, concurrency: number, job: (index: number, worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async (_, worker) => {
      for (let i = next++; i < count; i = next++) await job(i, worker);
    }),
  );
  return performance.now() - started;
}

/**
 * Events/s through the processor against plain PutItem/s, on the same DynamoDB Local, with the
 * same number of workers, alternating (put, events, put, events, …) after a warm-up of both so
 * that DynamoDB Local's JIT and any load from elsewhere on the machine weigh on both alike.
 * Each round uses a fresh table and fresh events (new facts, new accounts), as a live stream has.
 * The processor is the real one (`createProcessor`: Powertools batch handling, record parsing,
 * applyStripeEvent), given one SQS record per call (`batchSize`, default 1) so that the workers,
 * not batching, set the concurrency: batches of ten run their records in parallel, 80 at once.
 * The headline runs the workers through one processor, as one Lambda instance runs the records
 * of its batch at once (merges of one account among them share a round, and the writes of the
 * accounts in flight share transactions); the same events then go
 * through one processor per worker, as separate instances would take them (no grouping: events
 * of one account on two instances race, and the loser retries); then the floor, and the write
 * floor (its transaction alone).
 */
export async function measureIngest(
  endpoint: string,
  options: { concurrency: number; rawPuts: number; events: number; rounds: number; now: Date; seed: number; batchSize?: number; javaPid?: number },
): Promise<IngestResult> {
  const rounds: IngestRound[] = [];
  let failedRecords = 0;
  let floorConflicts = 0;
  const customersFor = (events: number) => Math.max(4, Math.ceil(events / 26));
  for (let round = 0; round <= options.rounds; round++) {
    const warmUp = round === 0;
    const puts = warmUp ? Math.ceil(options.rawPuts / 3) : options.rawPuts;
    const wanted = warmUp ? Math.ceil(options.events / 3) : options.events;

    const rawStore = await createBenchStore(endpoint, 'raw');
    const rawMs = await runPool(puts, options.concurrency, async (i) => {
      await rawStore.doc.send(new PutCommand({ TableName: rawStore.tableName, Item: smallItem(round, i) }));
    });
    rawStore.doc.destroy();

    const events: QueuedEvent[] = eventMix({ customers: customersFor(wanted), prefix: `i${round}x`, now: options.now, seed: options.seed + round }).slice(
      0,
      wanted,
    );
    const batchSize = options.batchSize ?? 1;
    const bodies = Array.from({ length: Math.ceil(events.length / batchSize) }, (_, b) => sqsBatch(events.slice(b * batchSize, (b + 1) * batchSize)));
    /** The events through processors on a fresh table: one shared by the workers, or one each. */
    const processEvents = async (separate: boolean) => {
      const store: Store = await createBenchStore(endpoint, 'ingest');
      const make = () => createProcessor({ store, policy: defaultPolicy, clock: () => new Date() }, { throwOnFullBatchFailure: false });
      const shared = make();
      const processors = Array.from({ length: options.concurrency }, () => (separate ? make() : shared));
      const ms = await runPool(bodies.length, options.concurrency, async (i, worker) => {
        const response = await processors[worker]!(bodies[i]!);
        failedRecords += warmUp ? 0 : response.batchItemFailures.length;
      });
      store.doc.destroy();
      return ms;
    };
    const shared = await timed(options.javaPid, events.length, () => processEvents(false));
    const eventsMs = shared.ms;
    const separateMs = await processEvents(true);

    // The floor: per event, what the processor sends for a new invoice fact, and nothing else,
    // over as many accounts as the events have, taken in turn so that workers seldom meet on one
    // (the request shape's cost without contention).
    const floorStore = await createBenchStore(endpoint, 'floor');
    const accounts = new Set(events.map(accountOf)).size;
    const floor = await timed(options.javaPid, events.length, () =>
      runPool(events.length, options.concurrency, async (i) => {
        floorConflicts += warmUp ? 0 : await floorEvent(floorStore, `ACCT#f${round}x${i % accounts}`, `INV#in_${i}`);
      }),
    );
    const floorMs = floor.ms;
    floorStore.doc.destroy();

    // The write floor: the same transaction without the Query before it (the account's revision
    // added to, not compared): what one such atomic write per event costs, even for a design that
    // knew the partition without reading it.
    const writeStore = await createBenchStore(endpoint, 'write-floor');
    const writeMs = await runPool(events.length, options.concurrency, async (i) => {
      floorConflicts += warmUp ? 0 : await writeFloorEvent(writeStore, `ACCT#w${round}x${i % accounts}`, `INV#in_${i}`);
    });
    writeStore.doc.destroy();
    if (!warmUp) {
      rounds.push({
        rawPutsPerSecond: puts / (rawMs / 1000),
        eventsPerSecond: events.length / (eventsMs / 1000),
        separateEventsPerSecond: events.length / (separateMs / 1000),
        floorPerSecond: events.length / (floorMs / 1000),
        writeFloorPerSecond: events.length / (writeMs / 1000),
        ...(shared.cpu && floor.cpu ? { cpuMsPerEvent: { processor: shared.cpu, floor: floor.cpu } } : {}),
      });
    }
  }
  const rawPutsPerSecond = median(rounds.map((r) => r.rawPutsPerSecond));
  const eventsPerSecond = median(rounds.map((r) => r.eventsPerSecond));
  return {
    concurrency: options.concurrency,
    batchSize: options.batchSize ?? 1,
    rawPutsPerRound: options.rawPuts,
    eventsPerRound: options.events,
    rounds,
    rawPutsPerSecond,
    eventsPerSecond,
    // Round by round, so a slow spell of the machine touches numerator and denominator alike.
    ratio: median(rounds.map((r) => r.eventsPerSecond / r.rawPutsPerSecond)),
    separateRatio: median(rounds.map((r) => r.separateEventsPerSecond / r.rawPutsPerSecond)),
    floorPerSecond: median(rounds.map((r) => r.floorPerSecond)),
    floorRatio: median(rounds.map((r) => r.floorPerSecond / r.rawPutsPerSecond)),
    eventsVsFloor: median(rounds.map((r) => r.eventsPerSecond / r.floorPerSecond)),
    writeFloorRatio: median(rounds.map((r) => r.writeFloorPerSecond / r.rawPutsPerSecond)),
    floorConflicts,
    failedRecords,
    ...(rounds.every((r) => r.cpuMsPerEvent) && rounds.length > 0 ? { cpuMsPerEvent: medianCpu(rounds.map((r) => r.cpuMsPerEvent!)) } : {}),
  };
}

function medianCpu(perRound: Array<{ processor: CpuSplit; floor: CpuSplit }>): { processor: CpuSplit; floor: CpuSplit } {
  const of = (side: 'processor' | 'floor') => ({ node: median(perRound.map((r) => r[side].node)), java: median(perRound.map((r) => r[side].java)) });
  return { processor: of('processor'), floor: of('floor') };
}

/**
 * One event's requests at their floor: a Query of the account's partition (consistent, as the
 * processor reads it), then one transaction putting the fact (conditioned on its absence) and
 * moving the account's revision, retried when a concurrent one on the partition cancels it.
 * Returns the number of retries.
 */
async function floorEvent(store: Store, pk: string, sk: string): Promise<number> {
  return untilCommitted(async () => {
    const read = await store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :end',
        ExpressionAttributeValues: { ':pk': pk, ':end': '~' },
        ConsistentRead: true,
      }),
    );
    const rev = Number(read.Items?.find((item) => item.sk === 'ACCOUNT')?.factsRev ?? 0);
    await store.doc.send(
      factTransaction(store, pk, sk, {
        UpdateExpression: 'SET factsRev = :next, evaluatedRev = :next',
        ConditionExpression: 'attribute_not_exists(factsRev) OR factsRev = :rev',
        ExpressionAttributeValues: { ':rev': rev, ':next': rev + 1 },
      }),
    );
  });
}

/** The floor's transaction without the read: the revision moves by one whatever it was. Returns the number of retries. */
async function writeFloorEvent(store: Store, pk: string, sk: string): Promise<number> {
  return untilCommitted(() =>
    store.doc
      .send(factTransaction(store, pk, sk, { UpdateExpression: 'ADD factsRev :one, evaluatedRev :one', ExpressionAttributeValues: { ':one': 1 } }))
      .then(() => undefined),
  );
}

/** Runs `attempt` until its transaction is not cancelled by a concurrent one, backing off as the processor does; the retries. */
async function untilCommitted(attempt: () => Promise<void>): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    try {
      await attempt();
      return conflicts;
    } catch (error) {
      if ((error as { name?: string }).name !== 'TransactionCanceledException') throw error;
      await backoffAfterConflict(conflicts + 1);
    }
  }
}

/** A new invoice fact (conditioned on its absence) and an update of its account item, atomically. */
function factTransaction(
  store: Store,
  pk: string,
  sk: string,
  accountUpdate: { UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeValues: Record<string, number> },
): TransactWriteCommand {
  return new TransactWriteCommand({
    TransactItems: [
      {
        Put: {
          TableName: store.tableName,
          Item: { pk, sk, entity: 'invoice', rev: 1, facts: { status: 'open', amountDue: 1000, currency: 'usd' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Update: { TableName: store.tableName, Key: { pk, sk: 'ACCOUNT' }, ...accountUpdate } },
    ],
  });
}

/** The account an event of the mix belongs to (its object's customer, or the customer itself). */
function accountOf(event: QueuedEvent): string {
  const object = event.data.object as { customer?: unknown; id?: unknown };
  return String(typeof object.customer === 'string' ? object.customer : object.id);
}

/** A small item, about the size of an event receipt. */
function smallItem(round: number, i: number) {
  return { pk: `RAW#${round}#${i}`, sk: 'RAW', entity: 'raw', n: i, at: new Date().toISOString() };
}
