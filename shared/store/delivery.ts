import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { Store } from './client.ts';
import { isConditionFailed } from './client.ts';
import { pageOfIndexPartition, queryIndexItems } from './index-query.ts';

/**
 * Delivery claims: one item per message a person receives (a Slack message for a notification,
 * a day's digest for a recipient), written with a conditional put BEFORE the message is sent
 * and marked `sentAt` after the receiving server acknowledged it. Keys:
 * - `DELIVERY#<channel>#<message key>` / `CLAIM`;
 * - gsi1 `DELIVERY_DEAD` by dead time while dead-lettered (the admin list);
 * - gsi1 `DIGESTS#<recipient>` by day for digests, so "since the last digest" is one Query.
 * Claims are kept (no TTL): they are what makes a send once-only across restarts.
 */
const claimKey = (channel: string, messageKey: string) => ({ pk: `DELIVERY#${channel}#${messageKey}`, sk: 'CLAIM' });
const DEAD = 'DELIVERY_DEAD';
const digestIndex = (recipient: string) => `DIGESTS#${recipient.toLowerCase()}`;

export const deliveryClaimSchema = z.object({
  channel: z.string(),
  messageKey: z.string(),
  claimedAt: z.string(),
  attempts: z.number(),
  sentAt: z.optional(z.string()),
  deadAt: z.optional(z.string()),
  lastError: z.optional(z.string()),
  /** Sends the run that gave up tried (HTTP posts to Slack, SMTP transactions); `attempts` counts the runs that claimed it. */
  lastTries: z.optional(z.number()),
  /** Digests: the instant the digest's window ended (the next one starts there). */
  windowEnd: z.optional(z.string()),
  /** What the message was about, for the dead-letter list. */
  subject: z.optional(z.string()),
  /** Slack: the notification's account (its outbox item's partition), so a dead letter can be sent again. */
  accountId: z.optional(z.string()),
});
export type DeliveryClaim = z.infer<typeof deliveryClaimSchema>;

export type ClaimOutcome =
  /** First claim: send it. */
  | { state: 'claimed'; claim: DeliveryClaim }
  /** A claim whose lease ran out without `sentAt`: an earlier sender may have sent it and died before recording. */
  | { state: 'reclaimed'; claim: DeliveryClaim }
  | { state: 'sent' | 'dead' | 'in_flight'; claim: DeliveryClaim };

function fromItem(item: Record<string, unknown>): DeliveryClaim {
  return deliveryClaimSchema.parse(item);
}

/**
 * Claims a message for sending. `leaseMs` is how long a claim without `sentAt` is left to its
 * sender; after it, a claim may be taken over (`reclaimed`) when `allowReclaim` (Slack: resend,
 * marked as a possible duplicate) or stays `in_flight` for good (the digest: never twice a day).
 */
export async function claimDelivery(
  store: Store,
  input: { channel: string; messageKey: string; now: Date; leaseMs: number; allowReclaim: boolean; subject?: string; extra?: Record<string, string> },
): Promise<ClaimOutcome> {
  const claim: DeliveryClaim = {
    channel: input.channel,
    messageKey: input.messageKey,
    claimedAt: input.now.toISOString(),
    attempts: 1,
    ...(input.subject ? { subject: input.subject } : {}),
  };
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { ...claimKey(input.channel, input.messageKey), entity: 'delivery_claim', ...claim, ...input.extra },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { state: 'claimed', claim: { ...claim, ...input.extra } };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  const existing = await getClaim(store, input.channel, input.messageKey);
  if (!existing) throw new Error(`delivery claim ${input.channel}/${input.messageKey} vanished`);
  if (existing.sentAt) return { state: 'sent', claim: existing };
  if (existing.deadAt) return { state: 'dead', claim: existing };
  const expired = Date.parse(existing.claimedAt) + input.leaseMs <= input.now.getTime();
  if (!expired || !input.allowReclaim) return { state: 'in_flight', claim: existing };
  try {
    // Conditional on the claim read: of two senders taking over the same stale claim, one wins.
    const result = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: claimKey(input.channel, input.messageKey),
        UpdateExpression: 'SET claimedAt = :now, attempts = attempts + :one',
        ConditionExpression: 'claimedAt = :seen AND attribute_not_exists(sentAt) AND attribute_not_exists(deadAt)',
        ExpressionAttributeValues: { ':now': input.now.toISOString(), ':one': 1, ':seen': existing.claimedAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { state: 'reclaimed', claim: fromItem(result.Attributes ?? {}) };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return { state: 'in_flight', claim: existing };
  }
}

export async function getClaim(store: Store, channel: string, messageKey: string): Promise<DeliveryClaim | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: claimKey(channel, messageKey), ConsistentRead: true }));
  return result.Item ? fromItem(result.Item) : undefined;
}

/** Records the acknowledgement; a digest claim also joins its recipient's list of digests sent. */
export async function markDelivered(
  store: Store,
  claim: Pick<DeliveryClaim, 'channel' | 'messageKey'>,
  at: string,
  digest?: { recipient: string; day: string },
): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: claimKey(claim.channel, claim.messageKey),
      UpdateExpression: `SET sentAt = if_not_exists(sentAt, :at)${digest ? ', gsi1pk = :ix, gsi1sk = :day' : ''} REMOVE lastError`,
      ExpressionAttributeValues: { ':at': at, ...(digest ? { ':ix': digestIndex(digest.recipient), ':day': digest.day } : {}) },
    }),
  );
}

/**
 * Gives up on a message: it stays visible in the dead-letter list (never silently dropped), with
 * when, the receiver's last answer and how many sends the giving-up run tried.
 */
export async function markDeadLetter(
  store: Store,
  claim: Pick<DeliveryClaim, 'channel' | 'messageKey'>,
  at: string,
  reason: string,
  tries?: number,
): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: claimKey(claim.channel, claim.messageKey),
      UpdateExpression: `SET deadAt = :at, lastError = :reason, gsi1pk = :dead, gsi1sk = :sk${tries === undefined ? '' : ', lastTries = :tries'}`,
      ConditionExpression: 'attribute_not_exists(sentAt)',
      ExpressionAttributeValues: {
        ':at': at,
        ':reason': reason.slice(0, 1000),
        ':dead': DEAD,
        ':sk': `${at}#${claim.channel}#${claim.messageKey}`,
        ...(tries === undefined ? {} : { ':tries': tries }),
      },
    }),
  );
}

/**
 * Removes a dead-lettered claim (transaction item), conditioned on it still being dead and never
 * acknowledged: the next send claims the message afresh, as if for the first time.
 */
export function deadClaimDelete(store: Store, claim: Pick<DeliveryClaim, 'channel' | 'messageKey'>) {
  return {
    Delete: {
      TableName: store.tableName,
      Key: claimKey(claim.channel, claim.messageKey),
      ConditionExpression: 'attribute_exists(deadAt) AND attribute_not_exists(sentAt)',
    },
  };
}

export async function listDeliveryDeadLetters(
  store: Store,
  query: { limit: number; cursor?: string },
): Promise<{ items: DeliveryClaim[]; nextCursor?: string }> {
  const page = await pageOfIndexPartition(store, 'gsi1', DEAD, query);
  const items = page.items.map(fromItem);
  return page.nextCursor ? { items, nextCursor: page.nextCursor } : { items };
}

/** The last digest a recipient was sent (acknowledged), if any. */
export async function lastDigestSent(store: Store, recipient: string): Promise<DeliveryClaim | undefined> {
  const page = await queryIndexItems(
    store,
    {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': digestIndex(recipient) },
      ScanIndexForward: false,
      Limit: 1,
    },
    // Consistent: an eventual read could still give the claim from before it was marked sent (no
    // index key yet), which would be skipped, and the next digest would start its window afresh.
    { consistent: true },
  );
  const item = page.items[0];
  return item ? fromItem(item) : undefined;
}
