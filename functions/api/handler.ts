import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { gatewayAuthenticator } from '../../shared/http/auth.ts';
import { apiHandlers } from '../../shared/http/api.ts';
import { createHttpApp } from '../../shared/http/app.ts';
import { logger } from '../../shared/powertools.ts';
import { sdkClientSettings } from '../../shared/config/sdk.ts';
import { createStore } from '../../shared/store/client.ts';
import { traceSdkClients } from '../../shared/tracing.ts';

const store = createStore({ tableName: requireEnv('TABLE_NAME'), clientConfig: sdkClientSettings() });
await traceSdkClients([store.doc]);

const app = createHttpApp({
  handlers: apiHandlers({
    store,
    policy: loadPolicyFromEnv(),
    clock: () => new Date(),
    // /health is anonymous: one store read per instance every 30 s, not one per call.
    healthCheckCacheMs: 30_000,
  }),
  fns: ['api'],
  includeLocalOnly: false,
  // API Gateway authorizes (IAM or JWT) before the function runs; see infra/.
  authenticate: gatewayAuthenticator({ groupsClaim: process.env.WATCHER_OIDC_GROUPS_CLAIM }),
});

export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  logger.addContext(context);
  return app(event);
};
