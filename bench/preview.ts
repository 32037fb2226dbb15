import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { defaultPolicy, parsePolicy } from '../shared/config/policy.ts';
import { loadAccountPartition } from '../shared/store/account.ts';
import type { Store } from '../shared/store/client.ts';
import { applyStripeEvent } from '../shared/usecases/apply-stripe-event.ts';
import { evaluateAccount } from '../shared/usecases/evaluate-account.ts';
import { PREVIEW_CONCURRENCY, previewPolicy } from '../shared/usecases/policy-preview.ts';
import { epoch, fixture, invoiceEvents, stripeEvent } from '../test/support/stripe-events.ts';
import { createBenchStore } from './dynamo.ts';
import { runPool } from './ingest.ts';
import { batchPut } from './seed.ts';
import { median } from './stats.ts';

const DAY_MS = 86_400_000;
/** Template accounts, written once through the product, then copied with the id replaced. */
const TEMPLATES = ['cus_PVTEMPLATEA000', 'cus_PVTEMPLATEB000'] as const;
/** Flagged under the defaults (three invoices 5 days late), cleared by this proposal. */
const PROPOSAL = parsePolicy({ graceDays: 7, latePayer: { minLateInvoices: 2 } });

export interface PreviewBenchResult {
  accounts: number;
  items: number;
  seedMs: number;
  rounds: Array<{ readMs: number; previewMs: number }>;
  readMs: number;
  previewMs: number;
  /** Median over rounds of preview time ÷ read time, each round timing both in turn. */
  ratio: number;
  requests: number;
  changed: number;
}

/**
 * `previewVsReadRatio` (issue 22): the policy preview over `accounts` accounts (every page, as a
 * client following nextCursor) ÷ reading the same partitions alone (the evaluation's Query per
 * account, the same concurrency), in the same run on the same table, alternating, after a
 * warm-up of each. The preview's extra cost is listing the accounts and applying the rules twice.
 */
export async function measurePreview(endpoint: string, options: { accounts: number; rounds: number; now: Date }): Promise<PreviewBenchResult> {
  const store = await createBenchStore(endpoint, 'preview');
  try {
    const seeded = await seedAccounts(endpoint, store, options.accounts, options.now);
    const ids = Array.from({ length: options.accounts }, (_, n) => accountIdOf(n));
    const readAll = () =>
      runPool(ids.length, PREVIEW_CONCURRENCY, async (i) => {
        await loadAccountPartition(store, ids[i]!);
      });
    let requests = 0;
    let changed = 0;
    const previewAll = async () => {
      const started = performance.now();
      let cursor: string | undefined;
      requests = 0;
      changed = 0;
      do {
        const page = await previewPolicy(
          { store, policy: defaultPolicy },
          { proposed: PROPOSAL, all: false, limit: 200, ...(cursor ? { cursor } : {}) },
          options.now,
        );
        requests++;
        changed += page.accounts.length;
        cursor = page.nextCursor;
        if (!cursor && page.summary.accounts !== options.accounts)
          throw new Error(`the preview examined ${page.summary.accounts} of ${options.accounts} accounts`);
      } while (cursor);
      return performance.now() - started;
    };
    await readAll();
    await previewAll();
    const rounds: Array<{ readMs: number; previewMs: number }> = [];
    for (let r = 0; r < options.rounds; r++) {
      // Alternate which goes first, so neither always meets a warmer DynamoDB Local.
      if (r % 2 === 0) {
        const readMs = await readAll();
        rounds.push({ readMs, previewMs: await previewAll() });
      } else {
        const previewMs = await previewAll();
        rounds.push({ readMs: await readAll(), previewMs });
      }
    }
    if (changed !== Math.ceil(options.accounts / 2))
      throw new Error(`expected ${Math.ceil(options.accounts / 2)} changed accounts, the preview listed ${changed}`);
    return {
      accounts: options.accounts,
      items: seeded.items,
      seedMs: seeded.ms,
      rounds,
      readMs: median(rounds.map((r) => r.readMs)),
      previewMs: median(rounds.map((r) => r.previewMs)),
      ratio: median(rounds.map((r) => r.previewMs / r.readMs)),
      requests,
      changed,
    };
  } finally {
    store.doc.destroy();
  }
}

const accountIdOf = (n: number) => `cus_pv${String(n).padStart(9, '0')}`;

/**
 * Two template accounts through the processor (customer, six invoices over the last half year;
 * A pays three of them 5 days late, B on time) and evaluated, then `count` copies (even ones of A,
 * odd ones of B) written with BatchWriteItem: no key string is built here.
 */
async function seedAccounts(endpoint: string, store: Store, count: number, now: Date): Promise<{ items: number; ms: number }> {
  const scratch = await createBenchStore(endpoint, 'preview-templates');
  try {
    return await copyTemplates(scratch, store, count, now);
  } finally {
    scratch.doc.destroy();
  }
}

async function copyTemplates(scratch: Store, store: Store, count: number, now: Date): Promise<{ items: number; ms: number }> {
  const deps = { store: scratch, policy: defaultPolicy };
  const appliedAt = new Date(now.getTime() - DAY_MS);
  for (const [t, customer] of TEMPLATES.entries()) {
    await applyStripeEvent(
      deps,
      stripeEvent('customer.created', { ...fixture('customer'), id: customer, name: `Template ${t}`, metadata: {} }, epoch(now) - 300 * 86_400),
      appliedAt,
    );
    for (let m = 0; m < 6; m++) {
      const finalizedAt = new Date(now.getTime() - (200 - m * 30) * DAY_MS);
      const dueAt = new Date(finalizedAt.getTime() + 30 * DAY_MS);
      const paidAt = new Date(dueAt.getTime() + (t === 0 && m < 3 ? 5 : -2) * DAY_MS);
      for (const event of invoiceEvents({ customer, invoiceId: `in_${customer}x${m}`, amount: 50_000, finalizedAt, dueAt, paidAt }))
        await applyStripeEvent(deps, event, appliedAt);
    }
    await evaluateAccount(deps, customer, now);
  }
  // The templates' items (a bench-only Scan of the scratch table).
  const templateItems: Array<Array<Record<string, unknown>>> = TEMPLATES.map(() => []);
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await scratch.doc.send(new ScanCommand({ TableName: scratch.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const t = TEMPLATES.findIndex((id) => JSON.stringify(item).includes(id));
      if (t >= 0) templateItems[t]!.push(item);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const texts = templateItems.map((items) => JSON.stringify(items));
  const copies = (n: number) => JSON.parse(texts[n % 2]!.replaceAll(TEMPLATES[n % 2]!, accountIdOf(n))) as Array<Record<string, unknown>>;
  const perBatch = Math.max(1, Math.floor(25 / Math.max(...templateItems.map((i) => i.length))));
  let items = 0;
  const ms = await runPool(Math.ceil(count / perBatch), 16, async (b) => {
    const writes: Array<Record<string, unknown>> = [];
    for (let n = b * perBatch; n < Math.min(count, (b + 1) * perBatch); n++) writes.push(...copies(n));
    items += writes.length;
    await batchPut(store, writes);
  });
  return { items, ms };
}
