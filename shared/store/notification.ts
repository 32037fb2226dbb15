import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { notificationSchema, type Notification } from '../domain/notification.ts';
import { isConditionFailed, type Store } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { accountPartition } from './keys.ts';
import { queryIndexItems } from './index-query.ts';

/**
 * The notification outbox. A notification's id is derived from what it is about (a task's
 * opening, a contract term's reminder offset), and it is written with attribute_not_exists, in
 * the same transaction as the change that causes it: recorded exactly once, never lost.
 * gsi1 `NOTIFS` by time lists them all; the account partition lists one account's.
 */
export type NotificationRecord = Notification;

/** `~` sorts after every fact prefix, so an evaluation's partition read stops before the outbox (see account.ts). */
export const NOTIFICATION_SK_PREFIX = '~NOTIF#';
/** The index partition listing every notification. */
const NOTIFICATIONS_INDEX_PK = 'NOTIFS';
const DISPATCH_PENDING = 'DISPATCH#pending';
const key = (n: Pick<Notification, 'accountId' | 'id'>) => ({ pk: accountPartition(n.accountId), sk: `${NOTIFICATION_SK_PREFIX}${n.id}` });

export function notificationPut(store: Store, notification: NotificationRecord): Record<string, unknown> {
  return {
    TableName: store.tableName,
    Item: {
      ...key(notification),
      entity: 'notification',
      notification,
      gsi1pk: NOTIFICATIONS_INDEX_PK,
      gsi1sk: `${notification.sentAt}#${notification.id}`,
      // Sparse "to dispatch" entry, removed once every channel has taken it.
      gsi2pk: DISPATCH_PENDING,
      gsi2sk: `${notification.sentAt}#${notification.id}`,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export async function listNotifications(
  store: Store,
  query: { accountId?: string; type?: Notification['type']; limit: number; cursor?: string },
): Promise<{ items: Notification[]; nextCursor?: string }> {
  const byAccount = query.accountId !== undefined;
  const pk = query.accountId !== undefined ? accountPartition(query.accountId) : NOTIFICATIONS_INDEX_PK;
  // With a type, Limit counts the items read before the filter (DynamoDB's on the partition, this
  // module's on the index's items), so one request can return a short or empty page that still
  // has more behind it: read on (from where the last read stopped, never past `limit` matches)
  // until the page is full, the list ends, or MAX_FILTERED_READS requests were made (the cursor
  // then carries on).
  const readPage = async (
    startKey: Record<string, unknown> | undefined,
    limit: number,
  ): Promise<{ items: Notification[]; lastKey?: Record<string, unknown> }> => {
    if (!byAccount) {
      // The index holds keys only: the items are read by key, the type tested on them.
      const page = await queryIndexItems(store, {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: limit,
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      });
      const read = page.items.map((item) => notificationSchema.parse(item.notification));
      return { items: query.type ? read.filter((n) => n.type === query.type) : read, ...(page.lastEvaluatedKey ? { lastKey: page.lastEvaluatedKey } : {}) };
    }
    const page = await store.doc.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': NOTIFICATION_SK_PREFIX, ...(query.type ? { ':type': query.type } : {}) },
        ...(query.type ? { FilterExpression: 'notification.#type = :type', ExpressionAttributeNames: { '#type': 'type' } } : {}),
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      items: (page.Items ?? []).map((item) => notificationSchema.parse(item.notification)),
      ...(page.LastEvaluatedKey ? { lastKey: page.LastEvaluatedKey } : {}),
    };
  };
  const items: Notification[] = [];
  let startKey = decodeCursor(query.cursor, { attribute: byAccount ? 'pk' : 'gsi1pk', value: pk });
  for (let reads = 0; ; reads++) {
    const page = await readPage(startKey, query.limit - items.length);
    items.push(...page.items);
    startKey = page.lastKey;
    if (!startKey || items.length >= query.limit || reads + 1 >= MAX_FILTERED_READS) break;
  }
  const nextCursor = encodeCursor(startKey);
  return nextCursor ? { items, nextCursor } : { items };
}

/** Requests one filtered page may make before it returns what it has, with a cursor. */
const MAX_FILTERED_READS = 20;

const onlyChannelsSchema = z.optional(z.array(z.string()));

/** A notification waiting for the channels; after a resend, only the channels named take it again. */
export interface PendingNotification {
  notification: Notification;
  onlyChannels?: string[];
}

/** Notifications recorded but not yet handed to the channels, oldest first. */
export async function listUndispatched(store: Store, limit: number): Promise<PendingNotification[]> {
  // The channels need the whole notification, so the items are read, consistently: an eventual read
  // could miss one written a moment ago (the sweep dispatches what its evaluations just recorded),
  // which would then wait for the next sweep. One dispatched meanwhile has lost its index key and
  // is skipped (and claimDispatch checks again).
  const page = await queryIndexItems(
    store,
    { IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': DISPATCH_PENDING }, Limit: limit },
    { consistent: true },
  );
  return page.items.map((item) => {
    const notification = notificationSchema.parse(item.notification);
    const only = onlyChannelsSchema.parse(item.onlyChannels);
    return only ? { notification, onlyChannels: only } : { notification };
  });
}

/**
 * Puts a dispatched notification back in the outbox for `channels` only (transaction item): the
 * next dispatch hands it to those channels and no others (an SNS or EventBridge consumer is not
 * sent it twice); any dispatcher's old claim is dropped.
 */
export function resendUpdate(store: Store, n: Pick<Notification, 'accountId' | 'id'>, at: string, channels: readonly string[]) {
  return {
    Update: {
      TableName: store.tableName,
      Key: key(n),
      UpdateExpression: 'SET gsi2pk = :pending, gsi2sk = :sk, onlyChannels = :channels REMOVE dispatchClaimBy, dispatchClaimUntil',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':pending': DISPATCH_PENDING, ':sk': `${at}#${n.id}`, ':channels': [...channels] },
    },
  };
}

/** How long a dispatcher holds a notification it claimed: far longer than handing it to the channels takes. */
export const DISPATCH_LEASE_MS = 5 * 60_000;

/**
 * Claims a pending notification for one dispatcher before it sends (a conditional write): true
 * when this `claimant` may send it now; false when it was dispatched already or another dispatcher
 * holds a claim that has not expired. Two overlapping sweeps therefore never send one
 * notification twice; a dispatcher that died holding a claim loses it after the lease.
 */
export async function claimDispatch(
  store: Store,
  n: Pick<Notification, 'accountId' | 'id'>,
  claimant: string,
  now: Date,
  leaseMs = DISPATCH_LEASE_MS,
): Promise<boolean> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: key(n),
        UpdateExpression: 'SET dispatchClaimBy = :me, dispatchClaimUntil = :until',
        ConditionExpression: 'attribute_exists(gsi2pk) AND (attribute_not_exists(dispatchClaimUntil) OR dispatchClaimUntil < :now)',
        ExpressionAttributeValues: { ':me': claimant, ':until': now.getTime() + leaseMs, ':now': now.getTime() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Gives a claim back (a channel failed), so the next run sends it at once; only the claimant's own claim. */
export async function releaseDispatch(store: Store, n: Pick<Notification, 'accountId' | 'id'>, claimant: string): Promise<void> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: key(n),
        UpdateExpression: 'REMOVE dispatchClaimBy, dispatchClaimUntil',
        ConditionExpression: 'dispatchClaimBy = :me',
        ExpressionAttributeValues: { ':me': claimant },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}

/** Marks a notification dispatched (idempotent: a second mark changes nothing). */
export async function markDispatched(store: Store, n: Pick<Notification, 'accountId' | 'id'>, at: string): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: key(n),
      UpdateExpression: 'SET dispatchedAt = if_not_exists(dispatchedAt, :at) REMOVE gsi2pk, gsi2sk, onlyChannels',
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

/**
 * Notifications recorded after `since` (exclusive) up to `until`, oldest first (the email digest's
 * window). The items are read consistently: the next window starts at `until`, so one an eventual
 * read missed would be in no digest.
 */
export async function listNotificationsBetween(store: Store, since: string, until: string, limit: number): Promise<Notification[]> {
  const page = await queryIndexItems(
    store,
    {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :since AND :until',
      ExpressionAttributeValues: { ':pk': NOTIFICATIONS_INDEX_PK, ':since': `${since}#\uffff`, ':until': `${until}#\uffff` },
      Limit: limit,
    },
    { consistent: true },
  );
  return page.items.map((item) => notificationSchema.parse(item.notification));
}
