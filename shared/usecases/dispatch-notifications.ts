import { logger } from '../powertools.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { Store } from '../store/client.ts';
import { listUndispatched, markDispatched } from '../store/notification.ts';

/**
 * Hands recorded notifications to the channels (the outbox pattern).
 * 1. Read the oldest notifications not yet dispatched (a sparse index entry the record carries
 *    from the transaction that created it, so a recorded notification is never lost).
 * 2. Send each through every channel; then remove its pending entry.
 * A crash between send and mark sends it again next run with the same id (SNS message
 * attribute, EventBridge detail `id`): at-least-once with a stable id, never lost, and
 * consumers de-duplicate by id. A channel failure leaves it pending for the next run.
 */
export async function dispatchNotifications(deps: { store: Store; notifiers: readonly Notifier[]; now: () => Date }, limit = 100) {
  const pending = await listUndispatched(deps.store, limit);
  let sent = 0;
  let failed = 0;
  for (const notification of pending) {
    try {
      for (const notifier of deps.notifiers) await notifier.send(notification);
      await markDispatched(deps.store, notification, deps.now().toISOString());
      sent++;
    } catch (error) {
      failed++;
      logger.error('notification not dispatched; it stays pending', { notificationId: notification.id, error: error as Error });
    }
  }
  return { sent, failed };
}
