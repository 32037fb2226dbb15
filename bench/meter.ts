import { AsyncLocalStorage } from 'node:async_hooks';
import type { Store } from '../shared/store/client.ts';

/** DynamoDB operations that write (a failed conditional write is still a write request, and is billed). */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
export const READ_OPERATIONS: ReadonlySet<string> = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

export interface Tally {
  /** Requests sent by the application (SDK retries of one call are not counted again). */
  requests: number;
  /** Items a request touched: 1, or the members of a transaction or batch. */
  items: number;
  /** Consumed capacity DynamoDB reported (ReturnConsumedCapacity TOTAL). */
  units: number;
  /** Requests that failed (a failed condition included). */
  failed: number;
}

export interface MeterTotals {
  writes: number;
  writeItems: number;
  writeUnits: number;
  reads: number;
  readUnits: number;
  scans: number;
  byOperation: Record<string, Tally>;
}

const emptyTally = (): Tally => ({ requests: 0, items: 0, units: 0, failed: 0 });

/**
 * Counts DynamoDB requests with SDK middleware on a store's document client, by operation and
 * by a label set with `run` (AsyncLocalStorage carries it through every await of that call).
 * It also asks DynamoDB for the consumed capacity of every request, so read and write units can
 * be summed; DynamoDB Local reports them as DynamoDB does, but does not throttle.
 */
export class DynamoMeter {
  private readonly label = new AsyncLocalStorage<string>();
  private readonly tallies = new Map<string, Map<string, Tally>>();
  /** Request latencies (ms) by operation, over all labels. */
  private readonly latencies = new Map<string, number[]>();

  /** Adds the counting middleware to the store's client (the document client shares the client's stack). */
  attach(store: Store): this {
    store.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        const tally = this.tally(this.label.getStore() ?? 'unlabelled', operation);
        tally.requests++;
        tally.items += itemsOf(operation, input);
        const started = performance.now();
        let samples = this.latencies.get(operation);
        if (!samples) {
          samples = [];
          this.latencies.set(operation, samples);
        }
        const done = samples;
        try {
          const result = await next(args);
          tally.units += unitsOf((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          return result;
        } catch (error) {
          tally.failed++;
          throw error;
        } finally {
          done.push(performance.now() - started);
        }
      },
      { step: 'initialize', name: 'benchDynamoMeter', override: true },
    );
    return this;
  }

  /** Runs `work` with every DynamoDB request it makes counted under `label`. */
  run<T>(label: string, work: () => Promise<T>): Promise<T> {
    return this.label.run(label, work);
  }

  reset(): void {
    this.tallies.clear();
    this.latencies.clear();
  }

  /** Latency samples (ms) of one operation, e.g. `PutItem`. */
  latencyOf(operation: string): readonly number[] {
    return this.latencies.get(operation) ?? [];
  }

  /** Totals over the labels `match` accepts (all by default). */
  totals(match: (label: string) => boolean = () => true): MeterTotals {
    const byOperation: Record<string, Tally> = {};
    for (const [label, operations] of this.tallies) {
      if (!match(label)) continue;
      for (const [operation, tally] of operations) {
        byOperation[operation] ??= emptyTally();
        const sum = byOperation[operation];
        sum.requests += tally.requests;
        sum.items += tally.items;
        sum.units += tally.units;
        sum.failed += tally.failed;
      }
    }
    const totals: MeterTotals = { writes: 0, writeItems: 0, writeUnits: 0, reads: 0, readUnits: 0, scans: 0, byOperation };
    for (const [operation, tally] of Object.entries(byOperation)) {
      if (WRITE_OPERATIONS.has(operation)) {
        totals.writes += tally.requests;
        totals.writeItems += tally.items;
        totals.writeUnits += tally.units;
      } else if (READ_OPERATIONS.has(operation)) {
        totals.reads += tally.requests;
        totals.readUnits += tally.units;
      }
      if (operation === 'Scan') totals.scans += tally.requests;
    }
    return totals;
  }

  labels(): string[] {
    return [...this.tallies.keys()];
  }

  private tally(label: string, operation: string): Tally {
    let operations = this.tallies.get(label);
    if (!operations) {
      operations = new Map();
      this.tallies.set(label, operations);
    }
    let tally = operations.get(operation);
    if (!tally) {
      tally = emptyTally();
      operations.set(operation, tally);
    }
    return tally;
  }
}

function itemsOf(operation: string, input: Record<string, unknown>): number {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return Array.isArray(input.TransactItems) ? input.TransactItems.length : 0;
  }
  if (operation === 'BatchWriteItem') {
    const requests = (input.RequestItems ?? {}) as Record<string, unknown[]>;
    return Object.values(requests).reduce((n, list) => n + list.length, 0);
  }
  return 1;
}

function unitsOf(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((n: number, c: { CapacityUnits?: number }) => n + (c.CapacityUnits ?? 0), 0);
}
