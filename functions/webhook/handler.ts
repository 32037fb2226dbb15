import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { SqsEventQueue } from '../../shared/adapters/sqs-event-queue.ts';
import { gatewayAuthenticator } from '../../shared/http/auth.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { webhookHandlers } from '../../shared/http/webhook-routes.ts';
import { logger } from '../../shared/powertools.ts';
import { sdkClientSettings, withoutSdkRequestLog } from '../../shared/config/sdk.ts';
import { createStore } from '../../shared/store/client.ts';
import { traceSdkClients } from '../../shared/tracing.ts';

const secretId = requireEnv('STRIPE_WEBHOOK_SECRET_ID');
const sdk = sdkClientSettings();
const secrets = new SecretsProvider({ clientConfig: sdk });
const store = createStore({ tableName: requireEnv('TABLE_NAME'), clientConfig: sdk });
const sqs = new SQSClient(sdk);
withoutSdkRequestLog(sqs, secrets.client);
await traceSdkClients([store.doc, sqs, secrets.client]);
const metrics = new Metrics({ namespace: 'Termwatch', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'termwatch' });

const app = createHttpApp({
  handlers: webhookHandlers({
    store,
    queue: new SqsEventQueue(requireEnv('QUEUE_URL'), sqs),
    // Cached for five minutes: a rotated secret is picked up without a redeploy.
    webhookSecret: async () => {
      const secret = await secrets.get(secretId, { maxAge: 300 });
      if (typeof secret !== 'string' || secret === '') throw new Error(`secret ${secretId} has no value`);
      return secret.trim();
    },
    clock: () => new Date(),
    // Ignored types are counted, never stored: StripeEventsIgnored shows what Stripe sends that we do not use.
    count: (outcome) => metrics.addMetric(`StripeEvents${outcome[0]!.toUpperCase()}${outcome.slice(1)}`, MetricUnit.Count, 1),
  }),
  fns: ['webhook'],
  includeLocalOnly: false,
  authenticate: gatewayAuthenticator(),
});

export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  logger.addContext(context);
  try {
    return await app(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
