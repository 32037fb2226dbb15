import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { traceSdkClients } from '../../shared/tracing.ts';

const middlewareNames = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().join('\n');

describe('Powertools Tracer around the SDK clients', () => {
  it('leaves the clients alone unless POWERTOOLS_TRACE_ENABLED is "true" (the stack default is off)', async () => {
    const client = new DynamoDBClient({ region: 'eu-west-1' });
    const before = middlewareNames(client);
    for (const value of [undefined, 'false', '']) {
      expect(await traceSdkClients([client], value === undefined ? {} : { POWERTOOLS_TRACE_ENABLED: value })).toBe(false);
    }
    expect(middlewareNames(client)).toBe(before);
  });

  it('adds the X-Ray capture middleware to every client it is given when enabled', async () => {
    // The tracer switches itself off outside Lambda; this is what Lambda sets.
    const previous = process.env.AWS_EXECUTION_ENV;
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
    onTestFinished(() => {
      if (previous === undefined) delete process.env.AWS_EXECUTION_ENV;
      else process.env.AWS_EXECUTION_ENV = previous;
    });
    const dynamo = new DynamoDBClient({ region: 'eu-west-1' });
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const before = [middlewareNames(dynamo), middlewareNames(sqs)];
    expect(await traceSdkClients([dynamo, sqs], { POWERTOOLS_TRACE_ENABLED: 'true', POWERTOOLS_SERVICE_NAME: 'test' })).toBe(true);
    for (const [i, client] of [dynamo, sqs].entries()) {
      const after = middlewareNames(client);
      expect(after).not.toBe(before[i]);
      expect(after).toMatch(/XRaySDK/i);
    }
  });
});
