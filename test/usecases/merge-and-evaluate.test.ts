import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { observeInvoice } from '../../shared/stripe/invoice.ts';
import { getAccount, loadAccountPartition, saveCustomerFacts } from '../../shared/store/account.ts';
import type { Store } from '../../shared/store/client.ts';
import { invoiceFacts } from '../../shared/store/invoice.ts';
import { mergeAndEvaluate, observation, type Observation } from '../../shared/usecases/merge-and-evaluate.ts';
import { createTestStore } from '../support/store.ts';
import { daysBefore, invoiceEvents, type InvoiceStory } from '../support/stripe-events.ts';

/** One read and one write per round: facts and evaluation commit together, at factsRev + 1. */
const NOW = new Date('2026-11-22T12:00:00Z');
let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.doc.destroy());

// One dependencies object, as one processor has: calls that share it are grouped per account.
let shared: { store: Store; policy: typeof defaultPolicy } | undefined;
const deps = () => (shared ??= { store, policy: defaultPolicy });
const story = (customer: string, invoiceId: string): InvoiceStory => ({
  customer,
  invoiceId,
  finalizedAt: daysBefore(NOW, 40),
  dueAt: daysBefore(NOW, 30),
  paidAt: daysBefore(NOW, 10),
});
const observations = (s: InvoiceStory) => invoiceEvents(s).map((e) => observation(invoiceFacts, observeInvoice(e, e.data.object)));

async function invoiceItem(accountId: string, invoiceId: string) {
  return (await loadAccountPartition(store, accountId)).items.get(`INV#${invoiceId}`);
}

describe('mergeAndEvaluate', () => {
  it('merges several observations of a fact it creates in the same round (the put expects no item)', async () => {
    const all = observations(story('cus_mae_new', 'in_mae_new'));
    expect(all.length).toBeGreaterThan(1);
    const { changed, evaluation } = await mergeAndEvaluate(deps(), 'cus_mae_new', all, NOW);
    expect(changed).toBe(true);
    expect(evaluation.latePayment).toMatchObject({ invoiceCount: 1, lateInvoices: 1 });
    expect(await invoiceItem('cus_mae_new', 'in_mae_new')).toMatchObject({ rev: 1, facts: { amountRemaining: 0 } });
    expect(await getAccount(store, 'cus_mae_new')).toMatchObject({ factsRev: 1, evaluatedRev: 1 });
  });

  it('merges several observations of a stored fact in the same round (the put expects the stored revision)', async () => {
    const [first, ...rest] = observations(story('cus_mae_old', 'in_mae_old'));
    await mergeAndEvaluate(deps(), 'cus_mae_old', [first!], NOW);
    const { changed } = await mergeAndEvaluate(deps(), 'cus_mae_old', rest, NOW);
    expect(changed).toBe(true);
    expect(await invoiceItem('cus_mae_old', 'in_mae_old')).toMatchObject({ rev: 2, facts: { amountRemaining: 0 } });
    expect(await getAccount(store, 'cus_mae_old')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
    // A redelivery adds nothing: no fact written, the evaluation already current.
    expect((await mergeAndEvaluate(deps(), 'cus_mae_old', rest, NOW)).changed).toBe(false);
    expect(await getAccount(store, 'cus_mae_old')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it('starts the facts revision of an account item stored without one (customer event first)', async () => {
    await saveCustomerFacts(store, 'cus_mae_cust', { name: 'Acme', deleted: false, contractMetadata: {}, version: '1' });
    expect((await getAccount(store, 'cus_mae_cust'))?.evaluatedRev).toBeUndefined();
    const { changed } = await mergeAndEvaluate(deps(), 'cus_mae_cust', observations(story('cus_mae_cust', 'in_mae_cust')), NOW);
    expect(changed).toBe(true);
    expect(await getAccount(store, 'cus_mae_cust')).toMatchObject({ name: 'Acme', factsRev: 1, evaluatedRev: 1 });
  });

  it('stores an observation that only orders the others without moving the facts revision, and it goes on ordering them', async () => {
    const events = invoiceEvents(story('cus_mae_order', 'in_mae_order'));
    const paid = observeInvoice(events.find((e) => e.type === 'invoice.paid')!, events.find((e) => e.type === 'invoice.paid')!.data.object);
    const at = (version: string, extra: Partial<typeof paid> = {}) => observation(invoiceFacts, { ...paid, ...extra, version });
    await mergeAndEvaluate(deps(), 'cus_mae_order', [at('000000000100#3#evt_a')], NOW);
    const account = await getAccount(store, 'cus_mae_order');
    expect(account).toMatchObject({ factsRev: 1, evaluatedRev: 1 });
    // A later event with the same snapshot (a payment_succeeded after the paid): only the version moves.
    expect((await mergeAndEvaluate(deps(), 'cus_mae_order', [at('000000000300#3#evt_c')], NOW)).changed).toBe(true);
    expect(await invoiceItem('cus_mae_order', 'in_mae_order')).toMatchObject({ rev: 2, facts: { version: '000000000300#3#evt_c' } });
    expect(await getAccount(store, 'cus_mae_order')).toEqual(account);
    // An observation older than that one, arriving last, loses to it as in any other order.
    const older = at('000000000200#3#evt_b', { amountPaid: 0, amountRemaining: paid.amountDue });
    expect((await mergeAndEvaluate(deps(), 'cus_mae_order', [older], NOW)).changed).toBe(false);
    expect(await invoiceItem('cus_mae_order', 'in_mae_order')).toMatchObject({ rev: 2, facts: { amountRemaining: 0, version: '000000000300#3#evt_c' } });
    // A change of substance after it moves the revision again, evaluated with it.
    await mergeAndEvaluate(deps(), 'cus_mae_order', [at('000000000400#3#evt_d', { amountDue: paid.amountDue + 1, total: paid.total + 1 })], NOW);
    expect(await getAccount(store, 'cus_mae_order')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it('moves the facts revision when one round merges a change of substance and then an ordering-only one into the same fact', async () => {
    const events = invoiceEvents(story('cus_mae_mixed', 'in_mae_mixed'));
    const paid = observeInvoice(events.find((e) => e.type === 'invoice.paid')!, events.find((e) => e.type === 'invoice.paid')!.data.object);
    const at = (version: string, extra: Partial<typeof paid> = {}) => observation(invoiceFacts, { ...paid, ...extra, version });
    await mergeAndEvaluate(deps(), 'cus_mae_mixed', [at('000000000100#3#evt_a')], NOW);
    await mergeAndEvaluate(
      deps(),
      'cus_mae_mixed',
      [at('000000000200#3#evt_b', { amountDue: paid.amountDue + 7 }), at('000000000300#3#evt_c', { amountDue: paid.amountDue + 7 })],
      NOW,
    );
    expect(await invoiceItem('cus_mae_mixed', 'in_mae_mixed')).toMatchObject({
      rev: 2,
      facts: { amountDue: paid.amountDue + 7, version: '000000000300#3#evt_c' },
    });
    expect(await getAccount(store, 'cus_mae_mixed')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it('tells each grouped caller whether its own observations changed a fact', async () => {
    const a = observations(story('cus_mae_group', 'in_mae_a'));
    const b = observations(story('cus_mae_group', 'in_mae_b'));
    // The first call runs alone; the three that arrive while it runs share the next round.
    const results = await Promise.all([
      mergeAndEvaluate(deps(), 'cus_mae_group', a, NOW),
      mergeAndEvaluate(deps(), 'cus_mae_group', a, NOW),
      mergeAndEvaluate(deps(), 'cus_mae_group', b, NOW),
      mergeAndEvaluate(deps(), 'cus_mae_group', b, NOW),
    ]);
    expect(results.map((r) => r.changed)).toEqual([true, false, true, false]);
    expect(results[0]!.evaluation.latePayment).toMatchObject({ invoiceCount: 1 });
    for (const r of results.slice(1)) expect(r.evaluation.latePayment).toMatchObject({ invoiceCount: 2 });
    expect(await invoiceItem('cus_mae_group', 'in_mae_a')).toMatchObject({ rev: 1 });
    expect(await invoiceItem('cus_mae_group', 'in_mae_b')).toMatchObject({ rev: 1 });
    expect(await getAccount(store, 'cus_mae_group')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it("one caller's failing observation fails that caller only, not the others grouped with it", async () => {
    const good = observations(story('cus_mae_bad', 'in_mae_good'));
    const broken: Observation = {
      ...good[0]!,
      plan: () => {
        throw new Error('merge failed');
      },
    };
    const results = await Promise.allSettled([
      mergeAndEvaluate(deps(), 'cus_mae_bad', observations(story('cus_mae_bad', 'in_mae_first')), NOW),
      // These two arrive while the first runs and share the next round, which fails; each is retried alone.
      mergeAndEvaluate(deps(), 'cus_mae_bad', [broken], NOW),
      mergeAndEvaluate(deps(), 'cus_mae_bad', good, NOW),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'merge failed' });
    expect(await invoiceItem('cus_mae_bad', 'in_mae_good')).toMatchObject({ rev: 1 });
    expect(await getAccount(store, 'cus_mae_bad')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it('does not group the calls of two processors (two Lambda instances never share a round)', async () => {
    const a = observations(story('cus_mae_two', 'in_mae_two_a'));
    const b = observations(story('cus_mae_two', 'in_mae_two_b'));
    // Different deps objects: each call is its own round; the loser of the race retries from a fresh read.
    const results = await Promise.all([
      mergeAndEvaluate({ store, policy: defaultPolicy }, 'cus_mae_two', a, NOW),
      mergeAndEvaluate({ store, policy: defaultPolicy }, 'cus_mae_two', b, NOW),
    ]);
    expect(results.map((r) => r.changed)).toEqual([true, true]);
    expect(await getAccount(store, 'cus_mae_two')).toMatchObject({ factsRev: 2, evaluatedRev: 2 });
  });

  it('commits the writes of several accounts in flight together, in few transactions', async () => {
    const counted = await createTestStore();
    const sent: string[] = [];
    counted.doc.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const processor = { store: counted, policy: defaultPolicy };
    const accounts = Array.from({ length: 8 }, (_, i) => `cus_mae_many${i}`);
    const results = await Promise.all(accounts.map((a) => mergeAndEvaluate(processor, a, observations(story(a, `in_${a}`)), NOW)));
    expect(results.every((r) => r.changed)).toBe(true);
    const requests = [...sent];
    for (const a of accounts) {
      expect(await getAccount(counted, a)).toMatchObject({ factsRev: 1, evaluatedRev: 1 });
      expect((await loadAccountPartition(counted, a)).items.get(`INV#in_${a}`)).toMatchObject({ rev: 1 });
    }
    // One Query per account; the first write goes out alone, the writes that arrive while it is in
    // flight share the next one. How many arrive in time is the scheduler's business (2 or 3
    // transactions for the 8 accounts here), so the bound is half of one per account.
    expect(requests.filter((c) => c === 'QueryCommand')).toHaveLength(accounts.length);
    expect(requests.filter((c) => c === 'TransactWriteItemsCommand').length).toBeLessThanOrEqual(accounts.length / 2);
    expect(requests).toHaveLength(accounts.length + requests.filter((c) => c === 'TransactWriteItemsCommand').length);
    counted.doc.destroy();
  });

  it("an account's refused write in a shared transaction fails that account only", async () => {
    const accounts = Array.from({ length: 4 }, (_, i) => `cus_mae_shared${i}`);
    const good = (a: string) => observations(story(a, `in_${a}`));
    // A fact item over DynamoDB's 400 KB item limit: its transaction is refused as a whole.
    const oversize = (a: string): Observation[] => {
      const [first] = good(a);
      return [
        {
          ...first!,
          plan: (...args) => {
            const write = first!.plan(...args)!;
            const item = { ...write.item, padding: 'x'.repeat(420_000) };
            return { ...write, item, put: { Put: { ...write.put.Put, Item: item } } };
          },
        },
      ];
    };
    const processor = deps();
    const results = await Promise.allSettled([
      mergeAndEvaluate(processor, 'cus_mae_shared_first', good('cus_mae_shared_first'), NOW),
      // These arrive while the first is written and share the next transaction, which DynamoDB refuses.
      ...accounts.map((a, i) => mergeAndEvaluate(processor, a, i === 1 ? oversize(a) : good(a), NOW)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const [i, a] of accounts.entries()) {
      expect((await getAccount(store, a))?.factsRev).toBe(i === 1 ? undefined : 1);
    }
  });
});
