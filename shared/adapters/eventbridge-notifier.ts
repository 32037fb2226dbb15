import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Notification } from '../domain/notification.ts';
import type { Notifier } from '../ports/notifier.ts';

/** Stable detail types teams route on (Slack, ticketing). */
export const DETAIL_TYPES = { renewal_reminder: 'RenewalReminder', review_opened: 'ReviewOpened' } as const;

export class EventBridgeNotifier implements Notifier {
  readonly channel = 'eventbridge';
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient({}),
  ) {}

  async send(n: Notification): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: 'termwatch',
            DetailType: DETAIL_TYPES[n.type],
            Detail: JSON.stringify({ id: n.id, type: n.type, accountId: n.accountId, sentAt: n.sentAt, subject: n.subject, text: n.text, ...n.payload }),
          },
        ],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new Error(`EventBridge refused notification ${n.id}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
