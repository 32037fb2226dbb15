import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { observeDispute, observeRefunds, revenueObjectForParking } from '../../shared/stripe/revenue.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.doc.destroy());

const PERSONAL = [
  'billing_details',
  'payment_method_details',
  'receipt_email',
  'receipt_url',
  'evidence',
  'shipping',
  'email',
  'name',
  'address',
  'phone',
  'metadata',
  'description',
];

function personalKeys(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
    ...(PERSONAL.includes(k) ? [`${path}${k}`] : []),
    ...personalKeys(v, `${path}${k}.`),
  ]);
}

describe('refunds and disputes waiting for their charge', () => {
  const charge = {
    ...fixture('charge'),
    id: 'ch_parked',
    customer: 'cus_parked',
    amount: 50_000,
    amount_refunded: 10_000,
    currency: 'usd',
    billing_details: { name: 'Jane Doe', email: 'jane@example.com', address: { line1: '1 Main St' }, phone: '+1555' },
  };
  const dispute = { ...fixture('dispute'), id: 'dp_parked', charge: 'ch_parked', amount: 50_000, currency: 'usd', status: 'needs_response' };
  const refundEvent = stripeEvent(
    'refund.created',
    {
      ...fixture('refund'),
      id: 're_parked',
      charge: 'ch_parked',
      amount: 10_000,
      currency: 'usd',
      status: 'succeeded',
      metadata: { note: 'goodwill for Jane' },
    },
    epoch(NOW) - 100,
    'evt_parked_refund',
  );
  const disputeEvent = stripeEvent('charge.dispute.created', dispute, epoch(NOW) - 90, 'evt_parked_dispute');

  it('are kept without personal data, then applied and dropped when the charge names its owner', async () => {
    const deps = { store, policy: defaultPolicy };
    expect(personalKeys(dispute).length).toBeGreaterThan(0);
    expect(await applyStripeEvent(deps, disputeEvent, NOW)).toMatchObject({ outcome: 'ignored' });
    expect(await applyStripeEvent(deps, refundEvent, NOW)).toMatchObject({ outcome: 'ignored' });
    const parked = (await allItems(store)).filter((i) => String(i.sk).startsWith('PARKED#'));
    expect(parked).toHaveLength(2);
    for (const item of parked) {
      expect(personalKeys(item.event)).toEqual([]);
      expect(Number(item.expiresAt)).toBeGreaterThan(Date.now() / 1000 + 80 * 86_400);
    }

    await applyStripeEvent(deps, stripeEvent('charge.succeeded', charge, epoch(NOW) - 200, 'evt_parked_charge'), NOW);
    const items = await allItems(store);
    expect(items.filter((i) => String(i.sk).startsWith('PARKED#'))).toEqual([]);
    expect(
      items
        .filter((i) => i.pk === 'ACCT#cus_parked')
        .map((i) => String(i.sk).split('#')[0])
        .sort(),
    ).toEqual(expect.arrayContaining(['DISPUTE', 'REFUND']));
  });

  it('observing the kept form gives the same facts as observing the whole object', () => {
    const ref = { id: 'evt_1', type: 'charge.refunded', created: epoch(NOW) };
    const withEmbedded = {
      ...charge,
      refunds: {
        object: 'list',
        has_more: false,
        data: [{ ...fixture('refund'), id: 're_e1', charge: 'ch_parked', amount: 10_000, currency: 'usd', status: 'succeeded' }],
      },
    };
    expect(observeRefunds(ref, revenueObjectForParking(withEmbedded), { customerId: 'cus_parked' })).toEqual(
      observeRefunds(ref, withEmbedded, { customerId: 'cus_parked' }),
    );
    const refund = { ...fixture('refund'), id: 're_x', charge: { ...charge }, amount: 5_000, currency: 'usd', status: 'pending' };
    expect(observeRefunds({ ...ref, type: 'refund.updated' }, revenueObjectForParking(refund))).toEqual(
      observeRefunds({ ...ref, type: 'refund.updated' }, refund),
    );
    const withTransactions = {
      ...dispute,
      status: 'lost',
      balance_transactions: [{ ...fixture('balance_transaction'), id: 'txn_1', amount: -50_000, fee: 1_500, currency: 'usd', reporting_category: 'dispute' }],
    };
    const disputeRef = { ...ref, type: 'charge.dispute.closed' };
    expect(observeDispute(disputeRef, revenueObjectForParking(withTransactions), { customerId: 'cus_parked' })).toEqual(
      observeDispute(disputeRef, withTransactions, { customerId: 'cus_parked' }),
    );
    expect(personalKeys(revenueObjectForParking(withEmbedded))).toEqual([]);
  });
});
