import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcessor } from '../../functions/processor/processor.ts';
import { defaultPolicy } from '../../shared/config/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import type { QueuedEvent } from '../../shared/stripe/events.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { sqsEvent } from '../support/sqs.ts';
import { createTestStore } from '../support/store.ts';
import { deliveryOrder, generateStream } from './support/event-stream.ts';
import { exportState, stateCounts } from './support/state.ts';

/**
 * Convergence: the same Stripe events in any order, with duplicates, end in the same state.
 * Events go through the real processor adapter (SQS-shaped batches of ten, as Lambda gets
 * them); then the sweep runs after the settle period, as it would, and the state is exported.
 */
const NOW = new Date('2026-11-22T12:00:00Z');
const AFTER_SETTLE = new Date(NOW.getTime() + (defaultPolicy.reviewSettleMinutes + 5) * 60_000);
const stores: Store[] = [];
afterAll(() => {
  for (const store of stores) store.doc.destroy();
});

/** Replays events into a fresh store in batches of ten, then sweeps; returns the exported state. */
async function replay(events: readonly QueuedEvent[], sweeps: Date[] = [AFTER_SETTLE]): Promise<string> {
  const store = await createTestStore();
  stores.push(store);
  const process = createProcessor({ store, policy: defaultPolicy, clock: () => NOW });
  for (let i = 0; i < events.length; i += 10) {
    const response = await process(sqsEvent(events.slice(i, i + 10)));
    expect(response.batchItemFailures).toEqual([]);
  }
  for (const at of sweeps) await runSweep({ store, policy: defaultPolicy }, at);
  return exportState(store);
}

describe('convergence under reordering and duplication', () => {
  const stream = generateStream({ seed: 20261122, customers: 50, now: NOW });

  it('three random orders with ~30% duplicates end in the same state as the in-order stream', async () => {
    expect(stream.events.length).toBeGreaterThanOrEqual(900);
    expect(Object.keys(stream.counts).length).toBeGreaterThanOrEqual(15);
    const inOrder = [...stream.events].sort((a, b) => a.created - b.created);
    const orders = [1, 2, 3].map((seed) => deliveryOrder(stream.events, seed, 0.3));
    expect(orders.every((o) => o.length > stream.events.length * 1.2)).toBe(true);

    const [reference, ...others] = await Promise.all([replay(inOrder), ...orders.map((order) => replay(order))]);
    const counts = stateCounts(reference as string);
    // Not vacuous: late payers, reviews and renewal reminders are in the state compared.
    expect(counts.flaggedAccounts ?? 0).toBeGreaterThan(3);
    expect((counts['task:open'] ?? 0) + (counts['task:scheduled'] ?? 0)).toBeGreaterThan(3);
    expect(counts.notification ?? 0).toBeGreaterThan(3);
    expect(counts.INV ?? 0).toBe(new Set(stream.events.filter((e) => e.type.startsWith('invoice.')).map((e) => e.data.object.id)).size);
    for (const state of others) expect(state).toBe(reference);
  }, 240_000);
});

describe('model-based: any interleaving of deliveries, redeliveries and sweeps', () => {
  const small = generateStream({ seed: 7, customers: 3, now: NOW });
  const events = small.events.slice(0, 40);

  /** The real system under test: a store fed one event (or a sweep) at a time. */
  interface Real {
    store: Store;
    process: ReturnType<typeof createProcessor>;
  }
  interface Model {
    delivered: Set<number>;
  }
  class Deliver implements fc.AsyncCommand<Model, Real> {
    constructor(readonly index: number) {}
    check = () => true;
    async run(model: Model, real: Real) {
      const response = await real.process(sqsEvent([events[this.index] as QueuedEvent]));
      expect(response.batchItemFailures).toEqual([]);
      model.delivered.add(this.index);
    }
    toString = () => `deliver(${this.index})`;
  }
  class Sweep implements fc.AsyncCommand<Model, Real> {
    check = () => true;
    async run(_model: Model, real: Real) {
      // A sweep during the replay, at "now": opens nothing that has not settled.
      await runSweep({ store: real.store, policy: defaultPolicy }, NOW);
    }
    toString = () => 'sweep';
  }

  it('matches the in-order replay after every event has been delivered at least once', async () => {
    const expected = await replay([...events].sort((a, b) => a.created - b.created));
    await fc.assert(
      fc.asyncProperty(
        fc.commands([fc.integer({ min: 0, max: events.length - 1 }).map((i) => new Deliver(i)), fc.constant(new Sweep())], { maxCommands: 60 }),
        async (commands) => {
          const store = await createTestStore();
          stores.push(store);
          const real: Real = { store, process: createProcessor({ store, policy: defaultPolicy, clock: () => NOW }) };
          const model: Model = { delivered: new Set() };
          await fc.asyncModelRun(() => ({ model, real }), commands);
          // Whatever was not delivered yet arrives last, as Stripe's retries would bring it.
          const missing = events.filter((_, i) => !model.delivered.has(i));
          for (let i = 0; i < missing.length; i += 10) await real.process(sqsEvent(missing.slice(i, i + 10)));
          await runSweep({ store, policy: defaultPolicy }, AFTER_SETTLE);
          expect(await exportState(store)).toBe(expected);
        },
      ),
      { numRuns: 12, seed: 4242 },
    );
  }, 240_000);
});
