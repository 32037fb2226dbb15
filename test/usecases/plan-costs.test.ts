import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from '../../shared/domain/policy.ts';
import { subscriptionPlans } from '../../shared/stripe/subscription-plans.ts';
import type { Store } from '../../shared/store/client.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { getAccountView } from '../../shared/usecases/read-accounts.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { getAccount } from '../../shared/store/account.ts';
import { getTask } from '../../shared/store/task.ts';
import { saveContractSource } from '../../shared/store/contract-source.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { listAudit } from '../../shared/store/audit.ts';
import { createTestStore } from '../support/store.ts';
import { daysBefore, epoch, fixture, invoiceEvents, stripeEvent } from '../support/stripe-events.ts';

/**
 * The policy's fixed monthly costs by plan (`plan`: a Stripe price, product or plan id) apply to
 * the accounts on that plan: those with a live subscription to it. They were accepted by the
 * policy and never applied.
 */
const now = new Date('2026-11-22T12:00:00Z');
const subscription = fixture('subscription') as Record<string, any>;
const priceId: string = subscription.items.data[0].price.id;
const productId: string = subscription.items.data[0].price.product;

describe('subscriptionPlans', () => {
  it("takes a live subscription's price, product and plan ids", () => {
    const plans = subscriptionPlans(subscription);
    expect(plans.live).toBe(true);
    expect(plans.planIds).toEqual(expect.arrayContaining([priceId, productId, subscription.items.data[0].plan.id]));
    expect(subscriptionPlans({ status: 'active', items: { data: [{ price: { id: 'price_a', product: { id: 'prod_a' } } }] } }).planIds).toEqual([
      'price_a',
      'prod_a',
    ]);
  });
  it('is not live once canceled or deleted, or before it starts', () => {
    expect(subscriptionPlans({ ...subscription, status: 'canceled' }).live).toBe(false);
    expect(subscriptionPlans({ ...subscription, deleted: true }).live).toBe(false);
    expect(subscriptionPlans({ ...subscription, status: 'incomplete' }).live).toBe(false);
    expect(subscriptionPlans({ ...subscription, status: 'past_due' }).live).toBe(true);
  });
});

describe('fixed monthly costs by plan', () => {
  let store: Store;
  const policy = parsePolicy({ profitability: { fixedMonthlyCosts: [{ plan: priceId, amount: 20_000, currency: 'usd', category: 'support' }] } });
  const deps = () => ({ store, policy });
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(() => store?.doc.destroy());

  const costOf = async (accountId: string) => (await getAccountView(deps(), accountId, now)).profitability.find((r) => r.currency === 'usd')?.cost;

  it("apply while the account's subscription to the plan is live, and stop when it is canceled", async () => {
    const customer = 'cus_plan_cost';
    // Four months of paid invoices: history for the months of fixed cost.
    for (const age of [120, 90, 60, 30]) {
      for (const event of invoiceEvents({
        customer,
        invoiceId: `in_plan_${age}`,
        amount: 50_000,
        currency: 'usd',
        finalizedAt: daysBefore(now, age),
        paidAt: daysBefore(now, age),
      })) {
        await applyStripeEvent(deps(), event, now);
      }
    }
    const before = await costOf(customer);
    const sub = { ...subscription, id: 'sub_plan_cost', customer, status: 'active', metadata: {}, schedule: null };
    await applyStripeEvent(deps(), stripeEvent('customer.subscription.created', sub, epoch(now) - 100), now);
    const on = await costOf(customer);
    expect(on! - (before ?? 0)).toBeGreaterThanOrEqual(4 * 20_000);
    // The same plan cost under the default policy (no plan costs) is not there.
    expect((await getAccountView({ store, policy: defaultPolicy }, customer, now)).profitability.find((r) => r.currency === 'usd')?.cost ?? 0).toBe(
      before ?? 0,
    );

    await applyStripeEvent(deps(), stripeEvent('customer.subscription.deleted', { ...sub, status: 'canceled' }, epoch(now) - 50), now);
    expect(await costOf(customer)).toBe(before);
    // An older observation delivered late changes nothing (latest observation of the subscription wins).
    await applyStripeEvent(deps(), stripeEvent('customer.subscription.updated', sub, epoch(now) - 75), now);
    expect(await costOf(customer)).toBe(before);
  });
});

describe('fixed monthly costs for one account', () => {
  let store: Store;
  const policy = parsePolicy({ profitability: { fixedMonthlyCosts: [{ accountId: 'cus_acct_cost', amount: 60_000, currency: 'usd', category: 'delivery' }] } });
  const deps = () => ({ store, policy });
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(() => store?.doc.destroy());

  /** Four months of paid 50,000 invoices, through Stripe's events (the processor's path). */
  async function history(customer: string) {
    for (const age of [120, 90, 60, 30]) {
      for (const event of invoiceEvents({
        customer,
        invoiceId: `in_${customer}_${age}`,
        amount: 50_000,
        currency: 'usd',
        finalizedAt: daysBefore(now, age),
        paidAt: daysBefore(now, age),
      })) {
        await applyStripeEvent(deps(), event, now);
      }
    }
  }

  it('apply to the account named, which costs more than it brings: flagged, and its review carries the checklist', async () => {
    await recordContract(deps(), {
      accountId: 'cus_acct_cost',
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-09-30', renewal: 'auto', noticeDays: 30 },
    });
    await history('cus_acct_cost');
    const view = await getAccountView(deps(), 'cus_acct_cost', now);
    const usd = view.profitability.find((r) => r.currency === 'usd')!;
    expect(usd.revenue).toBe(200_000);
    // One fixed cost per month of history (at least the four months invoiced).
    expect(usd.cost).toBeGreaterThanOrEqual(4 * 60_000);
    expect(usd.cost % 60_000).toBe(0);
    expect(usd.margin).toBe(usd.revenue - usd.cost);
    expect(view.flags).toContain('unprofitable');
    // The stored evaluation (what GET /accounts?flag= lists) says the same.
    expect((await getAccount(store, 'cus_acct_cost'))?.flags).toContain('unprofitable');

    const [review] = (await listTasks(deps(), { accountId: 'cus_acct_cost', limit: 10 })).items;
    expect(review).toMatchObject({ kind: 'review', targetEnd: '2027-09-30', noticeDeadline: '2027-08-31' });
    // domain.md's six steps, in order.
    const steps = [/contract.*end date.*notice period.*term end/i, /deliverables/i, /conversation/i, /tell the client/i, /transition plan/i, /follow up/i];
    const checklist = (await getTask(store, review!.id))!.task.checklist;
    expect(checklist).toHaveLength(steps.length);
    for (const [i, step] of steps.entries()) expect(checklist[i]).toMatch(step);
  });

  it('and to no other account', async () => {
    await history('cus_acct_other');
    const view = await getAccountView(deps(), 'cus_acct_other', now);
    expect(view.profitability.find((r) => r.currency === 'usd')).toMatchObject({ revenue: 200_000, cost: 0, margin: 200_000 });
    expect(view.flags).not.toContain('unprofitable');
  });
});

describe("a subscription's plans move the account's facts revision only when they change", () => {
  let store: Store;
  const deps = () => ({ store, policy: defaultPolicy });
  const observe = (version: string, planIds: string[]) => ({
    source: { kind: 'subscription' as const, id: 'sub_revs', version, observedAt: now.toISOString(), fields: {} },
    plans: { live: true, planIds },
  });
  const factsRev = async (accountId: string) => (await getAccount(store, accountId))?.factsRev ?? 0;
  /** Runs `interleave` once, just before the next transaction that writes the plans item. */
  let interleave: (() => Promise<unknown>) | undefined;
  beforeAll(async () => {
    store = await createTestStore();
    store.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const items = (args.input as { TransactItems?: Array<{ Put?: { Item?: { sk?: string } } }> }).TransactItems;
        if (context.commandName === 'TransactWriteItemsCommand' && interleave && items?.some((i) => String(i.Put?.Item?.sk).startsWith('PLANS#'))) {
          const run = interleave;
          interleave = undefined;
          await run();
        }
        return next(args);
      },
      { step: 'initialize', name: 'interleavePlans' },
    );
  });
  afterAll(() => store?.doc.destroy());

  it('the same plans in a newer observation leave the revision (and so the evaluation) as they are', async () => {
    const sub: Record<string, any> = { ...subscription, id: 'sub_same_plans', customer: 'cus_same_plans', status: 'active', metadata: {}, schedule: null };
    await applyStripeEvent(deps(), stripeEvent('customer.subscription.created', sub, epoch(now) - 100), now);
    const rev = await factsRev('cus_same_plans');
    const evaluatedAt = (await getAccount(store, 'cus_same_plans'))?.evaluatedAt;
    const history = async () => (await listAudit(store, 'cus_same_plans', { limit: 50 })).items.map((r) => r.action);
    const before = await history();
    expect(before).toEqual(['contract.recorded']);
    expect(rev).toBeGreaterThan(0);
    // An update that changes neither the plans nor the terms (its description).
    await applyStripeEvent(
      deps(),
      stripeEvent('customer.subscription.updated', { ...sub, description: 'renamed' }, epoch(now) - 50),
      new Date(now.getTime() + 60_000),
    );
    expect(await factsRev('cus_same_plans')).toBe(rev);
    expect((await getAccount(store, 'cus_same_plans'))?.evaluatedAt).toBe(evaluatedAt);
    // The same terms from a newer observation are no change of the contract: no history entry.
    expect(await history()).toEqual(before);
    // Other plans do move it.
    const other = { ...sub, items: { ...sub.items, data: [{ ...sub.items.data[0], price: { ...sub.items.data[0].price, id: 'price_other' } }] } };
    await applyStripeEvent(deps(), stripeEvent('customer.subscription.updated', other, epoch(now) - 10), now);
    expect(await factsRev('cus_same_plans')).toBe(rev + 1);
  });

  it('an observation whose plans were changed by another since its read reads again, and moves the revision', async () => {
    await saveContractSource(store, 'cus_plans_race', observe('0001#a', ['price_p']).source, observe('0001#a', ['price_p']).plans);
    expect(await factsRev('cus_plans_race')).toBe(1);
    // v3 reads plans P (the same as its own); before its write, v2 stores plans Q (moving the revision).
    interleave = () => saveContractSource(store, 'cus_plans_race', observe('0002#b', ['price_q']).source, observe('0002#b', ['price_q']).plans);
    expect(await saveContractSource(store, 'cus_plans_race', observe('0003#c', ['price_p']).source, observe('0003#c', ['price_p']).plans)).toBe('saved');
    // Q moved it once, and P back again once: an evaluation at the old revision would miss P.
    expect(await factsRev('cus_plans_race')).toBe(3);
    const item = await store.doc.send(
      new GetCommand({ TableName: store.tableName, Key: { pk: 'ACCT#cus_plans_race', sk: 'PLANS#sub_revs' }, ConsistentRead: true }),
    );
    expect(item.Item).toMatchObject({ version: '0003#c', planIds: ['price_p'] });
  });
});
