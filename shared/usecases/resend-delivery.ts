import { ConflictError, NotFoundError } from '../errors.ts';
import type { DeliveryResendBody } from '../schemas/delivery.ts';
import { isTransactionConditionFailed, transactThroughConflicts, type Store } from '../store/client.ts';
import { deadClaimDelete, getClaim } from '../store/delivery.ts';
import { resendUpdate } from '../store/notification.ts';

/**
 * Sends a dead-lettered Slack message again, once its channel is fixed: in one transaction the
 * dead claim goes (so the next send claims the message afresh, not as a possible duplicate) and
 * the notification goes back in the outbox for Slack alone (SNS and EventBridge consumers are not
 * sent it twice). The next sweep's dispatch sends it; a second resend of the same message, or one
 * racing it, finds no dead letter and changes nothing.
 */
export async function resendDeadDelivery(deps: { store: Store; now: () => Date }, body: DeliveryResendBody) {
  const claim = await getClaim(deps.store, body.channel, body.messageKey);
  if (!claim?.deadAt || claim.sentAt) throw new NotFoundError(`no dead-lettered ${body.channel} message ${body.messageKey}`);
  if (!claim.accountId) throw new ConflictError('this dead letter was recorded before resends kept its account: send the message by hand');
  const queuedAt = deps.now().toISOString();
  try {
    await transactThroughConflicts(deps.store, {
      TransactItems: [
        deadClaimDelete(deps.store, claim),
        resendUpdate(deps.store, { accountId: claim.accountId, id: body.messageKey }, queuedAt, [body.channel]),
      ],
    });
  } catch (error) {
    if (isTransactionConditionFailed(error)) throw new NotFoundError(`no dead-lettered ${body.channel} message ${body.messageKey} (sent again already)`);
    throw error;
  }
  return { channel: body.channel, messageKey: body.messageKey, queuedAt };
}
