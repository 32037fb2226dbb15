import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { getContract } from '../../shared/store/contract.ts';
import { listContractSources } from '../../shared/store/contract-source.ts';
import { listAudit } from '../../shared/store/audit.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { createTestStore } from '../support/store.ts';
import { activeSubscription, epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

/**
 * Terms an object in Stripe stops carrying leave the record. The Stripe terms in force are
 * recomputed from each Stripe object's latest observation (store/contract-source.ts, domain
 * `stripeTermsInForce`), so a cancellation undone, a schedule released or contract metadata
 * removed takes its terms with it, whatever the order the events arrive in.
 */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.doc.destroy());

const apply = (type: string, object: Record<string, unknown>, secondsAgo: number) =>
  applyStripeEvent({ store, policy: defaultPolicy }, stripeEvent(type, object, epoch(now) - secondsAgo), now);

describe('Stripe terms withdrawn in Stripe', () => {
  it('a subscription set to cancel at period end, then reactivated, has no cancellation date on record', async () => {
    const subscription = activeSubscription('sub_reactivated', 'cus_reactivated');
    await apply('customer.subscription.updated', { ...subscription, cancel_at: epoch('2027-01-15T00:00:00Z'), cancel_at_period_end: true }, 100);
    expect((await getContract(store, 'cus_reactivated'))?.contract).toMatchObject({ source: 'stripe_cancel_at', endDate: '2027-01-15' });
    await apply('customer.subscription.updated', { ...subscription, cancel_at: null, cancel_at_period_end: false }, 50);
    expect((await getContract(store, 'cus_reactivated'))?.contract?.source).not.toBe('stripe_cancel_at');
  });

  it('a released subscription schedule no longer sets the contract end', async () => {
    const schedule = {
      ...fixture('subscription_schedule'),
      id: 'sub_sched_released',
      customer: 'cus_released',
      subscription: 'sub_released',
      status: 'active',
      end_behavior: 'release',
      canceled_at: null,
      completed_at: null,
      released_at: null,
      released_subscription: null,
      current_phase: { start_date: epoch('2026-03-01T00:00:00Z'), end_date: epoch('2027-03-01T00:00:00Z') },
    };
    await apply('subscription_schedule.updated', schedule, 100);
    expect((await getContract(store, 'cus_released'))?.contract).toMatchObject({ source: 'stripe_schedule', sourceRef: 'sub_sched_released' });
    await apply(
      'subscription_schedule.released',
      { ...schedule, status: 'released', released_at: epoch(now) - 50, released_subscription: 'sub_released', current_phase: null },
      50,
    );
    expect((await getContract(store, 'cus_released'))?.contract?.sourceRef).not.toBe('sub_sched_released');
  });

  it('the reactivation delivered before the cancellation it undoes still wins (latest observation of the object)', async () => {
    const subscription = activeSubscription('sub_swapped', 'cus_swapped');
    await apply('customer.subscription.updated', { ...subscription, cancel_at: null, cancel_at_period_end: false }, 50);
    await apply('customer.subscription.updated', { ...subscription, cancel_at: epoch('2027-01-15T00:00:00Z'), cancel_at_period_end: true }, 100);
    expect(await getContract(store, 'cus_swapped')).toBeUndefined();
  });

  it("contract metadata removed from the customer withdraws its terms, and a person's terms are never withdrawn", async () => {
    const customer = { ...fixture('customer'), id: 'cus_meta_removed', name: 'Meta Removed' };
    await apply('customer.updated', { ...customer, metadata: { contract_end_date: '2027-06-30', renewal: 'auto' } }, 100);
    expect((await getContract(store, 'cus_meta_removed'))?.contract).toMatchObject({ source: 'stripe_metadata', endDate: '2027-06-30' });
    await apply('customer.updated', { ...customer, metadata: {} }, 50);
    expect(await getContract(store, 'cus_meta_removed')).toBeUndefined();
    const history = await listAudit(store, 'cus_meta_removed', { limit: 10 });
    expect(history.items.map((r) => r.action)).toEqual(expect.arrayContaining(['contract.recorded', 'contract.withdrawn']));

    await recordContract(
      { store, policy: defaultPolicy },
      { accountId: 'cus_meta_removed', actor: 'token:finance', source: 'manual', now, body: { endDate: '2027-09-30', renewal: 'fixed', noticeDays: 30 } },
    );
    await apply('customer.updated', { ...customer, metadata: { contract_end_date: '2027-06-30' } }, 20);
    await apply('customer.updated', { ...customer, metadata: {} }, 10);
    expect((await getContract(store, 'cus_meta_removed'))?.contract).toMatchObject({ source: 'manual', endDate: '2027-09-30' });
  });

  it('stores of each Stripe object only the fields terms are read from', async () => {
    const subscription = {
      ...fixture('subscription'),
      id: 'sub_fields',
      customer: 'cus_fields',
      metadata: { contract_end_date: '2027-03-31', internal_note: 'not ours to keep' },
    };
    await apply('customer.subscription.updated', subscription, 10);
    const [source] = await listContractSources(store, 'cus_fields');
    expect(source).toMatchObject({ kind: 'subscription', id: 'sub_fields', fields: { metadata: { contract_end_date: '2027-03-31' } } });
    expect(JSON.stringify(source)).not.toContain('internal_note');
    expect(Object.keys(source!.fields).sort()).toEqual(expect.arrayContaining(['id', 'metadata']));
    for (const key of Object.keys(source!.fields))
      expect(['id', 'status', 'deleted', 'cancel_at', 'cancel_at_period_end', 'current_period_end', 'plan', 'items', 'schedule', 'metadata']).toContain(key);
  });
});
