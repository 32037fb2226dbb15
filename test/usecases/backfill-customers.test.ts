import { afterAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { getAccount } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { getContract } from '../../shared/store/contract.ts';
import { accountPartition } from '../../shared/store/keys.ts';
import type { QueuedEvent } from '../../shared/stripe/events.ts';
import { applyStripeEvent, recordCustomerEvents, recordStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { activeSubscription, epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

/**
 * The backfill records a page of customers at once (recordCustomerEvents): the same outcome and
 * stored state as recording each event alone (recordStripeEvent), with the Stripe terms
 * recomputed only where a customer's metadata can move them.
 */
const now = new Date('2026-11-22T12:00:00Z');
const policy = defaultPolicy;
const stores: Store[] = [];
afterAll(() => {
  for (const store of stores) store.doc.destroy();
});
async function freshStore(): Promise<Store> {
  const store = await createTestStore();
  stores.push(store);
  return store;
}

const terms = { contract_end_date: '2027-06-30', renewal: 'auto', notice_period_days: '60' };
const customer = (id: string, metadata: Record<string, string>, name: string | null = null) => ({
  ...fixture('customer'),
  id,
  name,
  email: null,
  created: epoch(now) - 86_400,
  metadata,
});
const at = (secondsAgo: number) => epoch(now) - secondsAgo;

/** Live events stored before the page: terms from a customer's metadata, and from a subscription's. */
function liveEvents(): QueuedEvent[] {
  const subscription = activeSubscription('sub_bc_terms', 'cus_bc_subterms', { metadata: terms });
  return [
    // Older than the page's snapshot of the same customer, which no longer carries the terms.
    stripeEvent('customer.updated', customer('cus_bc_withdrawn', terms), at(3 * 86_400)),
    stripeEvent('customer.subscription.updated', subscription, at(3 * 86_400)),
  ];
}

/** One page: new terms, terms withdrawn, terms from a subscription, nothing at all, and a newer live observation. */
function page(): QueuedEvent[] {
  return [
    stripeEvent('customer.updated', customer('cus_bc_meta', terms, 'Meta Ltd'), at(100)),
    stripeEvent('customer.updated', customer('cus_bc_withdrawn', {}), at(100)),
    stripeEvent('customer.updated', customer('cus_bc_subterms', {}), at(100)),
    stripeEvent('customer.updated', customer('cus_bc_quiet', {}, 'Quiet Ltd'), at(100)),
    stripeEvent('customer.updated', customer('cus_bc_quiet', {}, 'Quiet Ltd (older)'), at(200)),
  ];
}

/** Every item but audit entries' wall-clock time and random id. */
async function comparable(store: Store): Promise<string[]> {
  return (await allItems(store))
    .map((item) => {
      if (String(item.sk).startsWith('~AUDIT#')) {
        const { sk: _sk, at: _at, id: _id, ...rest } = item;
        return JSON.stringify(rest, Object.keys(rest).sort());
      }
      return JSON.stringify(item, Object.keys(item).sort());
    })
    .sort();
}

describe('recordCustomerEvents: a page of customers', () => {
  it('stores what recording each event alone stores, and gives the same outcomes', async () => {
    const events = page();
    const alone = await freshStore();
    const together = await freshStore();
    const live = liveEvents();
    for (const store of [alone, together]) for (const event of live) await applyStripeEvent({ store, policy }, event, now);

    const outcomes = [];
    for (const event of events) {
      const recorded = await recordStripeEvent({ store: alone, policy }, event);
      outcomes.push(recorded.outcome === 'ignored' ? recorded : { outcome: recorded.outcome, accountId: recorded.accountId });
    }
    expect(await recordCustomerEvents({ store: together, policy }, events)).toEqual(outcomes);
    expect(outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'unchanged']);
    expect(await comparable(together)).toEqual(await comparable(alone));

    expect((await getContract(together, 'cus_bc_meta'))?.contract).toMatchObject({ source: 'stripe_metadata', endDate: '2027-06-30', noticeDays: 60 });
    expect(await getContract(together, 'cus_bc_withdrawn')).toBeUndefined();
    expect((await getContract(together, 'cus_bc_subterms'))?.contract).toMatchObject({ endDate: '2027-06-30' });
    expect(await getContract(together, 'cus_bc_quiet')).toBeUndefined();
    expect((await getAccount(together, 'cus_bc_quiet'))?.name).toBe('Quiet Ltd');
  });

  it('recomputes no terms for a customer without contract metadata, before or now, and no contract on record', async () => {
    const store = await freshStore();
    for (const event of liveEvents()) await applyStripeEvent({ store, policy }, event, now);
    const sourceQueries: string[] = [];
    store.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> };
        if (context.commandName === 'QueryCommand' && String(input.ExpressionAttributeValues?.[':prefix'] ?? '').startsWith('~SRC#'))
          sourceQueries.push(String(input.ExpressionAttributeValues?.[':pk']));
        return next(args);
      },
      { step: 'initialize', name: 'countSourceQueries' },
    );
    await recordCustomerEvents({ store, policy }, page());
    expect(sourceQueries.sort()).toEqual(['cus_bc_meta', 'cus_bc_subterms', 'cus_bc_withdrawn'].map(accountPartition));
  });

  it('keeps the newest observation of a customer given twice, in either order', async () => {
    for (const order of [
      [at(100), at(200)],
      [at(200), at(100)],
    ]) {
      const store = await freshStore();
      const events = order.map((created) => stripeEvent('customer.updated', customer('cus_bc_twice', {}, `seen ${created}`), created));
      await recordCustomerEvents({ store, policy }, events);
      expect((await getAccount(store, 'cus_bc_twice'))?.name).toBe(`seen ${at(100)}`);
    }
  });

  it('leaves a newer observation stored by the processor as it is', async () => {
    const store = await freshStore();
    await applyStripeEvent({ store, policy }, stripeEvent('customer.updated', customer('cus_bc_newer', terms, 'Live name'), at(10)), now);
    const [result] = await recordCustomerEvents({ store, policy }, [stripeEvent('customer.updated', customer('cus_bc_newer', {}, 'Backfill name'), at(100))]);
    expect(result).toEqual({ outcome: 'unchanged', accountId: 'cus_bc_newer' });
    expect((await getAccount(store, 'cus_bc_newer'))?.name).toBe('Live name');
    expect((await getContract(store, 'cus_bc_newer'))?.contract).toMatchObject({ source: 'stripe_metadata' });
  });
});
