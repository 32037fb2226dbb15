import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/domain/canonical-json.ts';
import { defaultPolicy, parsePolicy, type Policy } from '../../shared/config/policy.ts';
import { contractFromBody } from '../../shared/domain/contract.ts';
import type { InvoiceFacts } from '../../shared/domain/invoice.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getAccount } from '../../shared/store/account.ts';
import { accountKey } from '../../shared/store/keys.ts';
import type { Store } from '../../shared/store/client.ts';
import { offerContract } from '../../shared/store/contract.ts';
import { recordCost } from '../../shared/store/cost.ts';
import { mergeFact } from '../../shared/store/facts.ts';
import { invoiceFacts } from '../../shared/store/invoice.ts';
import { evaluateAccount } from '../../shared/usecases/evaluate-account.ts';
import { PREVIEW_CONCURRENCY, previewPolicy } from '../../shared/usecases/policy-preview.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';

/**
 * The same rules, not a copy (issue 22): for random stored facts and random proposed policies,
 * the preview's `flagsUnderPreview` are exactly the flags `evaluateAccount` stores under that
 * policy on a fresh table holding the same facts, and its `flagsNow` those it stores under the
 * policy in force; and the preview leaves its own table untouched. DynamoDB Local throughout.
 */
const DAY = 86_400_000;
const NOW = new Date('2026-06-15T10:00:00.000Z');
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString();

const invoiceArb = fc.record({
  finalizedDaysAgo: fc.integer({ min: 1, max: 500 }),
  dueAfterDays: fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
  end: fc.constantFrom('paid', 'open', 'void', 'uncollectible'),
  endAfterDays: fc.integer({ min: 0, max: 90 }),
  failed: fc.boolean(),
  amount: fc.constantFrom(0, 5_000, 80_000),
});

const accountArb = fc.record({
  invoices: fc.array(invoiceArb, { maxLength: 6 }),
  costs: fc.array(fc.record({ amount: fc.integer({ min: 1, max: 300_000 }), daysAgo: fc.integer({ min: 0, max: 400 }) }), { maxLength: 3 }),
  contract: fc.option(
    fc.record({
      endInDays: fc.integer({ min: -60, max: 400 }),
      noticeDays: fc.integer({ min: 0, max: 90 }),
      renewal: fc.constantFrom('auto', 'fixed', 'evergreen'),
    }),
    { nil: undefined },
  ),
});

/** Partial policies, as a person would send them: any subset of the thresholds the rules read. */
const policyArb: fc.Arbitrary<Policy> = fc
  .record(
    {
      graceDays: fc.integer({ min: 0, max: 20 }),
      latePayer: fc.record(
        {
          windowDays: fc.constantFrom(30, 90, 180, 365, 730),
          minLateInvoices: fc.integer({ min: 1, max: 5 }),
          minInvoicesForShare: fc.integer({ min: 1, max: 6 }),
          lateShare: fc.constantFrom(0.2, 0.5, 0.75, 1),
          overdueDays: fc.integer({ min: 1, max: 60 }),
        },
        { requiredKeys: [] },
      ),
      profitability: fc.record(
        { minMarginPct: fc.integer({ min: -50, max: 80 }), minHistoryMonths: fc.integer({ min: 0, max: 8 }), windowMonths: fc.integer({ min: 1, max: 18 }) },
        { requiredKeys: [] },
      ),
      reviewLeadDays: fc.integer({ min: 0, max: 60 }),
      noticeDays: fc.integer({ min: 0, max: 90 }),
      timeZone: fc.constantFrom('UTC', 'Europe/Madrid', 'America/Los_Angeles', 'Pacific/Auckland'),
      forCause: fc.record({ enabled: fc.boolean(), cureDays: fc.integer({ min: 1, max: 60 }) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  )
  .map((input) => parsePolicy(input));

type AccountSpec = typeof accountArb extends fc.Arbitrary<infer T> ? T : never;

function invoiceOf(accountId: string, n: number, spec: AccountSpec['invoices'][number]): InvoiceFacts {
  const finalizedAt = at(spec.finalizedDaysAgo);
  const endAt = new Date(Math.min(Date.parse(finalizedAt) + spec.endAfterDays * DAY, NOW.getTime() - 60_000)).toISOString();
  return {
    invoiceId: `in_${accountId}_${n}`,
    customerId: accountId,
    currency: 'usd',
    collectionMethod: spec.dueAfterDays === undefined ? 'charge_automatically' : 'send_invoice',
    ...(spec.dueAfterDays === undefined ? {} : { dueDate: new Date(Date.parse(finalizedAt) + spec.dueAfterDays * DAY).toISOString() }),
    number: `N-${n}`,
    finalizedAt,
    ...(spec.end === 'paid' ? { paidAt: endAt } : {}),
    ...(spec.end === 'void' ? { voidedAt: endAt } : {}),
    ...(spec.end === 'uncollectible' ? { uncollectibleAt: endAt } : {}),
    ...(spec.failed ? { firstFailedAt: new Date(Date.parse(finalizedAt) + 3_600_000).toISOString() } : {}),
    amountDue: spec.amount,
    amountPaid: spec.end === 'paid' ? spec.amount : 0,
    amountRemaining: spec.end === 'paid' ? 0 : spec.amount,
    total: spec.amount,
    version: `${String(Math.floor(Date.parse(endAt) / 1000)).padStart(12, '0')}#3#evt_${accountId}_${n}`,
  };
}

/** Writes the same facts through the product's own fact writers (no evaluation). */
async function seed(store: Store, accounts: readonly AccountSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, spec] of accounts.entries()) {
    const accountId = `cus_prop${i}`;
    ids.push(accountId);
    for (const [n, invoice] of spec.invoices.entries()) await mergeFact(store, invoiceFacts, accountId, invoiceOf(accountId, n, invoice));
    for (const [n, cost] of spec.costs.entries()) {
      await recordCost(store, {
        accountId,
        body: { amount: cost.amount, currency: 'usd', date: at(cost.daysAgo).slice(0, 10), category: 'support', idempotencyKey: `cost-${n}` },
        recordedAt: at(cost.daysAgo),
        recordedBy: 'test',
      });
    }
    if (spec.contract) {
      const endDate = at(-spec.contract.endInDays).slice(0, 10);
      const body = {
        endDate,
        noticeDays: spec.contract.noticeDays,
        renewal: spec.contract.renewal,
        ...(spec.contract.renewal === 'auto' ? { renewalTermMonths: 12 } : {}),
      };
      await offerContract(store, accountId, contractFromBody(body as never, { source: 'manual', recordedAt: at(100) }), 'test');
    }
    // With no fact at all the account has no item: give it one, as a customer event would.
    if (spec.invoices.length + spec.costs.length === 0 && !spec.contract) {
      await recordCost(store, {
        accountId,
        body: { amount: 1, currency: 'usd', date: at(600).slice(0, 10), category: 'other', idempotencyKey: 'old' },
        recordedAt: at(600),
        recordedBy: 'test',
      });
    }
  }
  return ids;
}

describe('policy preview: the same rules as an evaluation', () => {
  it('for random facts and policies, the preview flags equal what evaluateAccount stores under that policy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(accountArb, { minLength: 1, maxLength: 4 }), policyArb, fc.boolean(), async (accounts, proposed, evaluatedBefore) => {
        const previewed = await createTestStore();
        const evaluated = await createTestStore();
        const inForce = await createTestStore();
        try {
          const ids = await seed(previewed, accounts);
          await seed(evaluated, accounts);
          await seed(inForce, accounts);
          // Sometimes the accounts already carry an evaluation (flags, their since, reviews) from a month ago.
          if (evaluatedBefore) {
            for (const store of [previewed, evaluated, inForce]) {
              for (const id of ids) await evaluateAccount({ store, policy: defaultPolicy }, id, new Date(NOW.getTime() - 30 * DAY));
            }
          }
          const before = (await allItems(previewed)).map((i) => canonicalJson(i)).sort();
          const page = await previewPolicy({ store: previewed, policy: defaultPolicy }, { proposed, all: true, limit: 200 }, NOW);
          expect((await allItems(previewed)).map((i) => canonicalJson(i)).sort()).toEqual(before);
          expect(page.accounts.map((a) => a.id).sort()).toEqual([...ids].sort());
          expect(page.nextCursor).toBeUndefined();
          for (const entry of page.accounts) {
            await evaluateAccount({ store: evaluated, policy: proposed }, entry.id, NOW);
            await evaluateAccount({ store: inForce, policy: defaultPolicy }, entry.id, NOW);
            expect(entry.flagsUnderPreview, `${entry.id} under the proposal`).toEqual((await getAccount(evaluated, entry.id))?.flags);
            expect(entry.flagsNow, `${entry.id} under the policy in force`).toEqual((await getAccount(inForce, entry.id))?.flags);
          }
          const flagged = (flags: readonly string[]) => flags.length > 0;
          expect(page.summary).toEqual({
            accounts: ids.length,
            flaggedNow: page.accounts.filter((a) => flagged(a.flagsNow)).length,
            flaggedUnderPreview: page.accounts.filter((a) => flagged(a.flagsUnderPreview)).length,
            newlyFlagged: page.accounts.filter((a) => !flagged(a.flagsNow) && flagged(a.flagsUnderPreview)).length,
            cleared: page.accounts.filter((a) => flagged(a.flagsNow) && !flagged(a.flagsUnderPreview)).length,
          });
        } finally {
          for (const store of [previewed, evaluated, inForce]) store.doc.destroy();
        }
      }),
      { numRuns: 20 },
    );
  }, 300_000);

  it('pages changed accounts in listing order, examining each account once', async () => {
    const store = await createTestStore();
    const late = { finalizedDaysAgo: 100, dueAfterDays: 10, end: 'paid', endAfterDays: 18, failed: false, amount: 5_000 } as const;
    const onTime = { ...late, endAfterDays: 5 } as const;
    // 70 accounts, listed by the account directory (gsi3) in id order; the even ones pay three
    // invoices 8 days late (late with grace 3, not with grace 10).
    const specs = Array.from({ length: 70 }, (_, i) => ({
      invoices: Array.from({ length: 3 }, (_, n) => ({ ...(i % 2 === 0 ? late : onTime), finalizedDaysAgo: 100 + n * 40 })),
      costs: [],
      contract: undefined,
    }));
    const ids = await seed(store, specs);
    const proposed = parsePolicy({ graceDays: 10 });
    const reads: string[] = [];
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> };
        if (input.KeyConditionExpression?.startsWith('pk = :pk')) reads.push(String(input.ExpressionAttributeValues?.[':pk']));
        return next(args);
      },
      { step: 'initialize', name: 'countPartitionReads' },
    );
    const all = await previewPolicy({ store, policy: defaultPolicy }, { proposed, all: true, limit: 200 }, NOW);
    expect(all.accounts.map((a) => a.id).sort()).toEqual([...ids].sort());
    expect(new Set(reads).size).toBe(70);
    expect(reads).toHaveLength(70);
    const order = all.accounts.map((a) => a.id);
    const changed = all.accounts.filter((a) => a.flagsNow.length !== a.flagsUnderPreview.length).map((a) => a.id);
    expect(changed).toHaveLength(35);

    const listed: string[] = [];
    let cursor: string | undefined;
    let summary;
    do {
      const page = await previewPolicy({ store, policy: defaultPolicy }, { proposed, all: false, limit: 4, ...(cursor ? { cursor } : {}) }, NOW);
      expect(page.accounts.length).toBeLessThanOrEqual(4);
      listed.push(...page.accounts.map((a) => a.id));
      cursor = page.nextCursor;
      summary = page.summary;
    } while (cursor);
    expect(listed).toEqual(changed);
    expect(summary).toEqual({ accounts: 70, flaggedNow: 35, flaggedUnderPreview: 0, newlyFlagged: 0, cleared: 35 });
    // A page stops at its size: reads go no further than its last account plus those in flight.
    reads.length = 0;
    const firstPage = await previewPolicy({ store, policy: defaultPolicy }, { proposed, all: false, limit: 1 }, NOW);
    expect(firstPage.accounts.map((a) => a.id)).toEqual([changed[0]]);
    expect(firstPage.summary.accounts).toBe(order.indexOf(changed[0]!) + 1);
    expect(reads.length).toBeLessThan(firstPage.summary.accounts + PREVIEW_CONCURRENCY);
    // With all=true and a limit, exactly `limit` partitions are read.
    reads.length = 0;
    const allPage = await previewPolicy({ store, policy: defaultPolicy }, { proposed, all: true, limit: 20 }, NOW);
    expect(allPage.accounts.map((a) => a.id)).toEqual(order.slice(0, 20));
    expect(reads).toHaveLength(20);
    const rest = await previewPolicy({ store, policy: defaultPolicy }, { proposed, all: true, limit: 200, cursor: allPage.nextCursor! }, NOW);
    expect(rest.accounts.map((a) => a.id)).toEqual(order.slice(20));
    expect(rest.summary.accounts).toBe(70);
    store.doc.destroy();
  });

  it('lists accounts by a Query of the account directory, never a Scan; an item written before the directory joins it at its next evaluation', async () => {
    const store = await createTestStore();
    const spec = {
      invoices: [{ finalizedDaysAgo: 100, dueAfterDays: 10, end: 'paid', endAfterDays: 5, failed: false, amount: 5_000 } as const],
      costs: [],
      contract: undefined,
    };
    const ids = await seed(store, [spec, spec, spec]);
    const commands: string[] = [];
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        commands.push(String((args.input as { IndexName?: string }).IndexName ?? ''));
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const sent: string[] = [];
    store.doc.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const page = await previewPolicy({ store, policy: defaultPolicy }, { proposed: defaultPolicy, all: true, limit: 50 }, NOW);
    expect(page.accounts.map((a) => a.id)).toEqual([...ids].sort());
    expect(sent).not.toContain('ScanCommand');
    expect(commands.filter((index) => index === 'gsi3')).toHaveLength(1);
    // An account item as written before the directory existed: no directory key.
    await store.doc.send(new UpdateCommand({ TableName: store.tableName, Key: accountKey(ids[1]!), UpdateExpression: 'REMOVE gsi3pk, gsi3sk' }));
    const before = await previewPolicy({ store, policy: defaultPolicy }, { proposed: defaultPolicy, all: true, limit: 50 }, NOW);
    expect(before.accounts.map((a) => a.id)).toEqual([ids[0], ids[2]]);
    await evaluateAccount({ store, policy: defaultPolicy }, ids[1]!, NOW);
    const after = await previewPolicy({ store, policy: defaultPolicy }, { proposed: defaultPolicy, all: true, limit: 50 }, NOW);
    expect(after.accounts.map((a) => a.id)).toEqual([...ids].sort());
    store.doc.destroy();
  });
});
