import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { getAccount } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { getContract } from '../../shared/store/contract.ts';
import { listAudit } from '../../shared/store/audit.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { createTestStore } from '../support/store.ts';
import { activeSubscription, epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

/**
 * The processor's customer and subscription events in as few requests as their guarantees allow:
 * a customer's facts commit with the account's evaluation (one Query, one write), and Stripe's
 * terms are recomputed with the evaluation in one round (the partition, the objects' observations,
 * one transaction). Each write is conditioned on the customer version it read, so a customer
 * observation stored in between sends the round back to read again.
 */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
/** Requests by operation, while `counting`; and a hook run once before the next UpdateItem of an account item. */
let counting: string[] | undefined;
let beforeAccountUpdate: (() => Promise<void>) | undefined;

beforeAll(async () => {
  store = await createTestStore();
  store.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const key = (args.input as { Key?: { sk?: unknown } }).Key;
      if (operation === 'UpdateItem' && key?.sk === 'ACCOUNT' && beforeAccountUpdate) {
        const hook = beforeAccountUpdate;
        beforeAccountUpdate = undefined;
        await hook();
      }
      counting?.push(operation);
      return next(args);
    },
    { step: 'initialize', name: 'countAndInterleave' },
  );
});
afterAll(() => store?.doc.destroy());

// A dependencies object of its own each time: as separate processors (never grouped in one round).
const apply = (type: string, object: Record<string, unknown>, secondsAgo: number) =>
  applyStripeEvent({ store, policy: defaultPolicy }, stripeEvent(type, object, epoch(now) - secondsAgo), now);
const customer = (id: string, metadata: Record<string, string>, name = 'Round Customer') => ({ ...fixture('customer'), id, name, metadata });

async function requestsOf(work: () => Promise<unknown>): Promise<string[]> {
  counting = [];
  try {
    await work();
    return counting;
  } finally {
    counting = undefined;
  }
}

describe('a customer event', () => {
  it('without contract metadata stores its facts and the evaluation in one Query and one write', async () => {
    const requests = await requestsOf(() => apply('customer.created', customer('cus_round_quiet', {}), 100));
    expect(requests).toEqual(['Query', 'UpdateItem']);
    const account = await getAccount(store, 'cus_round_quiet');
    expect(account).toMatchObject({ name: 'Round Customer', factsRev: 0, evaluatedRev: 0 });
    expect(account?.customerVersion).toBeDefined();
  });

  it('with contract metadata records the terms and evaluates them in a second round', async () => {
    const requests = await requestsOf(() => apply('customer.created', customer('cus_round_meta', { contract_end_date: '2027-06-30', renewal: 'auto' }), 100));
    expect(requests).toEqual(['Query', 'UpdateItem', 'Query', 'Query', 'TransactWriteItems']);
    expect((await getContract(store, 'cus_round_meta'))?.contract).toMatchObject({ source: 'stripe_metadata', endDate: '2027-06-30' });
    const account = await getAccount(store, 'cus_round_meta');
    expect(account?.evaluatedRev).toBe(account?.factsRev);
    expect(account?.summary?.contract).toMatchObject({ endDate: '2027-06-30' });
  });

  it('reads again when an older customer observation with contract metadata is applied between its read and its write', async () => {
    // Another processor applies the older event (its terms recorded) in full after this one read
    // the account; this one's write must not go in on what it read (no metadata anywhere: nothing
    // to recompute), or the older event's terms would stay on record with no metadata behind them.
    beforeAccountUpdate = async () => {
      await apply('customer.updated', customer('cus_round_race', { contract_end_date: '2027-06-30' }, 'Older Name'), 200);
    };
    await apply('customer.updated', customer('cus_round_race', {}, 'Newer Name'), 100);
    expect(beforeAccountUpdate).toBeUndefined();
    const account = await getAccount(store, 'cus_round_race');
    expect(account).toMatchObject({ name: 'Newer Name', contractMetadata: {} });
    expect(await getContract(store, 'cus_round_race')).toBeUndefined();
    expect(account?.evaluatedRev).toBe(account?.factsRev);
    const history = await listAudit(store, 'cus_round_race', { limit: 10 });
    expect(history.items.map((r) => r.action)).toEqual(expect.arrayContaining(['contract.recorded', 'contract.withdrawn']));
  });
});

describe('a subscription event', () => {
  const subscription = (id: string, accountId: string, cancelAt: string) =>
    activeSubscription(id, accountId, { cancel_at: epoch(cancelAt), cancel_at_period_end: true });

  it('saves the object, then recomputes the terms with the evaluation in one transaction', async () => {
    const requests = await requestsOf(() => apply('customer.subscription.created', subscription('sub_round', 'cus_round_sub', '2027-01-15T00:00:00Z'), 100));
    expect(requests.filter((r) => r === 'TransactWriteItems' || r === 'UpdateItem' || r === 'PutItem')).toHaveLength(2);
    expect(requests.slice(-3)).toEqual(['Query', 'Query', 'TransactWriteItems']);
    expect((await getContract(store, 'cus_round_sub'))?.contract).toMatchObject({ source: 'stripe_cancel_at', endDate: '2027-01-15' });
    const account = await getAccount(store, 'cus_round_sub');
    expect(account?.evaluatedRev).toBe(account?.factsRev);
    expect(account?.summary?.contract).toMatchObject({ endDate: '2027-01-15' });
  });

  it('a redelivery, stale then, recomputes the terms and writes nothing when they stand', async () => {
    const event = stripeEvent('customer.subscription.created', subscription('sub_round_again', 'cus_round_again', '2027-02-15T00:00:00Z'), epoch(now) - 100);
    await applyStripeEvent({ store, policy: defaultPolicy }, event, now);
    const requests = await requestsOf(() => applyStripeEvent({ store, policy: defaultPolicy }, event, now));
    expect(requests.filter((r) => r === 'TransactWriteItems' || r === 'UpdateItem' || r === 'PutItem')).toEqual([]);
    expect((await getContract(store, 'cus_round_again'))?.contract).toMatchObject({ endDate: '2027-02-15' });
  });
});
