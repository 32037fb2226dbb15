/**
 * Powertools Tracer around AWS SDK v3 clients: one X-Ray subsegment per SDK call (DynamoDB, SQS,
 * SNS, EventBridge, Secrets Manager), under the function's own segment (active tracing).
 * Only when POWERTOOLS_TRACE_ENABLED is "true" (the stack's `tracer` setting, off by default:
 * docs/deploy-context.md gives the cold-start figure). Otherwise the clients are returned as they
 * are and the tracer, with the X-Ray SDK it brings, is never loaded: the dynamic import keeps its
 * module code out of a cold start that does not use it.
 */
export async function traceSdkClients(clients: readonly object[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.POWERTOOLS_TRACE_ENABLED !== 'true') return false;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = new Tracer({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'termwatch' });
  for (const client of clients) tracer.captureAWSv3Client(client);
  return true;
}
