import { logger } from './powertools.ts';

/**
 * Powertools Tracer around AWS SDK v3 clients: one X-Ray subsegment per SDK call (DynamoDB, SQS,
 * SNS, EventBridge, Secrets Manager), under the function's own segment (active tracing).
 * Only when POWERTOOLS_TRACE_ENABLED is "true" (the stack's `tracer` setting, off by default:
 * docs/deploy-context.md gives the cold-start figure). Otherwise the clients are returned as they
 * are and the tracer, with the X-Ray SDK it brings, is never loaded; the stack leaves it out of
 * the bundle unless tracing is on (infra/constructs/watcher-function.ts).
 */
export async function traceSdkClients(clients: readonly object[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.POWERTOOLS_TRACE_ENABLED !== 'true') return false;
  let Tracer: typeof import('@aws-lambda-powertools/tracer').Tracer;
  try {
    ({ Tracer } = await import('@aws-lambda-powertools/tracer'));
  } catch (error) {
    // The stack bundles the tracer only with its `tracer` setting; the variable alone cannot add it.
    logger.warn('tracing asked for but the tracer is not in this bundle; SDK calls are not traced', { error: error as Error });
    return false;
  }
  const tracer = new Tracer({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'termwatch' });
  for (const client of clients) tracer.captureAWSv3Client(client);
  return true;
}
