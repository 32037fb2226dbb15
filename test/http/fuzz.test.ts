import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { canonicalJson } from '../../shared/domain/canonical-json.ts';
import { buildOpenApiDocument } from '../../shared/http/openapi.ts';
import { allItems } from '../support/scan.ts';
import { daysBefore, invoiceEvents, signedDelivery } from '../support/stripe-events.ts';
import { startTestWatcher } from '../support/watcher.ts';
import { answerOf, expectDocumentedAnswer, fillPath, inlineRefs, operationsOf, type DocumentedOperation } from './openapi-operations.ts';
import { claimDelivery, markDeadLetter } from '../../shared/store/delivery.ts';

/**
 * Fuzzing over HTTP, generated from the OpenAPI document: random and hostile bodies for every
 * write (POST/PUT but the webhook, which its own tests cover), random query strings for every
 * list, random path parameters. Whatever comes in, the API never answers 5xx, answers only
 * what the document lists, and a 4xx leaves the table exactly as it was (a Scan compares
 * every item before and after).
 */
const doc = buildOpenApiDocument();
const operations = operationsOf(doc);
const writes = operations.filter((op) => (op.method === 'POST' || op.method === 'PUT') && op.key !== 'POST /webhooks/stripe');
const lists = operations.filter((op) => op.method === 'GET' && op.operation.parameters.some((p) => p.in === 'query'));
const withPathParams = operations.filter((op) => op.path.includes('{') && op.key !== 'POST /webhooks/stripe');

const RUNS = { write: 60, list: 60, path: 60 };

let watcher: RunningWatcher;
/** The table as last seen, canonical: compared after every 4xx. */
let snapshot: string;
const pathValues: Record<string, string> = { accountId: 'cus_fuzz' };
const outcomes = new Map<string, Set<number>>();
/** Next-page cursors the API issued, per list, with the query that got them: mutated below. */
const issuedCursors = new Map<string, Array<{ query: string; cursor: string }>>();

async function tableState(): Promise<string> {
  const items = await allItems(watcher.store);
  return items
    .map((item) => canonicalJson(item))
    .sort()
    .join('\n');
}

async function seed(method: string, path: string, body: unknown, expected: number) {
  const response = await fetch(`${watcher.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, `${method} ${path}`).toBe(expected);
  return (await response.json()) as any;
}

/** Two of everything every list shows, so each list has a second page and a cursor to take apart. */
async function seedStore() {
  const now = new Date();
  const inDays = (n: number) => new Date(now.getTime() + n * DAY).toISOString().slice(0, 10);
  for (const [i, customer] of ['cus_fuzz', 'cus_fuzz2'].entries()) {
    const stories = [200, 150, 100, 50].map((age, n) => ({
      customer,
      invoiceId: `in_${customer}_${n}`,
      finalizedAt: daysBefore(now, age + 30),
      dueAt: daysBefore(now, age),
      paidAt: daysBefore(now, age - 15),
    }));
    for (const event of stories.flatMap(invoiceEvents)) {
      const { body, signature } = signedDelivery(event, watcher.webhookSecret);
      const response = await fetch(`${watcher.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body,
      });
      expect(response.status).toBe(200);
    }
    await watcher.queue.drained();
    await seed('PUT', `/accounts/${customer}/contract`, { endDate: inDays(60 + 10 * i), noticeDays: 30, renewal: 'auto' }, 200);
    // An abusive signal opens a review now, with its notification.
    await seed('POST', `/accounts/${customer}/signals`, { signal: 'abusive', note: 'seed for the fuzz run' }, 201);
  }
  // Two calendar feeds, so their list pages too.
  for (const name of ['fuzz feed one', 'fuzz feed two']) await seed('POST', '/calendar-feeds', { name }, 201);
  // Two Slack messages given up on (no Slack runs in this watcher), so the dead-letter list pages too.
  for (const key of ['fuzz-a', 'fuzz-b']) {
    const outcome = await claimDelivery(watcher.store, { channel: 'slack', messageKey: key, now, leaseMs: 60_000, allowReclaim: true });
    await markDeadLetter(watcher.store, outcome.claim, now.toISOString(), 'seeded for the fuzz run');
  }
  for (const amount of [100, 200]) await seed('POST', '/accounts/cus_fuzz/costs', { amount, currency: 'usd', date: inDays(-1), category: 'other' }, 201);
  const tasks = await seed('GET', '/tasks?accountId=cus_fuzz', undefined, 200);
  expect(tasks.items.length).toBeGreaterThan(0);
  pathValues.taskId = tasks.items[0].id;
}

/** Asks each list for one item at a time, under each value of its required parameters, and keeps the cursors. */
async function collectCursors(op: DocumentedOperation) {
  const query = op.operation.parameters.filter((p) => p.in === 'query');
  let variants = [''];
  for (const p of query.filter((q) => q.required)) {
    const values = ((p.schema as Schema).enum ?? []).map(String);
    variants = variants.flatMap((v) => values.map((value) => `${v}&${p.name}=${value}`));
  }
  if (query.some((p) => p.name === 'accountId')) variants = [...variants, ...variants.map((v) => `${v}&accountId=cus_fuzz`)];
  const found: Array<{ query: string; cursor: string }> = [];
  for (const variant of variants) {
    const q = `limit=1${variant}`;
    const page = await seed('GET', `${fillPath(op.path, pathValues)}?${q}`, undefined, 200);
    if (typeof page.nextCursor === 'string') found.push({ query: q, cursor: page.nextCursor });
  }
  issuedCursors.set(op.key, found);
}

beforeAll(async () => {
  watcher = await startTestWatcher();
  await seedStore();
  for (const op of lists) await collectCursors(op);
  snapshot = await tableState();
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

interface Probe {
  path: string;
  query?: string;
  body?: string;
  contentType?: string;
}

/** Sends one request and checks the invariants; returns the status. */
async function probe(op: DocumentedOperation, request: Probe): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${watcher.apiToken}` };
  if (request.contentType) headers['content-type'] = request.contentType;
  const response = await fetch(`${watcher.url}${request.path}${request.query ? `?${request.query}` : ''}`, {
    method: op.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const answer = await answerOf(response);
  const shown = {
    ...request,
    body: request.body && request.body.length > 300 ? `${request.body.slice(0, 300)}… (${request.body.length} chars)` : request.body,
  };
  expect(answer.status, `${op.key} ${JSON.stringify(shown)} → ${answer.status} ${answer.text.slice(0, 500)}`).toBeLessThan(500);
  expectDocumentedAnswer(doc, op, answer, JSON.stringify(shown).slice(0, 400));
  const after = await tableState();
  // A refusal writes nothing; a read never writes.
  if (answer.status >= 400 || op.method === 'GET') expect(after, `${op.key} wrote on a ${answer.status}: ${JSON.stringify(shown)}`).toBe(snapshot);
  snapshot = after;
  (outcomes.get(op.key) ?? outcomes.set(op.key, new Set()).get(op.key)!).add(answer.status);
  return answer.status;
}

// ---- arbitraries, read from the document's JSON Schemas -------------------------------------

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
};

const PLAUSIBLE = ['usd', 'eur', 'USD', 'xyz', '', ' ', 'cus_fuzz', 'in_1', 'auto', 'fixed', 'support', 'retain', 'abusive', 'all', 'late_payer'];
// biome-ignore lint/suspicious/noTemplateCurlyInString: '${jndi:x}' is a hostile input on purpose, not a template
const HOSTILE = ['\u0000', '<script>alert(1)</script>', "' OR '1'='1", '💥🧨', 'null', 'NaN', '1e309', '__proto__', '../../etc/passwd', '\ud800', '${jndi:x}'];
const IMPOSSIBLE_DATES = [
  '2026-02-30',
  '2025-02-29',
  '2026-13-01',
  '2026-00-10',
  '2026-04-31',
  '0000-01-01',
  '0206-03-31',
  '9999-12-31',
  '1969-12-31',
  '2026-1-5',
  '20260105',
  '+002026-01-01',
  '2026-02-28T00:00:00Z',
];
const IMPOSSIBLE_TIMESTAMPS = [
  '2026-02-30T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:60:00Z',
  '2026-01-01T00:00:00',
  '2026-01-01T00:00:00+25:00',
  '2026-01-01',
  'yesterday',
  '0',
  '275760-09-13T00:00:00Z',
];
const DAY = 86_400_000;

const validDate = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
// Valid timestamps stay within weeks of today: the sweep reads one day at a time up to `now` (see the report).
const validTimestamp = fc.integer({ min: -20, max: 20 }).map((days) => new Date(Date.now() + days * DAY).toISOString());
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
const hugeString = fc.integer({ min: 2_000, max: 200_000 }).map((n) => 'é'.repeat(n));
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PLAUSIBLE) },
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const isType = (s: Schema, t: string) => s.type === t || (Array.isArray(s.type) && s.type.includes(t));

/** Values the schema describes, near its edges, and ones it does not (unknown enum values, impossible dates). */
function goodValue(s: Schema, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum)
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...s.enum) },
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...s.enum).map((v) => (typeof v === 'string' ? v.toUpperCase() : v)),
    );
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => goodValue(a, depth)));
  if (isType(s, 'object')) return objectValue(s, depth + 1);
  if (isType(s, 'array')) return fc.array(value(s.items ?? {}, depth + 1), { maxLength: Math.min((s.maxItems ?? 3) + 1, 4) });
  if (isType(s, 'integer') || isType(s, 'number')) {
    const edges = fc.constantFrom(0, -0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    const bounded = fc.integer({ min: Math.max(s.minimum ?? -1000, -(2 ** 31)), max: Math.min(s.maximum ?? 100_000, 2 ** 31) });
    return fc.oneof({ weight: 4, arbitrary: bounded }, edges, fc.double(), fc.integer());
  }
  if (isType(s, 'boolean')) return fc.boolean();
  if (isType(s, 'string')) {
    if (s.format === 'date' || s.pattern?.includes('\\d{4}')) return fc.oneof({ weight: 3, arbitrary: validDate }, fc.constantFrom(...IMPOSSIBLE_DATES), text);
    if (s.format === 'date-time') return fc.oneof({ weight: 3, arbitrary: validTimestamp }, fc.constantFrom(...IMPOSSIBLE_TIMESTAMPS), text);
    if (s.maxLength !== undefined)
      return fc.oneof(
        text,
        fc.integer({ min: Math.max(s.maxLength - 1, 0), max: s.maxLength + 1 }).map((n) => 'a'.repeat(n)),
      );
    return text;
  }
  return fc.jsonValue({ maxDepth: 2 });
}

function value(s: Schema, depth: number): fc.Arbitrary<unknown> {
  if (depth > 4) return fc.jsonValue({ maxDepth: 1 });
  return fc.oneof({ weight: 8, arbitrary: goodValue(s, depth) }, { weight: 1, arbitrary: wrongType }, { weight: 1, arbitrary: hugeString });
}

function objectValue(s: Schema, depth: number): fc.Arbitrary<unknown> {
  const properties = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, p]) => [k, value(p, depth)]));
  const required = (s.required ?? []).filter((k) => k in properties);
  const documented = fc.oneof(
    { weight: 4, arbitrary: fc.record(properties, { requiredKeys: required }) },
    { weight: 1, arbitrary: fc.record(properties, { requiredKeys: [] }) },
  );
  const withUnknownKey = fc
    .tuple(documented, fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }))
    .map(([o, k, v]) => ({ ...(o as object), [k]: v }));
  return fc.oneof({ weight: 5, arbitrary: documented }, withUnknownKey);
}

/** A JSON body: schema-guided, random JSON, random text, or over the size limit. */
function jsonBody(schema: Schema): fc.Arbitrary<{ body: string; contentType?: string }> {
  const json = (v: unknown) => JSON.stringify(v) ?? 'null';
  return fc.oneof(
    { weight: 6, arbitrary: value(schema, 0).map((v) => ({ body: json(v), contentType: 'application/json' })) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ body: json(v), contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.string(),
          fc.constantFrom('', 'null', '[]', '{', '"x"', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '1'.repeat(400)),
        )
        .map((body) => ({ body, contentType: 'application/json' })),
    },
    { weight: 1, arbitrary: value(schema, 0).map((v) => ({ body: json(v), contentType: 'text/plain' })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_050_000, max: 1_200_000 }).map((n) => ({ body: `{"note":"${'x'.repeat(n)}"}`, contentType: 'application/json' })),
    },
  );
}

const CSV_COLUMNS = [
  'accountId',
  'amount',
  'currency',
  'date',
  'category',
  'note',
  'idempotencyKey',
  'endDate',
  'noticeDays',
  'renewal',
  'renewalTermMonths',
  'bogus',
  '',
];
const csvCell = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('cus_fuzz', 'cus_csv', '1500', '-1', '2.5', 'usd', 'xyz', 'support', 'auto', 'fixed', '30', '12', '', '=cmd()') },
  validDate,
  fc.constantFrom(...IMPOSSIBLE_DATES),
  fc.string({ maxLength: 12 }),
);
const csvText = fc
  .tuple(fc.shuffledSubarray(CSV_COLUMNS, { minLength: 1 }), fc.array(fc.array(csvCell, { maxLength: 8 }), { maxLength: 6 }), fc.constantFrom('\n', '\r\n'))
  .map(([header, rows, eol]) => [header, ...rows].map((r) => r.join(',')).join(eol));

/** A CSV body: random CSV (good and bad rows), random text, sometimes the wrong media type. */
function csvBody(): fc.Arbitrary<{ body: string; contentType?: string }> {
  return fc.oneof(
    { weight: 6, arbitrary: csvText.map((body) => ({ body, contentType: 'text/csv' })) },
    { weight: 1, arbitrary: fc.string().map((body) => ({ body, contentType: 'text/csv; charset=utf-8' })) },
    { weight: 1, arbitrary: csvText.map((body) => ({ body, contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.constant({ body: '' }) },
  );
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Cursors: random text, and forged ones that look like what the API issues. */
const cursor = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ minLength: 2040, maxLength: 2100 }),
  fc
    .tuple(
      fc.constantFrom('', 'open.', 'scheduled.', 'decided.', 'bogus.'),
      fc.dictionary(
        fc.constantFrom('pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'x'),
        fc.oneof(
          fc.constantFrom('NOTIFS', 'RENEWALS', 'FLAG#late_payer', 'ACCT#cus_fuzz', 'TASKS#open', 'TASKS#scheduled', 'COST#', 'AUDIT#', ''),
          fc.string({ maxLength: 10 }),
          fc.integer(),
        ),
        { minKeys: 1, maxKeys: 4 },
      ),
    )
    .map(([prefix, key]) => `${prefix}${base64url(key)}`),
);

/** An issued cursor taken apart: a key dropped, a value changed, a key added, or the status prefix swapped. */
function mutatedCursor(issued: string): fc.Arbitrary<string> {
  const dot = issued.indexOf('.');
  const [prefix, encoded] = dot >= 0 ? [issued.slice(0, dot + 1), issued.slice(dot + 1)] : ['', issued];
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return fc.constant(issued);
  }
  const names = Object.keys(key);
  if (names.length === 0) return fc.constant(issued);
  const drop = fc
    .subarray(names, { minLength: 1, maxLength: Math.max(1, names.length - 1) })
    .map((gone) => Object.fromEntries(Object.entries(key).filter(([k]) => !gone.includes(k))));
  const change = fc
    .tuple(fc.constantFrom(...names), fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.constant({ S: 'x' })))
    .map(([k, v]) => ({ ...key, [k]: v }));
  const add = fc.tuple(fc.constantFrom('pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'zz'), fc.string({ maxLength: 12 })).map(([k, v]) => ({ ...key, [k]: v }));
  const otherPrefix = fc.constantFrom('', 'open.', 'scheduled.', 'decided.', 'cancelled.', 'x.');
  return fc
    .tuple(fc.oneof(fc.constant(prefix), otherPrefix), fc.oneof({ weight: 3, arbitrary: drop }, change, add, fc.constant(key)))
    .map(([p, k]) => `${p}${base64url(k)}`);
}

/** Deterministic cases run first: each issued cursor with one of its keys removed. */
function cursorExamples(op: DocumentedOperation): Array<[string]> {
  return (issuedCursors.get(op.key) ?? []).flatMap(({ query, cursor }) => {
    const dot = cursor.indexOf('.');
    const [prefix, encoded] = dot >= 0 ? [cursor.slice(0, dot + 1), cursor.slice(dot + 1)] : ['', cursor];
    const key = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
    return Object.keys(key).map((gone): [string] => {
      const { [gone]: _dropped, ...rest } = key;
      return [`${query}&cursor=${encode(`${prefix}${base64url(rest)}`)}`];
    });
  });
}

function queryValue(param: { name: string; schema: Schema }): fc.Arbitrary<string> {
  const s = param.schema;
  const numeric = fc.constantFrom('0', '-1', '1', '50', '200', '201', '1e3', '0x10', ' 5', '5.0', '5.5', '', 'NaN', 'Infinity', '9'.repeat(400));
  const options: Array<fc.Arbitrary<string>> = [
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...HOSTILE),
    fc.integer({ min: 3000, max: 6000 }).map((n) => 'q'.repeat(n)),
  ];
  if (param.name === 'cursor') options.push(cursor, cursor);
  if (isType(s, 'integer') || isType(s, 'number')) options.push(numeric, fc.integer({ min: -5, max: 4000 }).map(String));
  if (s.enum) options.push(fc.constantFrom(...s.enum.map(String)), fc.constantFrom(...s.enum.map(String)));
  const alternatives = s.anyOf ?? [s];
  if (alternatives.some((a) => a.format === 'date' || a.format === 'date-time' || a.pattern?.includes('\\d{4}'))) {
    options.push(validDate, validTimestamp, fc.constantFrom(...IMPOSSIBLE_DATES, ...IMPOSSIBLE_TIMESTAMPS));
  }
  if (param.name === 'accountId') options.push(fc.constantFrom('cus_fuzz', 'cus_x', 'bad id', 'a'.repeat(256)));
  return fc.oneof(...options);
}

/** encodeURIComponent, with lone surrogates (which it refuses) replaced. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
}

function queryString(op: DocumentedOperation): fc.Arbitrary<string> {
  const params = op.operation.parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema as Schema }));
  const documented = fc.constantFrom(...params).chain((p) => queryValue(p).map((v) => [p.name, v] as const));
  const unknown = fc.tuple(
    fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')),
    fc.string({ maxLength: 10 }),
  );
  const pairs = fc.array(fc.oneof({ weight: 5, arbitrary: documented }, { weight: 1, arbitrary: unknown }), { maxLength: 6 });
  const encoded = (ps: ReadonlyArray<readonly [string, string]>) => ps.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const issued = issuedCursors.get(op.key) ?? [];
  // Node's HTTP server refuses request lines beyond 16 KB itself (431): stay under it.
  return fc.oneof(
    { weight: 6, arbitrary: pairs.map(encoded).filter((q) => q.length <= 12_000) },
    // Raw, unencoded text: stray %, &, =, and non-ASCII as they come.
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw) => raw.replaceAll('#', '%23')) },
    // The query that got a real cursor, with the cursor tampered with.
    ...(issued.length > 0
      ? [{ weight: 3, arbitrary: fc.constantFrom(...issued).chain(({ query, cursor }) => mutatedCursor(cursor).map((c) => `${query}&cursor=${encode(c)}`)) }]
      : []),
  );
}

function requestBodySchema(op: DocumentedOperation): { kind: 'json'; schema: Schema } | { kind: 'csv' } | undefined {
  const content = op.operation.requestBody?.content;
  if (!content) return undefined;
  if (content['application/json']) return { kind: 'json', schema: inlineRefs(doc, content['application/json'].schema) as Schema };
  return { kind: 'csv' };
}

const runOptions = (numRuns: number) => ({ numRuns, endOnFailure: true });

describe('fuzzing the API over HTTP', () => {
  it('has write and list routes to fuzz, and a real cursor of every list to tamper with', () => {
    expect(writes.length).toBeGreaterThanOrEqual(8);
    expect(lists.length).toBeGreaterThanOrEqual(5);
    for (const op of lists) expect(issuedCursors.get(op.key)?.length ?? 0, op.key).toBeGreaterThan(0);
  });

  it.each(writes.map((op) => [op.key, op] as const))(
    'bodies of %s: never 5xx, only documented answers, no write on 4xx',
    async (_key, op) => {
      const body = requestBodySchema(op)!;
      const path = fillPath(op.path, pathValues);
      const bodies = body.kind === 'json' ? jsonBody(body.schema) : csvBody();
      await fc.assert(
        fc.asyncProperty(bodies, async (request) => {
          await probe(op, { path, ...request });
        }),
        runOptions(RUNS.write),
      );
    },
    60_000,
  );

  it.each(lists.map((op) => [op.key, op] as const))(
    'query strings of %s: never 5xx, only documented answers, no write',
    async (_key, op) => {
      const path = fillPath(op.path, pathValues);
      await fc.assert(
        fc.asyncProperty(queryString(op), async (query) => {
          await probe(op, { path, query });
        }),
        { ...runOptions(RUNS.list), examples: cursorExamples(op) },
      );
    },
    60_000,
  );

  it('path parameters of every route that has them: never 5xx, only documented answers, no write on 4xx', async () => {
    const segment = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .string({ minLength: 1, maxLength: 40 })
          .filter((s) => s !== '.' && s !== '..')
          .map(encode),
      },
      {
        weight: 1,
        arbitrary: fc
          .string({ unit: 'binary', minLength: 1, maxLength: 20 })
          .filter((s) => s !== '.' && s !== '..')
          .map(encode),
      },
      { weight: 1, arbitrary: fc.constantFrom('%zz', '%E0%A4%A', '%', 'a%00b', '%2F', 'cus_x~r1', 'x'.repeat(1000), 'cus.x', 'CUS_FUZZ') },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withPathParams), segment, async (op, raw) => {
        const path = op.path.replace(/\{(\w+)\}/g, raw);
        const schema = requestBodySchema(op);
        // A body the route may accept, so a bad path is what gets judged.
        const body = schema?.kind === 'json' ? { body: '{}', contentType: 'application/json' } : {};
        await probe(op, { path, ...body });
      }),
      runOptions(RUNS.path),
    );
  }, 60_000);

  it('reached both the handlers’ writes and their refusals', () => {
    const seen = [...outcomes.values()].flatMap((s) => [...s]);
    expect(seen.some((s) => s >= 200 && s < 300)).toBe(true);
    expect(seen.some((s) => s >= 400 && s < 500)).toBe(true);
    for (const op of writes) expect(outcomes.get(op.key)?.size ?? 0, op.key).toBeGreaterThan(0);
  });
});
