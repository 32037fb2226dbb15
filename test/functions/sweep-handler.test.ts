import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Notification } from '../../shared/domain/notification.ts';
import type { Store } from '../../shared/store/client.ts';
import { notificationPut } from '../../shared/store/notification.ts';
import { createTestStore, dynamoEndpoint } from '../support/store.ts';

/**
 * The sweep Lambda handler emits what its alarms watch (infra/stacks/stateless-stack.ts):
 * SweepRuns, SweepFailures and DispatchFailures, as CloudWatch embedded metrics (Powertools
 * Metrics) with the `service` dimension. Run for real on DynamoDB Local; the SNS endpoint is a
 * closed local port, so a pending notification fails to dispatch (a real connection refusal).
 */
let store: Store;
let handler: (event: unknown, context: Context) => Promise<unknown>;
const saved = { ...process.env };

beforeAll(async () => {
  store = await createTestStore();
  Object.assign(process.env, {
    TABLE_NAME: store.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
    AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:000000000000:termwatch-test',
    EVENT_BUS_NAME: 'termwatch-test',
    POWERTOOLS_SERVICE_NAME: 'termwatch-sweep',
    POWERTOOLS_METRICS_NAMESPACE: 'Termwatch',
    WATCHER_SDK_REQUEST_TIMEOUT_MS: '1000',
    WATCHER_SDK_CONNECTION_TIMEOUT_MS: '500',
  });
  ({ handler } = await import('../../functions/sweep/handler.ts'));
});
afterAll(() => {
  process.env = saved;
  store?.doc.destroy();
});

const context = { awsRequestId: 'test', functionName: 'termwatch-sweep', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** Runs the handler and returns the metrics of the embedded-metric-format lines it printed. */
async function metricsOf(run: () => Promise<unknown>): Promise<{ values: Record<string, number>; dimensions: string[][]; namespace: string }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  try {
    await run().catch(() => undefined);
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
  const emf = lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  expect(emf.length).toBeGreaterThan(0);
  const directive = emf[0]!._aws.CloudWatchMetrics[0];
  const values: Record<string, number> = {};
  for (const entry of emf) for (const m of entry._aws.CloudWatchMetrics[0].Metrics) values[m.Name] = entry[m.Name];
  return { values, dimensions: directive.Dimensions, namespace: directive.Namespace };
}

describe('sweep handler metrics', () => {
  it('counts a finished run with no failures', async () => {
    const { values, dimensions, namespace } = await metricsOf(() => handler({ source: 'termwatch.schedule' }, context));
    expect(namespace).toBe('Termwatch');
    expect(dimensions).toEqual([['service']]);
    expect(values).toMatchObject({ SweepRuns: 1, SweepFailures: 0, DispatchFailures: 0 });
  });

  it('counts a notification the channel refused as a dispatch failure (it stays pending)', async () => {
    const n: Notification = {
      id: 'review_opened~cus_metrics~r1',
      type: 'review_opened',
      accountId: 'cus_metrics',
      sentAt: '2026-11-22T10:00:00.000Z',
      subject: 'Review open',
      text: 'text',
      payload: {},
    };
    await store.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: notificationPut(store, n) as never }] }));
    const { values } = await metricsOf(() => handler({ source: 'termwatch.schedule' }, context));
    expect(values).toMatchObject({ SweepRuns: 1, SweepFailures: 0, DispatchFailures: 1 });
  }, 60_000);
});
