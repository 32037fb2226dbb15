import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../shared/http/app.ts';
import { webhookHandlers } from '../../shared/http/webhook-routes.ts';
import { bearerTokenAuthenticator } from '../../shared/http/auth.ts';
import type { Store } from '../../shared/store/client.ts';
import { SpoolQueue } from '../../local/spool-queue.ts';
import { apiEvent } from '../support/http.ts';
import { allItems } from '../support/scan.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, signedDelivery, stripeEvent } from '../support/stripe-events.ts';

const secret = 'whsec_test_secret_for_signature_checks';
const now = new Date('2026-11-22T12:00:00Z');

let store: Store;
let queue: SpoolQueue;
let app: ReturnType<typeof createHttpApp>;
let counted: string[];

beforeEach(async () => {
  store = await createTestStore();
  queue = new SpoolQueue();
  counted = [];
  app = createHttpApp({
    handlers: webhookHandlers({ store, queue, webhookSecret: async () => secret, clock: () => now, count: (outcome) => counted.push(outcome) }),
    fns: ['webhook'],
    includeLocalOnly: false,
    authenticate: bearerTokenAuthenticator('unused'),
  });
});

function invoiceEvent(id = 'evt_1') {
  return stripeEvent('invoice.finalized', { ...fixture('invoice'), id: 'in_1', customer: 'cus_1' }, epoch(now) - 10, id);
}

async function deliver(body: string, signature?: string, base64 = false) {
  const result = await app(apiEvent({ method: 'POST', path: '/webhooks/stripe', body, base64, headers: signature ? { 'stripe-signature': signature } : {} }));
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
}

describe('POST /webhooks/stripe', () => {
  it('accepts a validly signed event, queues it, stores only its receipt, and queues a redelivery again', async () => {
    const { body, signature } = signedDelivery(invoiceEvent(), secret, epoch(now));
    const first = await deliver(body, signature);
    expect(first).toMatchObject({ status: 200, body: { received: true, outcome: 'queued', eventId: 'evt_1' } });
    expect(queue.depth).toBe(1);
    const items = await allItems(store);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ pk: 'EVT#evt_1', type: 'invoice.finalized' });
    expect(Number(items[0]!.expiresAt)).toBeGreaterThan(epoch(now) + 29 * 86_400);

    // The first attempt may have died before queueing: a redelivery is queued again (the
    // processor applies it idempotently) and recognised as a duplicate.
    const again = await deliver(body, signature);
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(queue.depth).toBe(2);
    expect(await allItems(store)).toHaveLength(1);
  });

  it('verifies the raw bytes when API Gateway hands the body base64-encoded', async () => {
    const { body, signature } = signedDelivery(invoiceEvent('evt_b64'), secret, epoch(now));
    expect(await deliver(body, signature, true)).toMatchObject({ status: 200, body: { outcome: 'queued' } });
  });

  it('acknowledges event types it does not use without storing or queueing them', async () => {
    const event = stripeEvent('payment_intent.created', fixture('payment_intent'), epoch(now), 'evt_ignored');
    const { body, signature } = signedDelivery(event, secret, epoch(now));
    expect(await deliver(body, signature)).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    expect(queue.depth).toBe(0);
    expect(await allItems(store)).toHaveLength(0);
    expect(counted).toEqual(['ignored']);
  });

  const refused: Array<[string, () => { body: string; signature?: string }, string]> = [
    ['a missing signature', () => ({ body: JSON.stringify(invoiceEvent()) }), 'missing_signature'],
    ['a signature made with another secret', () => signedDelivery(invoiceEvent(), 'whsec_other', epoch(now)), 'invalid_signature'],
    ['a stale signature (over 300 s old)', () => signedDelivery(invoiceEvent(), secret, epoch(now) - 301), 'invalid_signature'],
    ['a garbled signature header', () => ({ body: JSON.stringify(invoiceEvent()), signature: 't=abc,v1=zzz' }), 'invalid_signature'],
    [
      'a body changed after signing',
      () => {
        const d = signedDelivery(invoiceEvent(), secret, epoch(now));
        return { body: d.body.replace('in_1', 'in_2'), signature: d.signature };
      },
      'invalid_signature',
    ],
    [
      'a signed body that is not JSON',
      () => {
        const body = 'not json at all';
        return { body, signature: signedDelivery(JSON.parse('{}'), secret, epoch(now)).signature.replace(/v1=\w+/, `v1=${sign(body)}`) };
      },
      'malformed_event',
    ],
    ['a signed body that is not a Stripe event', () => signedDelivery({ hello: 'world' }, secret, epoch(now)), 'malformed_event'],
  ];

  it.each(refused)('refuses %s with 400 and stores nothing', async (_name, make, code) => {
    const { body, signature } = make();
    const result = await deliver(body, signature);
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe(code);
    expect(result.body.error.message).toEqual(expect.any(String));
    expect(counted).toEqual(['refused']);
    expect(queue.depth).toBe(0);
    expect(await allItems(store)).toHaveLength(0);
  });

  it('refuses an oversize body before parsing it', async () => {
    const big = JSON.stringify({ ...invoiceEvent(), padding: 'x'.repeat(600 * 1024) });
    const { signature } = signedDelivery(JSON.parse(big), secret, epoch(now));
    const result = await deliver(big, signature);
    expect(result.status).toBe(413);
    expect(await allItems(store)).toHaveLength(0);
  });

  it("records nothing when the event cannot be queued, so Stripe's retry is accepted as new", async () => {
    const failing = createHttpApp({
      handlers: webhookHandlers({
        store,
        queue: { send: async () => Promise.reject(new Error('queue down')) },
        webhookSecret: async () => secret,
        clock: () => now,
      }),
      fns: ['webhook'],
      includeLocalOnly: false,
      authenticate: bearerTokenAuthenticator('unused'),
    });
    const { body, signature } = signedDelivery(invoiceEvent('evt_retry'), secret, epoch(now));
    const result = await failing(apiEvent({ method: 'POST', path: '/webhooks/stripe', body, headers: { 'stripe-signature': signature } }));
    expect(result.statusCode).toBe(500);
    expect(await allItems(store)).toHaveLength(0);
    expect(await deliver(body, signature)).toMatchObject({ status: 200, body: { outcome: 'queued' } });
  });

  it('loses nothing when the webhook dies after queueing and before recording the receipt', async () => {
    let sent = 0;
    const diesAfterQueueing = createHttpApp({
      handlers: webhookHandlers({
        store,
        queue: {
          send: async (event) => {
            await queue.send(event);
            sent++;
            throw new Error('Lambda timed out');
          },
        },
        webhookSecret: async () => secret,
        clock: () => now,
      }),
      fns: ['webhook'],
      includeLocalOnly: false,
      authenticate: bearerTokenAuthenticator('unused'),
    });
    const { body, signature } = signedDelivery(invoiceEvent('evt_window'), secret, epoch(now));
    const result = await diesAfterQueueing(apiEvent({ method: 'POST', path: '/webhooks/stripe', body, headers: { 'stripe-signature': signature } }));
    expect(result.statusCode).toBe(500);
    expect(sent).toBe(1);
    expect(await allItems(store)).toHaveLength(0);
    // Stripe retries: accepted as new and queued again; the processor sees it twice, harmlessly.
    expect(await deliver(body, signature)).toMatchObject({ status: 200, body: { outcome: 'queued' } });
    expect(queue.depth).toBe(2);
  });
});

import { createHmac } from 'node:crypto';
function sign(body: string) {
  return createHmac('sha256', secret)
    .update(`${epoch(now)}.${body}`)
    .digest('hex');
}
