import type { WritesResult } from './writes.ts';

/**
 * What one million Stripe events of the mix cost on AWS, from counts this run measured.
 *
 * Prices: us-east-1, on-demand list prices (no free tier, no savings plan), re-checked on 2026-12-03
 * for DynamoDB against secondary sources only (AWS's own page is not reachable from this machine;
 * they agree on the prices after AWS's November 2024 on-demand cut; one older page still gives the
 * earlier $1.25 / $0.25): HTTP API $1.00 per million requests (first 300 million a month); Lambda arm64
 * $0.20 per million requests and $0.0000133334 per GB-second; SQS standard $0.40 per million
 * requests (each 64 KiB chunk a request); DynamoDB on-demand $0.625 per million write request
 * units and $0.125 per million read request units. Memory as deployed
 * (`infra/stacks/stateless-stack.ts`: webhook and processor 512 MB).
 *
 * Per event: one HTTP API request and one webhook invocation; one SendMessage; the processor
 * takes batches of up to ten (one invocation, one ReceiveMessage and one DeleteMessageBatch per
 * batch, counted as full batches); durations are this run's wall times per event on DynamoDB
 * Local, one at a time (DynamoDB answers faster than DynamoDB Local here, so this overstates
 * Lambda time); DynamoDB units are the units DynamoDB Local reports (as DynamoDB bills them).
 * Stripe's redeliveries and the sweep and API are left out: they scale with time and people,
 * not with events.
 */
export const PRICES = {
  region: 'us-east-1',
  date: 'list prices as of 2026-12-03 (DynamoDB: after the November 2024 on-demand cut, re-checked against secondary sources; AWS pages not reachable here)',
  httpApiPerMillion: 1.0,
  lambdaRequestPerMillion: 0.2,
  lambdaGbSecond: 0.0000133334,
  sqsPerMillion: 0.4,
  ddbWriteUnitPerMillion: 0.625,
  ddbReadUnitPerMillion: 0.125,
} as const;

const MEMORY_GB = { webhook: 0.5, processor: 0.5 } as const;
const BATCH = 10;

export interface CostResult {
  usdPerMillionEvents: number;
  /** USD per million events by service. */
  parts: Record<'apiGateway' | 'lambda' | 'sqs' | 'dynamodbWrites' | 'dynamodbReads', number>;
  dominant: string;
}

export function costPerMillionEvents(w: WritesResult): CostResult {
  const m = 1_000_000;
  // Lambda bills duration in 1 ms steps, per invocation: the webhook per event, the processor per batch.
  const webhookGbS = (Math.ceil(w.webhookMsPerEvent) / 1000) * MEMORY_GB.webhook * m;
  const processorGbS = (Math.ceil(w.processorMsPerEvent * BATCH) / 1000) * MEMORY_GB.processor * (m / BATCH);
  const parts = {
    apiGateway: PRICES.httpApiPerMillion,
    lambda: (1 + 1 / BATCH) * PRICES.lambdaRequestPerMillion + (webhookGbS + processorGbS) * PRICES.lambdaGbSecond,
    sqs: (1 + 2 / BATCH) * PRICES.sqsPerMillion,
    dynamodbWrites: w.writeUnitsPerEvent * PRICES.ddbWriteUnitPerMillion,
    dynamodbReads: w.readUnitsPerEvent * PRICES.ddbReadUnitPerMillion,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const dominant = Object.entries(parts).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { usdPerMillionEvents: total, parts, dominant };
}
