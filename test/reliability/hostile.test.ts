import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { SpoolQueue } from '../../local/spool-queue.ts';
import { bearerTokenAuthenticator } from '../../shared/http/auth.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { routes } from '../../shared/http/routes.ts';
import { webhookHandlers } from '../../shared/http/webhook-routes.ts';
import type { Store } from '../../shared/store/client.ts';
import { stripeEventSchema } from '../../shared/stripe/events.ts';
import { MAX_WEBHOOK_BYTES } from '../../shared/usecases/receive-stripe-event.ts';
import { apiEvent } from '../support/http.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, signedDelivery, stripeEvent } from '../support/stripe-events.ts';
import { startTestWatcher } from '../support/watcher.ts';

/**
 * Hostile input (issue 9). What the other suites already cover is not repeated here:
 * - test/http/fuzz.test.ts fuzzes every API write route (POST/PUT) from the OpenAPI document —
 *   schema-shaped and hostile JSON, CSV, >1 MB bodies, path and query tampering — and asserts no
 *   5xx, only documented answers, and an unchanged table after every 4xx;
 * - test/http/webhook.test.ts has one example of each webhook refusal and one oversize body.
 * Added here: 1,000 fast-check-generated webhook deliveries (bodies and headers) that must all be
 * refused with 400 leaving the table and the queue empty; proof that oversize bodies are refused
 * before anything is parsed (or the secret even fetched), in-process and over the local HTTP
 * adapter; and raw binary bodies on every API write route over HTTP (never 5xx, nothing written).
 */
const now = new Date('2026-11-22T12:00:00Z');
const SECRET = 'whsec_reliability_hostile';

let store: Store;
let queue: SpoolQueue;
let app: ReturnType<typeof createHttpApp>;
let secretFetches = 0;

beforeAll(async () => {
  store = await createTestStore();
  queue = new SpoolQueue();
  app = createHttpApp({
    handlers: webhookHandlers({
      store,
      queue,
      webhookSecret: async () => {
        secretFetches++;
        return SECRET;
      },
      clock: () => now,
    }),
    fns: ['webhook'],
    includeLocalOnly: false,
    authenticate: bearerTokenAuthenticator('unused'),
  });
});

afterAll(() => store?.doc.destroy());

const validEvent = () => stripeEvent('invoice.finalized', { ...fixture('invoice'), id: 'in_hostile', customer: 'cus_hostile' }, epoch(now) - 10, 'evt_hostile');
const validBody = JSON.stringify(validEvent());

function isStripeEvent(body: string): boolean {
  try {
    return stripeEventSchema.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
}

// ---- bodies ------------------------------------------------------------------------------------

/** A valid event with one thing broken that the envelope schema must catch. */
const brokenEvent: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('id', 'object', 'type', 'created', 'data', 'data.object', 'data.object.object'),
    fc.oneof(
      fc.constant<unknown>(undefined),
      fc.jsonValue(),
      fc.constantFrom<unknown>('in_not_an_event', 'event ', -1, 0, 1.5, '1700000000', null, [], '', 'x'.repeat(200)),
    ),
  )
  .map(([path, value]) => {
    const event = validEvent() as unknown as Record<string, any>;
    const keys = path.split('.');
    const last = keys.pop()!;
    const parent = keys.reduce((o, k) => o[k], event);
    if (value === undefined) delete parent[last];
    else parent[last] = value;
    return JSON.stringify(event);
  });

const HOSTILE_BODIES = [
  '',
  ' ',
  'null',
  '{}',
  '[]',
  '"evt_1"',
  '{"__proto__":{"object":"event"}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '['.repeat(200_000),
  '{"a":'.repeat(50_000),
  '\u0000\u0001\u0002',
  `\ufeff${validBody}`, // a BOM before valid JSON is not JSON
  validBody.slice(0, -1),
  `${validBody}x`,
  `${validBody}\n${validBody}`,
];

interface Body {
  text: string;
  /** Raw bytes, sent base64-encoded. */
  base64?: Buffer;
}

/** Bodies that are not one valid Stripe event (checked: the oracle is the envelope schema). */
const badBody: fc.Arbitrary<Body> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 400 }).map((text): Body => ({ text })) },
    { weight: 3, arbitrary: fc.jsonValue().map((v): Body => ({ text: JSON.stringify(v) ?? 'null' })) },
    { weight: 4, arbitrary: brokenEvent.map((text): Body => ({ text })) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_BODIES).map((text): Body => ({ text })) },
    // Raw bytes, handed over base64-encoded as API Gateway does for binary content.
    {
      weight: 2,
      arbitrary: fc.uint8Array({ maxLength: 600 }).map((bytes): Body => ({ text: Buffer.from(bytes).toString('latin1'), base64: Buffer.from(bytes) })),
    },
  )
  .filter(({ text, base64 }) => !isStripeEvent(base64 ? base64.toString('utf8') : text));

/** Any body, a valid event included: used where the signature alone must refuse it. */
const anyBody: fc.Arbitrary<Body> = fc.oneof(fc.constant<Body>({ text: validBody }), badBody);

// ---- signatures --------------------------------------------------------------------------------

const hex = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b).toString('hex'));
const t = epoch(now);

/** A Stripe-Signature header that must not verify for `body` (or no header at all). */
function badSignature(body: string): fc.Arbitrary<string | undefined> {
  return fc
    .oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        '',
        't=',
        'v1=',
        't=,v1=',
        `t=${t}`,
        `v1=${'0'.repeat(64)}`,
        't=abc,v1=zzz',
        `t=${t},v0=${'a'.repeat(64)}`,
        `t=${t},v1=${'a'.repeat(64)}`,
        't=-1,v1=',
        `t=${'9'.repeat(400)},v1=00`,
      ),
      fc.tuple(fc.integer(), hex).map(([ts, h]) => `t=${ts},v1=${h}`),
      // Real signatures that must still fail: another secret, too old. (A future timestamp with the
      // right secret passes, as in Stripe's SDK: only the secret's holder can make one.)
      fc.constant(signedDelivery(JSON.parse(validBody), 'whsec_someone_else', t).signature),
      fc.integer({ min: 301, max: 10_000_000 }).map((age) => signedDelivery(JSON.parse(validBody), SECRET, t - age).signature),
      // A real, fresh signature of the valid event with something appended: right for that body only.
      fc.string({ minLength: 1, maxLength: 30 }).map((other) => signedFor(validBody) + other),
    )
    .filter((header) => header === undefined || !verifies(body, header));
}

/**
 * Whether the header would pass Stripe's check (the generators above must never produce one that
 * does). Parsed as the SDK parses it: pairs split on `,`, each split on `=` with the second part
 * taken (so `v1=<hex>=junk` carries `<hex>`), `t` read with parseInt; any future timestamp passes.
 */
function verifies(body: string, header: string): boolean {
  let ts = -1;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const kv = item.split('=');
    if (kv[0] === 't') ts = parseInt(kv[1] ?? '', 10);
    if (kv[0] === 'v1' && kv[1] !== undefined) signatures.push(kv[1]);
  }
  if (Number.isNaN(ts) || ts === -1 || t - ts > 300) return false;
  return signatures.includes(hmac(`${ts}.${body}`));
}

/** Headers around the signature: random names and values, content types. */
const extraHeaders = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom('content-type', 'content-length', 'x-forwarded-for', 'user-agent', 'stripe-signature-2', 'authorization'),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    ),
    fc.string({ maxLength: 100 }),
    { maxKeys: 4 },
  )
  .map((h) => {
    delete h['stripe-signature'];
    return h;
  });

/** A fresh, correct signature over the body (Stripe's SDK checks the body decoded as UTF-8). */
const signedFor = (text: string) => `t=${t},v1=${hmac(`${t}.${text}`)}`;
const hmac = (payload: string) => createHmac('sha256', SECRET).update(payload).digest('hex');

async function deliverRaw(body: Body, headers: Record<string, string>) {
  const event = apiEvent({ method: 'POST', path: '/webhooks/stripe', body: body.text, headers });
  if (body.base64) {
    // The exact bytes, as API Gateway hands binary content over.
    event.body = body.base64.toString('base64');
    event.isBase64Encoded = true;
  }
  const result = await app(event);
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? '{}') as { error?: { code: string; message: string } } };
}

describe('1,000 fuzzed webhook deliveries', () => {
  const seen = { missing_signature: 0, invalid_signature: 0, malformed_event: 0 } as Record<string, number>;
  let deliveries = 0;

  it('are all refused with 400 and a named reason, and nothing is stored or queued', async () => {
    const unsigned = anyBody.chain((body) =>
      fc.record({ body: fc.constant(body), signature: badSignature(body.base64 ? body.base64.toString('utf8') : body.text), headers: extraHeaders }),
    );
    // Correctly signed over the exact bytes, but not a Stripe event: only the envelope check stands.
    const signedGarbage = fc.record({ body: badBody, headers: extraHeaders }).map(({ body, headers }) => ({
      body,
      signature: signedFor(body.base64 ? body.base64.toString('utf8') : body.text),
      headers,
    }));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(unsigned, signedGarbage),
        fc.constantFrom('stripe-signature', 'Stripe-Signature', 'STRIPE-SIGNATURE'),
        async ({ body, signature, headers }, name) => {
          const result = await deliverRaw(body, { ...headers, ...(signature === undefined ? {} : { [name]: signature }) });
          expect(result.status, JSON.stringify({ body: body.text.slice(0, 200), signature })).toBe(400);
          expect(['missing_signature', 'invalid_signature', 'malformed_event']).toContain(result.body.error?.code);
          expect(result.body.error?.message).toEqual(expect.any(String));
          seen[result.body.error!.code] = (seen[result.body.error!.code] ?? 0) + 1;
          expect(queue.depth).toBe(0);
          // A refusal that wrote would stay written: a scan every 25 deliveries and one at the end
          // catch it (and name the neighbourhood) without 1,000 scans.
          if (++deliveries % 25 === 0) expect(await allItems(store)).toEqual([]);
        },
      ),
      { numRuns: 1_000 },
    );
    expect(deliveries).toBeGreaterThanOrEqual(1_000);
    expect(await allItems(store)).toEqual([]);
    // Every refusal path was reached, so none of them can regress unnoticed.
    expect(seen.missing_signature).toBeGreaterThan(10);
    expect(seen.invalid_signature).toBeGreaterThan(100);
    expect(seen.malformed_event).toBeGreaterThan(100);
  }, 120_000);

  it('the same harness accepts a valid delivery (so the refusals above are not a broken harness)', async () => {
    const local = await createTestStore();
    try {
      const localQueue = new SpoolQueue();
      const accepting = createHttpApp({
        handlers: webhookHandlers({ store: local, queue: localQueue, webhookSecret: async () => SECRET, clock: () => now }),
        fns: ['webhook'],
        includeLocalOnly: false,
        authenticate: bearerTokenAuthenticator('unused'),
      });
      const result = await accepting(
        apiEvent({ method: 'POST', path: '/webhooks/stripe', body: validBody, headers: { 'stripe-signature': signedFor(validBody) } }),
      );
      expect(result.statusCode).toBe(200);
      expect(localQueue.depth).toBe(1);
      expect(await allItems(local)).toHaveLength(1);
    } finally {
      local.doc.destroy();
    }
  });
});

describe('oversize webhook bodies are refused before parsing', () => {
  let parse: { mock: { calls: unknown[][] }; mockRestore(): void };
  /** Lengths of every text JSON.parse was handed since the spy went on. */
  const parsedSizes = () => parse.mock.calls.map(([text]) => String(text).length);

  beforeEach(() => {
    parse = vi.spyOn(JSON, 'parse');
    return () => parse.mockRestore();
  });

  it('any body over the limit — signed or not, JSON or not — gets 413 without the secret fetched or the body parsed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MAX_WEBHOOK_BYTES + 1, max: MAX_WEBHOOK_BYTES + 300_000 }),
        fc.constantFrom('signed event', 'unsigned event', 'garbage', 'deep nesting', 'multibyte'),
        fc.boolean(),
        async (size, kind, base64) => {
          const padded = (() => {
            if (kind === 'garbage') return 'x'.repeat(size);
            if (kind === 'deep nesting') return '['.repeat(size);
            // 'é' is two bytes: the limit is on bytes, not characters.
            if (kind === 'multibyte') return 'é'.repeat(Math.ceil(size / 2));
            const event = { ...validEvent(), padding: '' };
            event.padding = 'p'.repeat(Math.max(0, size - JSON.stringify(event).length));
            return JSON.stringify(event);
          })();
          expect(Buffer.byteLength(padded)).toBeGreaterThan(MAX_WEBHOOK_BYTES);
          const headers: Record<string, string> =
            kind === 'signed event' ? { 'stripe-signature': signedFor(padded) } : kind === 'unsigned event' ? {} : { 'stripe-signature': 't=1,v1=00' };
          const fetchesBefore = secretFetches;
          const result = await deliverRaw(base64 ? { text: padded, base64: Buffer.from(padded) } : { text: padded }, headers);
          expect(result.status).toBe(413);
          expect(result.body.error?.code).toBe('payload_too_large');
          expect(secretFetches).toBe(fetchesBefore);
          expect(parsedSizes().filter((n) => n > MAX_WEBHOOK_BYTES / 2)).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
    expect(queue.depth).toBe(0);
    expect(await allItems(store)).toEqual([]);
  }, 60_000);

  it('a body exactly at the limit is still read (the limit is not off by one)', async () => {
    const event = { ...validEvent(), id: 'evt_hostile_at_limit', padding: '' };
    event.padding = 'p'.repeat(MAX_WEBHOOK_BYTES - JSON.stringify(event).length);
    const body = JSON.stringify(event);
    expect(Buffer.byteLength(body)).toBe(MAX_WEBHOOK_BYTES);
    const local = await createTestStore();
    try {
      const accepting = createHttpApp({
        handlers: webhookHandlers({ store: local, queue: new SpoolQueue(), webhookSecret: async () => SECRET, clock: () => now }),
        fns: ['webhook'],
        includeLocalOnly: false,
        authenticate: bearerTokenAuthenticator('unused'),
      });
      const result = await accepting(apiEvent({ method: 'POST', path: '/webhooks/stripe', body, headers: { 'stripe-signature': signedFor(body) } }));
      expect(result.statusCode).toBe(200);
    } finally {
      local.doc.destroy();
    }
  });
});

describe('over the local HTTP adapter', () => {
  let watcher: RunningWatcher;
  let before: string;
  const snapshot = async () => JSON.stringify((await allItems(watcher.store)).map((i) => JSON.stringify(i)).sort());

  beforeAll(async () => {
    watcher = await startTestWatcher();
    // Something to protect: one account with a contract and a review task.
    const put = await fetch(`${watcher.url}/accounts/cus_hostile/contract`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endDate: '2027-06-30', noticeDays: 30, renewal: 'auto' }),
    });
    expect(put.status).toBe(200);
    before = await snapshot();
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
  });

  it('refuses webhook bodies over the adapter cap (1 MB) and over the webhook limit with 413, storing nothing', async () => {
    for (const size of [MAX_WEBHOOK_BYTES + 1, 700 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024]) {
      const body = JSON.stringify({ ...validEvent(), id: `evt_big${size}`, padding: 'z'.repeat(size) });
      const response = await fetch(`${watcher.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signedDelivery(JSON.parse(body), watcher.webhookSecret).signature },
        body,
      });
      expect(response.status, `${size} bytes`).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    }
    await watcher.queue.drained();
    expect(watcher.queue.depth).toBe(0);
    expect(await snapshot()).toBe(before);
  }, 30_000);

  // The one gap fuzz.test.ts leaves on write routes: bodies that are not text at all.
  const writes = routes.filter((r) => (r.method === 'POST' || r.method === 'PUT') && r.fn === 'api' && r.path !== '/admin/sweep');

  it('every API write route answers raw binary bodies and hostile content types without a 5xx or a write', async () => {
    expect(writes.length).toBeGreaterThanOrEqual(6);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        fc.uint8Array({ maxLength: 2_000 }),
        fc.constantFrom('application/json', 'text/csv', 'application/octet-stream', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''),
        async (route, bytes, contentType) => {
          // A byte sequence that happens to be valid for the route is out of scope (and near impossible).
          const path = route.path.replace('{accountId}', 'cus_hostile').replace('{taskId}', 'cus_hostile~r1');
          const response = await fetch(`${watcher.url}${path}`, {
            method: route.method,
            headers: { authorization: `Bearer ${watcher.apiToken}`, ...(contentType ? { 'content-type': contentType } : {}) },
            body: Buffer.from(bytes),
          });
          const text = await response.text();
          expect(response.status, `${route.method} ${path} → ${text.slice(0, 300)}`).toBeLessThan(500);
          if (response.status >= 400) {
            // The contract's error JSON, or (the CSV imports) a report of per-row errors.
            const body = JSON.parse(text) as { error?: { code: unknown; message: unknown }; errors?: unknown[] };
            if (body.errors) expect(body.errors.length).toBeGreaterThan(0);
            else expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
            expect(await snapshot()).toBe(before);
          } else {
            before = await snapshot();
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 90_000);
});
