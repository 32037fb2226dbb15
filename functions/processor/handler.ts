import type { Context, SQSEvent } from 'aws-lambda';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { requireEnv } from '../../shared/config/env.ts';
import { logger } from '../../shared/powertools.ts';
import { sdkClientSettings } from '../../shared/config/sdk.ts';
import { createStore } from '../../shared/store/client.ts';
import { traceSdkClients } from '../../shared/tracing.ts';
import { createProcessor } from './processor.ts';

const store = createStore({ tableName: requireEnv('TABLE_NAME'), clientConfig: sdkClientSettings() });
await traceSdkClients([store.doc]);

const processBatch = createProcessor({
  store,
  policy: loadPolicyFromEnv(),
  clock: () => new Date(),
});

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processBatch(event, context);
};
