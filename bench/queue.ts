import type { SQSEvent } from 'aws-lambda';
import type { EventQueue } from '../shared/ports/event-queue.ts';
import type { QueuedEvent } from '../shared/stripe/events.ts';

/** Holds what the webhook queues, so the benchmark hands it to the processor when it chooses. */
export class CollectingQueue implements EventQueue {
  readonly messages: QueuedEvent[] = [];

  async send(event: QueuedEvent): Promise<void> {
    this.messages.push(event);
  }

  take(): QueuedEvent[] {
    return this.messages.splice(0);
  }
}

let sequence = 0;

/** An SQS batch as the event source mapping delivers it (the shape the local spool queue builds too). */
export function sqsBatch(events: readonly QueuedEvent[]): SQSEvent {
  const now = Date.now();
  return {
    Records: events.map((event) => {
      const id = `bench-${(sequence++).toString(36)}`;
      return {
        messageId: id,
        receiptHandle: id,
        body: JSON.stringify(event),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(now), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(now) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:termwatch-bench',
        awsRegion: 'local',
      };
    }),
  };
}
