import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';
import { client, startTestWatcher } from '../support/watcher.ts';

/**
 * The local queue's dead letters, as an operator sees them: an event the processor cannot apply
 * (a refund that names neither a customer nor a charge) fails on every receive, is dead-lettered
 * after `maxReceives`, is listed by id and type at GET /admin/dead-letters, and goes back on the
 * queue with POST /admin/dead-letters/redrive. (test/reliability/faults.test.ts shows a redrive
 * after the cause is fixed ending in the fault-free state.)
 */
let watcher: RunningWatcher;
let api: ReturnType<typeof client>;
const now = new Date();
const orphan = stripeEvent(
  'refund.created',
  { ...fixture('refund'), id: 're_orphan', charge: null, customer: null, created: epoch(now) - 60 },
  epoch(now) - 60,
  'evt_orphan_refund',
);

beforeAll(async () => {
  watcher = await startTestWatcher({ queue: { maxReceives: 2, retryBaseMs: 5 } });
  api = client(watcher);
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

async function deadLetters(count: number) {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const listed = await api.get('/admin/dead-letters');
    if (listed.body.items.length >= count) return listed;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${count} dead letters after 20 s`);
}

describe('dead letters in local mode', () => {
  it('lists an event that failed maxReceives times by id and type, without its content', async () => {
    expect((await api.get('/admin/dead-letters')).body).toEqual({ items: [] });
    expect((await api.deliver(orphan)).status).toBe(200);
    const listed = await deadLetters(1);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      { messageId: expect.any(String), eventId: 'evt_orphan_refund', eventType: 'refund.created', receiveCount: 2, deadAt: expect.any(String) },
    ]);
    expect(watcher.queue.depth).toBe(0);
  });

  it('redrives them onto the queue; one that still fails comes back after maxReceives again', async () => {
    const redriven = await api.post('/admin/dead-letters/redrive', {});
    expect(redriven).toEqual({ status: 200, body: { redriven: 1 } });
    const again = await deadLetters(1);
    expect(again.body.items).toEqual([expect.objectContaining({ eventId: 'evt_orphan_refund', receiveCount: 2 })]);
    expect((await api.post('/admin/dead-letters/redrive', { everything: true })).status).toBe(400);
  });

  it('requires the bearer token', async () => {
    expect((await api.get('/admin/dead-letters', {})).status).toBe(401);
    expect((await api.post('/admin/dead-letters/redrive', {}, {})).status).toBe(401);
  });
});
