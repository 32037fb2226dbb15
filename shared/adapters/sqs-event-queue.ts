import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EventQueue } from '../ports/event-queue.ts';
import type { QueuedEvent } from '../stripe/events.ts';

export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  async send(event: QueuedEvent): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { eventType: { DataType: 'String', StringValue: event.type } },
      }),
    );
  }
}
