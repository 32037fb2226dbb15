import { defaultPolicy } from '../shared/config/policy.ts';
import { bearerTokenAuthenticator } from '../shared/http/auth.ts';
import { apiHandlers } from '../shared/http/api.ts';
import { createHttpApp } from '../shared/http/app.ts';
import { getAccount } from '../shared/store/account.ts';
import { createStore } from '../shared/store/client.ts';
import { apiEvent } from '../test/support/http.ts';
import { DynamoMeter } from './meter.ts';
import { renewalAccountTemplate, seedNotDue } from './seed.ts';
import { prepareSweep, sweepOnce } from './sweep.ts';

const DAY_MS = 86_400_000;
const TOKEN = 'bench-lists';

/**
 * `listReadRatio`: the read units of the list queries the dashboard and the API make, on a table
 * of `large` accounts ÷ on one of `small`, with the same result set. Each table holds the sweep
 * phase's due set (20 accounts through the processor; the sweep opens the late payers' reviews,
 * whose contracts' notice deadlines fall within 90 days), a scheduled review for one account in
 * ten, and the rest evaluated accounts with no flag whose notice deadline lies 120-450 days out
 * (on the renewals index, outside every window asked). The queries go through the API's router
 * as the dashboard sends them; the queue's first page (`status=scheduled`, the queue's second
 * section) holds 50 items in both tables, different ones.
 */
export const LIST_QUERIES: ReadonlyArray<{ name: string; query: Record<string, string>; path: string; sameItems: boolean }> = [
  { name: 'open reviews', path: '/tasks', query: { status: 'open' }, sameItems: true },
  { name: 'late payers', path: '/accounts', query: { flag: 'late_payer' }, sameItems: true },
  { name: 'renewals in 90 days', path: '/renewals', query: { withinDays: '90' }, sameItems: true },
  { name: "queue's first page of scheduled reviews", path: '/tasks', query: { status: 'scheduled', limit: '50' }, sameItems: false },
];

export interface ListTable {
  accounts: number;
  seedMs: number;
  /** Per query: read units, requests and the ids answered. */
  queries: Array<{ name: string; readUnits: number; reads: number; scans: number; ids: string[] }>;
}

export interface ListsBenchResult {
  small: ListTable;
  large: ListTable;
  readRatio: number;
  sameResultSet: boolean;
  scans: number;
}

async function listTable(endpoint: string, accounts: number, now: Date): Promise<ListTable> {
  const started = performance.now();
  const scheduled = Math.ceil(accounts / 10);
  const prepared = await prepareSweep(endpoint, { notDue: scheduled, dueAccounts: 20, now });
  const tableName = prepared.store.tableName;
  await sweepOnce(prepared);
  const store = createStore({ tableName, endpoint });
  try {
    const sample = await getAccount(store, 'cus_due1');
    const rest = accounts - 20 - prepared.notDueAccounts;
    await seedNotDue(
      store,
      [
        await renewalAccountTemplate(
          store,
          sample?.summary ?? { latePayment: { invoiceCount: 0, lateInvoices: 0, maxDaysOverdue: 0, defaults: 0, reasons: [] }, profitability: [] },
          now,
        ),
      ],
      {
        count: rest,
        now,
        seed: 9,
        offset: 1_000_000,
        instant: (from, rand) => new Date(from.getTime() + (120 + Math.floor(rand() * 330)) * DAY_MS),
      },
    );
    const seedMs = performance.now() - started;
    const meter = new DynamoMeter().attach(store);
    const app = createHttpApp({
      handlers: apiHandlers({ store, policy: defaultPolicy, clock: () => prepared.sweepNow }),
      fns: ['api'],
      includeLocalOnly: false,
      authenticate: bearerTokenAuthenticator(TOKEN),
    });
    const queries: ListTable['queries'] = [];
    for (const q of LIST_QUERIES) {
      const answer = await meter.run(q.name, () =>
        app(apiEvent({ method: 'GET', path: q.path, query: q.query, headers: { authorization: `Bearer ${TOKEN}` } })),
      );
      if (answer.statusCode !== 200)
        throw new Error(`${q.path}?${new URLSearchParams(q.query)} answered ${answer.statusCode}: ${String(answer.body).slice(0, 200)}`);
      const items = (JSON.parse(String(answer.body)) as { items: Array<{ id?: string; accountId?: string }> }).items;
      const t = meter.totals((label) => label === q.name);
      queries.push({ name: q.name, readUnits: t.readUnits, reads: t.reads, scans: t.scans, ids: items.map((i) => i.id ?? i.accountId ?? '').sort() });
    }
    return { accounts, seedMs, queries };
  } finally {
    store.doc.destroy();
  }
}

export async function measureLists(endpoint: string, options: { small: number; large: number; now: Date }): Promise<ListsBenchResult> {
  const small = await listTable(endpoint, options.small, options.now);
  const large = await listTable(endpoint, options.large, options.now);
  const units = (t: ListTable) => t.queries.reduce((n, q) => n + q.readUnits, 0);
  const sameResultSet = LIST_QUERIES.every((q, i) => {
    const a = small.queries[i]!.ids;
    const b = large.queries[i]!.ids;
    return q.sameItems ? a.length > 0 && a.join() === b.join() : a.length === b.length && a.length > 0;
  });
  return {
    small,
    large,
    readRatio: units(large) / units(small),
    sameResultSet,
    scans: [...small.queries, ...large.queries].reduce((n, q) => n + q.scans, 0),
  };
}
