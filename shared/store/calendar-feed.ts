import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { NotFoundError } from '../errors.ts';
import type { Store } from './client.ts';
import { pageOfIndexPartition } from './index-query.ts';

/**
 * Calendar feeds. A feed (`CALFEED#<id>` / `FEED`, listed by gsi1 `CALFEEDS`) and its token
 * (`CALTOKEN#<sha-256 of the secret>` / `TOKEN`) are written and deleted together in one
 * transaction: the feed URL is resolved by a keyed, consistent read of the token item, so a
 * revoked URL answers 404 at once (a GSI lookup could still find it for a moment). Only the
 * hash is stored; the secret exists in the answer to the create request and nowhere else.
 */
const feedKey = (id: string) => ({ pk: `CALFEED#${id}`, sk: 'FEED' });
const tokenKey = (tokenHash: string) => ({ pk: `CALTOKEN#${tokenHash}`, sk: 'TOKEN' });
const LIST = 'CALFEEDS';

export const calendarFeedSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type CalendarFeed = z.infer<typeof calendarFeedSchema>;

export class CalendarFeedNotFoundError extends NotFoundError {
  override readonly name = 'CalendarFeedNotFoundError';
}

export async function putCalendarFeed(store: Store, feed: CalendarFeed, tokenHash: string): Promise<void> {
  await store.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: store.tableName,
            Item: { ...feedKey(feed.id), entity: 'calendar_feed', feed, tokenHash, gsi1pk: LIST, gsi1sk: `${feed.createdAt}#${feed.id}` },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: store.tableName,
            Item: { ...tokenKey(tokenHash), entity: 'calendar_token', feedId: feed.id },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    }),
  );
}

export async function listCalendarFeeds(store: Store, query: { limit: number; cursor?: string }): Promise<{ items: CalendarFeed[]; nextCursor?: string }> {
  const page = await pageOfIndexPartition(store, 'gsi1', LIST, query);
  const items = page.items.map((item) => calendarFeedSchema.parse(item.feed));
  return page.nextCursor ? { items, nextCursor: page.nextCursor } : { items };
}

/** Revokes a feed: the feed and its token go in one transaction. */
export async function deleteCalendarFeed(store: Store, id: string): Promise<void> {
  const found = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: feedKey(id), ConsistentRead: true }));
  const tokenHash = found.Item?.tokenHash;
  if (typeof tokenHash !== 'string') throw new CalendarFeedNotFoundError(`calendar feed ${id} not found`);
  await store.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Delete: { TableName: store.tableName, Key: feedKey(id), ConditionExpression: 'attribute_exists(pk)' } },
        { Delete: { TableName: store.tableName, Key: tokenKey(tokenHash) } },
      ],
    }),
  );
}

/** The feed a secret's hash opens, if it is (still) issued. */
export async function findFeedByTokenHash(store: Store, tokenHash: string): Promise<string | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: tokenKey(tokenHash), ConsistentRead: true }));
  return typeof result.Item?.feedId === 'string' ? result.Item.feedId : undefined;
}
