import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification } from '../domain/notification.ts';
import type { Notifier } from '../ports/notifier.ts';

/** Finance's e-mail subscriptions: the plain-text body, with the id for de-duplication by consumers. */
export class SnsNotifier implements Notifier {
  readonly channel = 'sns';
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient({}),
  ) {}

  async send(n: Notification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS e-mail subjects are limited to 100 characters.
        Subject: n.subject.length > 100 ? `${n.subject.slice(0, 97)}...` : n.subject,
        Message: n.text,
        MessageAttributes: {
          notificationId: { DataType: 'String', StringValue: n.id },
          type: { DataType: 'String', StringValue: n.type },
          accountId: { DataType: 'String', StringValue: n.accountId },
        },
      }),
    );
  }
}
