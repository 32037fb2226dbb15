import type { SQSEvent } from 'aws-lambda';

/** An SQS batch as Lambda receives it, one record per body (objects are JSON-encoded). */
export function sqsEvent(bodies: ReadonlyArray<string | object>, options: { receiveCount?: number } = {}): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: String(options.receiveCount ?? 1), SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:0:q',
      awsRegion: 'local',
    })),
  };
}
