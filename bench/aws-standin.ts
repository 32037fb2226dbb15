import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in, on 127.0.0.1, for the AWS services a function calls besides DynamoDB: Secrets
 * Manager (the webhook's signing secret), SQS (the webhook queues each event), SNS and
 * EventBridge (the sweep publishes notifications). It answers each call at once with what the
 * SDK expects (SQS's MD5 of the body included), so a cold start measures the function's own
 * work and its DynamoDB requests, not a remote service. Benchmark use only.
 */
export interface AwsStandIn {
  endpoint: string;
  /** Calls answered, by `Service.Operation`. */
  calls: Map<string, number>;
  /** The variables that point the SDK's clients here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function json(res: ServerResponse, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

export async function startAwsStandIn(secrets: Record<string, string>): Promise<AwsStandIn> {
  const calls = new Map<string, number>();
  const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      const contentType = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
      if (target) {
        count(target);
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (target === 'secretsmanager.GetSecretValue') {
          const id = String(body.SecretId);
          const value = secrets[id];
          if (value === undefined) {
            res.writeHead(400, { 'content-type': contentType });
            return res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `no secret ${id}` }));
          }
          return json(res, { ARN: id, Name: id, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 0 }, contentType);
        }
        if (target === 'AmazonSQS.SendMessage') {
          const md5 = createHash('md5')
            .update(String(body.MessageBody ?? ''))
            .digest('hex');
          return json(res, { MessageId: randomUUID(), MD5OfMessageBody: md5 }, contentType);
        }
        if (target === 'AWSEvents.PutEvents') {
          const entries = Array.isArray(body.Entries) ? body.Entries : [];
          return json(res, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) }, contentType);
        }
        if (target.endsWith('.Publish')) return json(res, { MessageId: randomUUID() }, contentType);
        res.writeHead(400, { 'content-type': contentType });
        return res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      }
      // SNS's query protocol: form-encoded Action, XML answer.
      const action = new URLSearchParams(text).get('Action') ?? 'unknown';
      count(`sns.${action}`);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result><MessageId>${randomUUID()}</MessageId></${action}Result>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      // The SQS client sends to the queue URL's host, whatever its endpoint says.
      QUEUE_URL: `${endpoint}/000000000000/termwatch-bench`,
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
