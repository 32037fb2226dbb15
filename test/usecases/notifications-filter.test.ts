import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Store } from '../../shared/store/client.ts';
import { listNotifications, notificationPut } from '../../shared/store/notification.ts';
import { createTestStore } from '../support/store.ts';

/**
 * `GET /notifications?type=` filters after DynamoDB has read a page, so one read could return a
 * short or empty page that still has a cursor. The list reads on until the page is full.
 */
let store: Store;
const notification = (n: number, type: Notification['type']): Notification => ({
  id: `${type}-${String(n).padStart(3, '0')}`,
  type,
  accountId: 'cus_notes',
  sentAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
  subject: `${type} ${n}`,
  text: `${type} ${n}`,
  payload: {},
  ...(type === 'renewal_reminder' ? { offsetDays: 30 } : {}),
});

beforeAll(async () => {
  store = await createTestStore();
  // 40 reminders first, then 5 reviews opened (by time).
  const items = [
    ...Array.from({ length: 40 }, (_, i) => notification(i, 'renewal_reminder')),
    ...Array.from({ length: 5 }, (_, i) => notification(40 + i, 'review_opened')),
  ];
  const puts = items.map((n) => (notificationPut(store, n) as { Item: Record<string, unknown> }).Item);
  for (let i = 0; i < puts.length; i += 25) {
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
});
afterAll(() => store?.doc.destroy());

describe('notifications filtered by type', () => {
  it('fills the page past the items the filter drops, by account (oldest first) and across accounts', async () => {
    const byAccount = await listNotifications(store, { accountId: 'cus_notes', type: 'review_opened', limit: 5 });
    expect(byAccount.items.map((n) => n.id)).toEqual(['review_opened-040', 'review_opened-041', 'review_opened-042', 'review_opened-043', 'review_opened-044']);
    const all = await listNotifications(store, { type: 'renewal_reminder', limit: 10 });
    expect(all.items).toHaveLength(10);
    expect(all.items.every((n) => n.type === 'renewal_reminder')).toBe(true);
    expect(all.nextCursor).toEqual(expect.any(String));
  });

  it('pages through every match with its cursor, none twice', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listNotifications(store, { type: 'renewal_reminder', limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((n) => n.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });
});
