import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { sdkClientSettings } from '../../shared/config/sdk.ts';
import { logger } from '../../shared/powertools.ts';
import { createStore } from '../../shared/store/client.ts';
import { traceSdkClients } from '../../shared/tracing.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { dispatchNotifications } from '../../shared/usecases/dispatch-notifications.ts';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.ts';
import { EventBridgeNotifier } from '../../shared/adapters/eventbridge-notifier.ts';

const sdk = sdkClientSettings();
const deps = {
  store: createStore({ tableName: requireEnv('TABLE_NAME'), clientConfig: sdk }),
  policy: loadPolicyFromEnv(),
};
const sns = new SNSClient(sdk);
const eventBridge = new EventBridgeClient(sdk);
await traceSdkClients([deps.store.doc, sns, eventBridge]);
const notifiers = [new SnsNotifier(requireEnv('NOTIFY_TOPIC_ARN'), sns), new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'), eventBridge)];
const metrics = new Metrics({ namespace: 'Termwatch', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'termwatch-sweep' });

/**
 * Invoked hourly by EventBridge Scheduler; a thrown error makes the scheduler retry, then dead-letter.
 * Counts what the alarms watch (infra/stacks/stateless-stack.ts): SweepRuns (one per finished run;
 * none for two hours raises SweepNotRun), SweepFailures and DispatchFailures.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  try {
    const result = await runSweep(deps, new Date());
    // Everything recorded since the last run (by the sweep, the processor or the API) goes out now.
    const dispatched = await dispatchNotifications({ store: deps.store, notifiers, now: () => new Date() }, 1000);
    metrics.addMetric('SweepRuns', MetricUnit.Count, 1);
    metrics.addMetric('SweepFailures', MetricUnit.Count, result.failures);
    metrics.addMetric('DispatchFailures', MetricUnit.Count, dispatched.failed);
    metrics.addMetric('NotificationsDispatched', MetricUnit.Count, dispatched.sent);
    logger.info('sweep finished', { ...result, dispatched });
    if (result.failures > 0) throw new Error(`sweep finished with ${result.failures} failures; they stay due for the next run`);
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
};
