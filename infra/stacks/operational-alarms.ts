import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { routes } from '../../shared/http/routes.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { serviceMetric, type Operations } from '../constructs/operations.ts';
import type { WatcherApi } from '../constructs/watcher-api.ts';
import type { DeploySettings } from '../settings.ts';

/** Alarm thresholds, in one place for the README and the tests. */
export const alarmThresholds = {
  /** API Gateway 5xx answers in five minutes (the router turns a function's errors into 500s). */
  api5xxPer5Minutes: 3,
  /** p99 of the webhook route, over each of three five-minute periods; Stripe gives up on slow endpoints. */
  webhookP99Ms: 3000,
  /** Deliveries refused (bad signature, malformed) in 15 minutes: after a first deploy, the placeholder secret. */
  stripeEventsRefusedPer15Minutes: 5,
  /** Oldest accepted event still queued: the processor is not keeping up, or not running. */
  ingestOldestMessageSeconds: 1800,
  /** DynamoDB read + write throttle events (table and indexes) in five minutes. */
  dynamoThrottlesPer5Minutes: 5,
} as const;

/**
 * The failures the function Errors alarms cannot see: the router answers a function's error
 * with a 500 (API Gateway 5xx), a slow webhook (p99), deliveries refused (the placeholder secret
 * after a first deploy), accepted events waiting in the queue, sweep and dispatch failures the
 * sweep counts, a sweep that did not run (missing data breaches), DynamoDB throttling.
 */
export function addOperationalAlarms(
  ops: Operations,
  {
    api,
    ingestQueue,
    ingestRetention,
    table,
    sweep,
  }: { api: WatcherApi; ingestQueue: sqs.IQueue; ingestRetention: Duration; table: ITable; sweep: DeploySettings['sweep'] },
): void {
  const fiveMinutes = Duration.minutes(5);
  const webhookRoute = routes.find((r) => r.auth === 'stripe-signature');
  const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

  ops.alarm('Api5xxAlarm', {
    metric: api.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
    threshold: alarmThresholds.api5xxPer5Minutes,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: `HTTP API: ${alarmThresholds.api5xxPer5Minutes} or more 5xx answers in 5 minutes (a function failed: its log group says why)`,
  });
  if (webhookRoute) {
    const routeKey = `${webhookRoute.method} ${webhookRoute.path}`;
    ops.alarm('WebhookLatencyAlarm', {
      // A per-route metric: the stage has detailed metrics on for this route (WatcherApi).
      metric: new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'Latency',
        dimensionsMap: { ApiId: api.api.apiId, Stage: api.stage.stageName, Route: routeKey },
        statistic: 'p99',
        period: fiveMinutes,
      }),
      threshold: alarmThresholds.webhookP99Ms,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: notBreaching,
      alarmDescription: `${routeKey}: p99 latency above ${alarmThresholds.webhookP99Ms} ms for 15 minutes (Stripe retries slow deliveries, then disables the endpoint)`,
    });
  }
  ops.alarm('StripeEventsRefusedAlarm', {
    metric: serviceMetric('termwatch-webhook', 'StripeEventsRefused', { period: Duration.minutes(15) }),
    threshold: alarmThresholds.stripeEventsRefusedPer15Minutes,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: `Stripe webhook: ${alarmThresholds.stripeEventsRefusedPer15Minutes} or more deliveries refused in 15 minutes. After a first deploy: put the whsec_ value into the StripeWebhookSecretId secret. Otherwise a rolled secret, or someone probing the URL`,
  });
  ops.alarm('IngestQueueAgeAlarm', {
    metric: ingestQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
    threshold: alarmThresholds.ingestOldestMessageSeconds,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: `Ingest queue: an accepted Stripe event has waited ${alarmThresholds.ingestOldestMessageSeconds / 60} minutes (the processor is failing or not running; SQS keeps events ${ingestRetention.toDays()} days)`,
  });
  ops.alarm('SweepFailuresAlarm', {
    metric: serviceMetric('termwatch-sweep', 'SweepFailures', { period: Duration.hours(1) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: 'Sweep: accounts it could not re-evaluate this hour (retried next run; the sweep log names them)',
  });
  ops.alarm('DispatchFailuresAlarm', {
    metric: serviceMetric('termwatch-sweep', 'DispatchFailures', { period: Duration.hours(1) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: 'Dispatcher: notifications a channel refused this hour (they stay pending and are sent again next run)',
  });
  ops.alarm('DeliveriesDeadLetteredAlarm', {
    metric: serviceMetric('termwatch-sweep', 'DeliveriesDeadLettered', { period: Duration.hours(1) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription:
      'Delivery to people: Slack messages or email digests given up on after their retries this hour (GET /deliveries/dead-letters lists them with the reason)',
  });
  ops.alarm('SweepNotRunAlarm', {
    // The sweep counts every run it finishes; none in two hourly periods means the schedule or the
    // function stopped. No data is the failure here, so missing data breaches.
    metric: serviceMetric('termwatch-sweep', 'SweepRuns', { period: Duration.hours(1) }),
    threshold: 1,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    alarmDescription: `Sweep: no finished run in 2 hours (scheduled hourly at :${sweep.at.split(':')[1]} ${sweep.timeZone}). Check the schedule, the sweep's errors and its dead-letter queue. Right after the first deploy it stays in ALARM until the first run`,
  });
  const throttleMetrics: Record<string, cloudwatch.IMetric> = {};
  const dimensionsOf = (index?: string) => ({ TableName: table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) });
  for (const [i, index] of [undefined, ...tableDefinition.globalSecondaryIndexes.map((g) => g.indexName)].entries()) {
    for (const kind of ['Read', 'Write'] as const) {
      throttleMetrics[`${kind.toLowerCase()}${i}`] = new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName: `${kind}ThrottleEvents`,
        dimensionsMap: dimensionsOf(index),
        statistic: 'Sum',
        period: fiveMinutes,
      });
    }
  }
  ops.alarm('DynamoThrottlesAlarm', {
    metric: new cloudwatch.MathExpression({
      expression: Object.keys(throttleMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics: throttleMetrics,
      period: fiveMinutes,
      label: 'DynamoDB throttle events (table and indexes)',
    }),
    threshold: alarmThresholds.dynamoThrottlesPer5Minutes,
    evaluationPeriods: 1,
    comparisonOperator: atLeast,
    treatMissingData: notBreaching,
    alarmDescription: `DynamoDB: ${alarmThresholds.dynamoThrottlesPer5Minutes} or more throttled reads or writes in 5 minutes on the table or its indexes (the SDK retries; past its retries requests fail with 503)`,
  });
}
