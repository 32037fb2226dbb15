import type { Notifier } from '../ports/notifier.ts';
import type { Store } from '../store/client.ts';
import { dispatchNotifications } from './dispatch-notifications.ts';
import { sendDigests, type DigestDeps, type DigestOutcome } from './digest.ts';

export interface DeliveryDeps {
  store: Store;
  /** SNS and EventBridge on AWS, the log locally; Slack when configured. */
  notifiers: readonly Notifier[];
  now: () => Date;
  /** The email digest, when configured. */
  digest?: DigestDeps;
}

export interface DeliveryResult {
  dispatched: { sent: number; failed: number };
  digests?: Record<string, DigestOutcome>;
}

/**
 * What the sweep does after the day's work:
 * 1. Hand every recorded, undispatched notification to the channels (the outbox; Slack claims
 *    each message before it posts, so a notification reaches Slack once).
 * 2. Then the day's email digest, at most one per recipient and day (a claim per day), so it
 *    lists what the sweep just opened and reminded.
 */
export async function deliverAfterSweep(deps: DeliveryDeps, limit = 100): Promise<DeliveryResult> {
  const dispatched = await dispatchNotifications(deps, limit);
  if (!deps.digest) return { dispatched };
  return { dispatched, digests: await sendDigests(deps.digest) };
}
