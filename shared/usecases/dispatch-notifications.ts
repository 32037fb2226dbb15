import { randomUUID } from 'node:crypto';
import { logger } from '../powertools.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { Store } from '../store/client.ts';
import { claimDispatch, listUndispatched, markDispatched, releaseDispatch } from '../store/notification.ts';
import { eachAtOnce } from '../concurrency.ts';

/** Notifications in flight at once. */
const DISPATCH_CONCURRENCY = 4;

/**
 * Hands recorded notifications to the channels (the outbox pattern).
 * 1. Read the oldest notifications not yet dispatched (a sparse index entry the record carries
 *    from the transaction that created it, so a recorded notification is never lost).
 * 2. Claim each with a conditional write before sending: one that another dispatcher (an
 *    overlapping sweep) holds, or already dispatched, is skipped, so overlap never sends twice.
 * 3. Send it through every channel; then remove its pending entry.
 * A crash between send and mark sends it again once the claim's lease has run out, with the same
 * id (SNS message attribute, EventBridge detail `id`): at-least-once with a stable id, never
 * lost, and consumers de-duplicate by id. A channel failure gives the claim back and leaves it
 * pending for the next run.
 */
export async function dispatchNotifications(deps: { store: Store; notifiers: readonly Notifier[]; now: () => Date }, limit = 100) {
  const pending = await listUndispatched(deps.store, limit);
  const claimant = randomUUID();
  let sent = 0;
  let failed = 0;
  // A few notifications at once: each is claimed before it is sent, so overlap cannot send one twice.
  const dispatchOne = async ({ notification, onlyChannels }: (typeof pending)[number]) => {
    if (!(await claimDispatch(deps.store, notification, claimant, deps.now()))) return;
    try {
      // Every channel at once (SNS and EventBridge are independent), or after a resend only those
      // named; a failure of any counts once all have answered, so the claim is given back only
      // when nothing is still being sent.
      const notifiers = onlyChannels ? deps.notifiers.filter((notifier) => onlyChannels.includes(notifier.channel)) : deps.notifiers;
      const outcomes = await Promise.allSettled(notifiers.map((notifier) => notifier.send(notification)));
      const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (refused) throw refused.reason;
      await markDispatched(deps.store, notification, deps.now().toISOString());
      sent++;
    } catch (error) {
      failed++;
      logger.error('notification not dispatched; it stays pending', { notificationId: notification.id, error: error as Error });
      await releaseDispatch(deps.store, notification, claimant).catch((releaseError: unknown) =>
        logger.warn('claim not given back; the notification is sent again once its lease runs out', {
          notificationId: notification.id,
          error: releaseError as Error,
        }),
      );
    }
  };
  await eachAtOnce(pending, DISPATCH_CONCURRENCY, dispatchOne);
  return { sent, failed };
}
