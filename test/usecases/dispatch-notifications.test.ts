import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Notifier } from '../../shared/ports/notifier.ts';
import type { Store } from '../../shared/store/client.ts';
import { claimDispatch, DISPATCH_LEASE_MS, listUndispatched, notificationPut } from '../../shared/store/notification.ts';
import { dispatchNotifications } from '../../shared/usecases/dispatch-notifications.ts';
import { resendDeadDelivery } from '../../shared/usecases/resend-delivery.ts';
import { claimDelivery, getClaim, listDeliveryDeadLetters, markDeadLetter } from '../../shared/store/delivery.ts';
import { createTestStore } from '../support/store.ts';

const n = (i: number): Notification => ({
  id: `review_opened~cus_d~r${i}`,
  type: 'review_opened',
  accountId: 'cus_d',
  sentAt: `2026-11-22T10:00:0${i}.000Z`,
  subject: `Review open ${i}`,
  text: 'text',
  payload: {},
});

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
  await store.doc.send(new TransactWriteCommand({ TransactItems: [0, 1, 2].map((i) => ({ Put: notificationPut(store, n(i)) as never })) }));
});

describe('notification dispatch (outbox)', () => {
  it('sends each recorded notification through every channel once, oldest first, and keeps failed ones pending', async () => {
    const sent: string[] = [];
    let failOn: string | undefined = n(1).id;
    const channel: Notifier = {
      channel: 'test',
      async send(notification) {
        if (notification.id === failOn) throw new Error('channel down');
        sent.push(notification.id);
      },
    };
    // Oldest first is the order they are taken in; four go out at once, so they may finish in any order.
    expect((await listUndispatched(store, 100)).map((p) => p.notification.id)).toEqual([n(0).id, n(1).id, n(2).id]);
    const first = await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() });
    expect(first).toEqual({ sent: 2, failed: 1 });
    expect([...sent].sort()).toEqual([n(0).id, n(2).id]);

    failOn = undefined;
    expect(await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() })).toEqual({ sent: 1, failed: 0 });
    expect(await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() })).toEqual({ sent: 0, failed: 0 });
    expect(sent).toHaveLength(3);
    expect(sent[2]).toBe(n(1).id);
  });
});

describe('a dead-lettered Slack message sent again', () => {
  it('goes back to Slack alone, once, and leaves the dead-letter list; a second resend finds nothing', async () => {
    const resendStore = await createTestStore();
    const note: Notification = { ...n(5), id: 'review_opened~cus_r~r1', accountId: 'cus_r' };
    await resendStore.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: notificationPut(resendStore, note) as never }] }));
    const got: Record<string, string[]> = { sns: [], slack: [] };
    const recording = (name: string): Notifier => ({ channel: name, send: async (x) => void got[name]!.push(x.id) });
    const notifiers = [recording('sns'), recording('slack')];
    const now = () => new Date();
    expect(await dispatchNotifications({ store: resendStore, notifiers, now })).toEqual({ sent: 1, failed: 0 });
    // Slack refused it for good: a dead letter, as the Slack notifier leaves it.
    await claimDelivery(resendStore, { channel: 'slack', messageKey: note.id, now: now(), leaseMs: 60_000, allowReclaim: true, extra: { accountId: 'cus_r' } });
    await markDeadLetter(resendStore, { channel: 'slack', messageKey: note.id }, now().toISOString(), 'HTTP 404 no_service', 1);

    expect(await resendDeadDelivery({ store: resendStore, now }, { channel: 'slack', messageKey: note.id })).toMatchObject({
      channel: 'slack',
      messageKey: note.id,
    });
    expect((await listDeliveryDeadLetters(resendStore, { limit: 10 })).items).toEqual([]);
    expect(await getClaim(resendStore, 'slack', note.id)).toBeUndefined();
    expect(await listUndispatched(resendStore, 10)).toEqual([{ notification: note, onlyChannels: ['slack'] }]);
    await expect(resendDeadDelivery({ store: resendStore, now }, { channel: 'slack', messageKey: note.id })).rejects.toThrow(/no dead-lettered slack message/);

    expect(await dispatchNotifications({ store: resendStore, notifiers, now })).toEqual({ sent: 1, failed: 0 });
    expect(got).toEqual({ sns: [note.id], slack: [note.id, note.id] });
    expect(await listUndispatched(resendStore, 10)).toEqual([]);
    expect(await dispatchNotifications({ store: resendStore, notifiers, now })).toEqual({ sent: 0, failed: 0 });
  });

  it('refuses a dead letter recorded before claims kept their account, naming what to do', async () => {
    const oldStore = await createTestStore();
    await claimDelivery(oldStore, { channel: 'slack', messageKey: 'review_opened~cus_old~r1', now: new Date(), leaseMs: 60_000, allowReclaim: true });
    await markDeadLetter(oldStore, { channel: 'slack', messageKey: 'review_opened~cus_old~r1' }, new Date().toISOString(), 'HTTP 500');
    await expect(resendDeadDelivery({ store: oldStore, now: () => new Date() }, { channel: 'slack', messageKey: 'review_opened~cus_old~r1' })).rejects.toThrow(
      /send the message by hand/,
    );
  });
});

describe('notification dispatch under overlap (two sweeps at once)', () => {
  const m = (i: number): Notification => ({ ...n(i), id: `review_opened~cus_o~r${i}`, accountId: 'cus_o' });

  it('sends each notification once in all, however the two dispatchers interleave', async () => {
    const overlapStore = await createTestStore();
    const count = 8;
    await overlapStore.doc.send(
      new TransactWriteCommand({ TransactItems: Array.from({ length: count }, (_, i) => ({ Put: notificationPut(overlapStore, m(i)) as never })) }),
    );
    const sent: string[] = [];
    // A slow channel: both dispatchers read the same pending list before either has marked anything.
    const channel: Notifier = {
      channel: 'slow',
      async send(notification) {
        await new Promise((r) => setTimeout(r, 5));
        sent.push(notification.id);
      },
    };
    const deps = { store: overlapStore, notifiers: [channel], now: () => new Date() };
    const [a, b] = await Promise.all([dispatchNotifications(deps), dispatchNotifications(deps)]);
    expect(a.failed + b.failed).toBe(0);
    expect(a.sent + b.sent).toBe(count);
    expect([...sent].sort()).toEqual(Array.from({ length: count }, (_, i) => m(i).id).sort());
    expect(new Set(sent).size).toBe(sent.length);
    expect(await dispatchNotifications(deps)).toEqual({ sent: 0, failed: 0 });
    overlapStore.doc.destroy();
  });

  it('skips a notification another dispatcher claimed until its lease runs out, then sends it', async () => {
    const leaseStore = await createTestStore();
    await leaseStore.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: notificationPut(leaseStore, m(0)) as never }] }));
    const t0 = new Date('2026-11-22T10:00:00Z');
    // Another dispatcher claimed it and died before sending.
    expect(await claimDispatch(leaseStore, m(0), 'dead-dispatcher', t0)).toBe(true);
    const sent: string[] = [];
    const channel: Notifier = { channel: 'test', send: async (x) => void sent.push(x.id) };
    const at = (ms: number) => ({ store: leaseStore, notifiers: [channel], now: () => new Date(t0.getTime() + ms) });
    expect(await dispatchNotifications(at(DISPATCH_LEASE_MS - 1))).toEqual({ sent: 0, failed: 0 });
    expect(sent).toEqual([]);
    expect(await dispatchNotifications(at(DISPATCH_LEASE_MS + 1))).toEqual({ sent: 1, failed: 0 });
    expect(sent).toEqual([m(0).id]);
    // Dispatched: nobody can claim it any more.
    expect(await claimDispatch(leaseStore, m(0), 'late', new Date(t0.getTime() + 10 * DISPATCH_LEASE_MS))).toBe(false);
    leaseStore.doc.destroy();
  });
});
