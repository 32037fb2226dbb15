import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { sdkClientSettings, withoutSdkRequestLog } from '../../shared/config/sdk.ts';
import { logger } from '../../shared/powertools.ts';
import { createStore } from '../../shared/store/client.ts';
import { traceSdkClients } from '../../shared/tracing.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { deliverAfterSweep } from '../../shared/usecases/deliver.ts';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.ts';
import { EventBridgeNotifier } from '../../shared/adapters/eventbridge-notifier.ts';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SlackNotifier } from '../../shared/adapters/slack.ts';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { sesMailSender } from '../../shared/adapters/ses-mail.ts';
import { loadDeliveryConfig } from '../../shared/config/delivery.ts';
import type { Notifier } from '../../shared/ports/notifier.ts';

const sdk = sdkClientSettings();
const deps = {
  store: createStore({ tableName: requireEnv('TABLE_NAME'), clientConfig: sdk }),
  policy: loadPolicyFromEnv(),
};
const sns = new SNSClient(sdk);
const eventBridge = new EventBridgeClient(sdk);
withoutSdkRequestLog(sns, eventBridge);
await traceSdkClients([deps.store.doc, sns, eventBridge]);
const notifiers: Notifier[] = [new SnsNotifier(requireEnv('NOTIFY_TOPIC_ARN'), sns), new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'), eventBridge)];
// Addresses and links from the stack (context); SES sends, so no SMTP URL. A bad value fails the cold start naming it.
const delivery = loadDeliveryConfig(process.env, { publicUrl: '', smtp: false });
const slackSecretId = process.env.SLACK_WEBHOOK_SECRET_ID;
let slack: SlackNotifier | undefined;
if (slackSecretId) {
  const secrets = new SecretsProvider({ clientConfig: sdk });
  withoutSdkRequestLog(secrets.client);
  await traceSdkClients([secrets.client]);
  slack = new SlackNotifier({
    store: deps.store,
    // Cached for five minutes: a new webhook URL is picked up without a redeploy.
    webhookUrl: async () => {
      const url = await secrets.get(slackSecretId, { maxAge: 300 });
      if (typeof url !== 'string' || !url.startsWith('https://')) throw new Error(`secret ${slackSecretId} holds no https:// webhook URL`);
      return url;
    },
    publicUrl: delivery.publicUrl,
    now: () => new Date(),
  });
  notifiers.push(slack);
}
let mail: { sender: ReturnType<typeof sesMailSender>; from: string; to: string[] } | undefined;
if (delivery.mail) {
  const ses = new SESv2Client(sdk);
  withoutSdkRequestLog(ses);
  await traceSdkClients([ses]);
  mail = { sender: sesMailSender(ses), from: delivery.mail.from, to: delivery.mail.to };
}
const metrics = new Metrics({ namespace: 'Termwatch', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'termwatch-sweep' });

/**
 * Invoked hourly by EventBridge Scheduler; a thrown error makes the scheduler retry, then dead-letter.
 * Counts what the alarms watch (infra/stacks/stateless-stack.ts): SweepRuns (one per finished run;
 * none for two hours raises SweepNotRun), SweepFailures and DispatchFailures.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const slackDeadBefore = slack?.deadLettered ?? 0;
  try {
    const result = await runSweep(deps, new Date());
    // Everything recorded since the last run (by the sweep, the processor or the API) goes out now.
    // Then the day's email digest (once per recipient and day), after the day's work.
    const now = () => new Date();
    const delivered = await deliverAfterSweep(
      { store: deps.store, notifiers, now, ...(mail ? { digest: { store: deps.store, policy: deps.policy, mail, publicUrl: delivery.publicUrl, now } } : {}) },
      1000,
    );
    const dispatched = delivered.dispatched;
    metrics.addMetric('SweepRuns', MetricUnit.Count, 1);
    metrics.addMetric('SweepFailures', MetricUnit.Count, result.failures);
    metrics.addMetric('DispatchFailures', MetricUnit.Count, dispatched.failed);
    metrics.addMetric('NotificationsDispatched', MetricUnit.Count, dispatched.sent);
    logger.info('sweep finished', { ...result, dispatched, ...(delivered.digests ? { digests: delivered.digests } : {}) });
    const deadDigests = Object.values(delivered.digests ?? {}).filter((o) => o === 'dead_lettered').length;
    const deadSlack = slack ? slack.deadLettered - slackDeadBefore : 0;
    // Given up on after their retries: listed at GET /deliveries/dead-letters, and this pages.
    metrics.addMetric('DeliveriesDeadLettered', MetricUnit.Count, deadDigests + deadSlack);
    if (result.failures > 0) throw new Error(`sweep finished with ${result.failures} failures; they stay due for the next run`);
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
};
