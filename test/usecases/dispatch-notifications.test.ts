import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Notifier } from '../../shared/ports/notifier.ts';
import type { Store } from '../../shared/store/client.ts';
import { notificationPut } from '../../shared/store/notification.ts';
import { dispatchNotifications } from '../../shared/usecases/dispatch-notifications.ts';
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
    const first = await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() });
    expect(first).toEqual({ sent: 2, failed: 1 });
    expect(sent).toEqual([n(0).id, n(2).id]);

    failOn = undefined;
    expect(await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() })).toEqual({ sent: 1, failed: 0 });
    expect(await dispatchNotifications({ store, notifiers: [channel], now: () => new Date() })).toEqual({ sent: 0, failed: 0 });
    expect(sent).toEqual([n(0).id, n(2).id, n(1).id]);
  });
});
