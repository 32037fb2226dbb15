import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxReceiveCount } from '../../infra/stacks/stateless-stack.ts';
import { routes } from '../../shared/http/routes.ts';
import { RECEIPT_PARTITION_PREFIX } from '../../shared/store/stripe-event.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import {
  acknowledgements,
  actionsOf,
  actionsOn,
  allNagFindings,
  buildAndSynth,
  functionStatements,
  logicalId,
  policyStatements,
  resourcesOf,
  unacknowledgedNagFindings,
  type BuiltApp,
} from './support.ts';
import { tableCallsOf } from './table-calls.ts';

/**
 * The deployed app in the SigV4-only mode (`auth=iam`, the default before issue 20; the default is
 * now Cognito and the dashboard: test/infra/dashboard.test.ts) with every other context default.
 * Built once: bundling four functions takes seconds.
 */
let built: BuiltApp;
beforeAll(() => {
  built = buildAndSynth({ auth: 'iam' });
}, 180_000);

const deployedRoutes = () => routes.filter((r) => !('localOnly' in r && r.localOnly));

describe('stateful stack', () => {
  it('builds the table from the shared definition: keys, TTL, every GSI', () => {
    const t = built.statefulTemplate;
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: gsi.projection },
      })),
    });
  });

  it('is on-demand, point-in-time recoverable, encrypted, deletion-protected and retained', () => {
    const t = built.statefulTemplate;
    t.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it('creates the Stripe secrets with a generated placeholder, never a literal value, and keeps them', () => {
    const t = built.statefulTemplate;
    const secrets = t.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(2);
    for (const secret of Object.values(secrets) as { DeletionPolicy: string; Properties: Record<string, unknown> }[]) {
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toBeDefined();
    }
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'termwatch/dev/stripe-webhook-secret' });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'termwatch/dev/stripe-api-key' });
  });

  it('encrypts the topic with a rotating customer key that alarms may use, and refuses non-TLS publishing', () => {
    const t = built.statefulTemplate;
    const keyId = logicalId(built.stateful.notifyKey);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    // No e-mail addresses in the default context: no subscriptions.
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('creates the event bus termwatch-<stage>', () => {
    built.statefulTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'termwatch-dev' });
  });

  it('outputs the table name (read by the backfill), topic, bus and secret ids', () => {
    const outputs = built.statefulTemplate.findOutputs('*');
    expect(outputs.TableName?.Value).toEqual({ Ref: logicalId(built.stateful.table) });
    for (const name of ['NotifyTopicArn', 'EventBusName', 'StripeWebhookSecretId', 'StripeApiKeySecretId']) {
      expect(outputs[name], name).toBeDefined();
    }
  });
});

describe('functions', () => {
  const functions = () => ({
    webhook: built.stateless.webhookFunction,
    processor: built.stateless.processorFunction,
    api: built.stateless.apiFunction,
    sweep: built.stateless.sweepFunction,
  });

  it('run Node.js 22 or later on arm64 with active tracing, explicit memory and timeout', () => {
    const lambdas = Object.values(built.statelessTemplate.findResources('AWS::Lambda::Function')) as {
      Properties: Record<string, any>;
    }[];
    expect(lambdas).toHaveLength(4);
    for (const { Properties: p } of lambdas) {
      const major = Number(/^nodejs(\d+)\.x$/.exec(p.Runtime)?.[1]);
      expect(major).toBeGreaterThanOrEqual(22);
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.TracingConfig).toEqual({ Mode: 'Active' });
      expect(p.MemorySize).toBeGreaterThanOrEqual(512);
      expect(p.Timeout).toBeGreaterThan(3);
      expect(p.Handler).toBe('index.handler');
    }
  });

  it('log to their own log group with a retention period', () => {
    const t = built.statelessTemplate;
    for (const [name, fn] of Object.entries(functions())) {
      const logGroupId = logicalId(fn.functionLogGroup);
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        LoggingConfig: { LogGroup: { Ref: logGroupId } },
        Description: Match.anyValue(),
      });
      const logGroup = t.toJSON().Resources[logGroupId];
      expect(logGroup?.Properties?.RetentionInDays, name).toBe(30);
    }
  });

  it('carry Powertools settings, source maps, the policy and only the ids of secrets', () => {
    const t = built.statelessTemplate;
    const lambdas = t.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const envOf = (name: keyof ReturnType<typeof functions>) =>
      lambdas[logicalId(functions()[name])]!.Properties.Environment.Variables as Record<string, unknown>;
    for (const name of ['webhook', 'processor', 'api', 'sweep'] as const) {
      const env = envOf(name);
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(env.POWERTOOLS_SERVICE_NAME).toBe(`termwatch-${name}`);
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(env.WATCHER_POLICY_JSON).toBe('{}');
      expect(env.TABLE_NAME).toEqual(expect.objectContaining({ 'Fn::ImportValue': expect.stringContaining(logicalId(built.stateful.table)) }));
      // Nothing secret travels in the environment.
      expect(JSON.stringify(env)).not.toMatch(/whsec_|sk_live|rk_live|resolve:secretsmanager|SecretString/);
    }
    const webhookEnv = envOf('webhook');
    expect(JSON.stringify(webhookEnv.STRIPE_WEBHOOK_SECRET_ID)).toContain(logicalId(built.stateful.stripeWebhookSecret));
    expect(webhookEnv.QUEUE_URL).toEqual({ Ref: logicalId(built.stateless.ingestQueue) });
    expect(envOf('api').AUTH_MODE).toBe('iam');
    expect(JSON.stringify(envOf('sweep').NOTIFY_TOPIC_ARN)).toContain(logicalId(built.stateful.notifyTopic));
    expect(JSON.stringify(envOf('sweep').EVENT_BUS_NAME)).toContain(logicalId(built.stateful.eventBus));
  });

  it('are bundled locally by esbuild as minified ESM with a createRequire banner and a source map', () => {
    const lambdas = built.statelessTemplate.findResources('AWS::Lambda::Function') as Record<string, { Properties: any }>;
    for (const { Properties: p } of Object.values(lambdas)) {
      const key = p.Code.S3Key as string;
      const dir = join(built.outdir, `asset.${key.replace(/\.zip$/, '')}`);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __watcherCreateRequire }')).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      // Minified: far fewer lines than a readable bundle of the same size.
      expect(code.split('\n').length).toBeLessThan(code.length / 500);
    }
  });
});

describe('ingestion', () => {
  it('queues to an encrypted, TLS-only queue that dead-letters after a bounded number of receives', () => {
    const t = built.statelessTemplate;
    const processorTimeout = (t.toJSON().Resources[logicalId(built.stateless.processorFunction)] as any).Properties.Timeout as number;
    const queue = t.toJSON().Resources[logicalId(built.stateless.ingestQueue)] as { Properties: any };
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(built.stateless.ingestDeadLetters.queue), 'Arn'] },
      maxReceiveCount,
    });
    expect(maxReceiveCount).toBe(5);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * processorTimeout);
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(built.stateless.ingestQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('feeds the processor in batches of 10 with partial batch responses', () => {
    const t = built.statelessTemplate;
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    const mapping = Object.values(t.findResources('AWS::Lambda::EventSourceMapping'))[0] as { Properties: any };
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built.stateless.ingestQueue), 'Arn'] },
      FunctionName: { Ref: logicalId(built.stateless.processorFunction) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(10);
  });

  it('alarms on dead letters and on every function error and throttle, paging the operations topic on ALARM and OK', () => {
    const t = built.statelessTemplate;
    // Issue 24: alarms page the operations topic, never the finance notification topic.
    const alarmTopic = [{ 'Fn::ImportValue': Match.stringLikeRegexp(logicalId(built.stateful.alarmTopic)) }];
    const topicAction = Match.arrayWith(alarmTopic);
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as { Properties: any }[]) {
      expect(JSON.stringify(alarm.Properties.AlarmActions)).not.toContain(logicalId(built.stateful.notifyTopic));
    }
    for (const dlq of [built.stateless.ingestDeadLetters, built.stateless.sweepDeadLetters]) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq.queue), 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: topicAction,
        OKActions: topicAction,
      });
    }
    const fns = [built.stateless.webhookFunction, built.stateless.processorFunction, built.stateless.apiFunction, built.stateless.sweepFunction];
    for (const fn of fns) {
      for (const metric of ['Errors', 'Throttles']) {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: 'AWS/Lambda',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: topicAction,
          OKActions: topicAction,
        });
      }
    }
  });
});

describe('HTTP API', () => {
  type Route = { Properties: { RouteKey: string; AuthorizationType: string; Target: unknown } };
  const routeResources = () => Object.values(built.statelessTemplate.findResources('AWS::ApiGatewayV2::Route')) as Route[];

  it('declares every deployable route of the shared list on its own, and nothing else', () => {
    const keys = routeResources()
      .map((r) => r.Properties.RouteKey)
      .sort();
    expect(keys).toEqual(
      deployedRoutes()
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    for (const key of keys) {
      expect(key).not.toBe('$default');
      expect(key).not.toContain('{proxy+}');
    }
    for (const r of routes.filter((x) => 'localOnly' in x && x.localOnly)) {
      expect(keys).not.toContain(`${r.method} ${r.path}`);
    }
  });

  it('puts finance routes behind IAM and leaves the public and Stripe-signed ones without an authorizer', () => {
    const byKey = new Map(routeResources().map((r) => [r.Properties.RouteKey, r.Properties]));
    for (const spec of deployedRoutes()) {
      const route = byKey.get(`${spec.method} ${spec.path}`);
      expect(route?.AuthorizationType, `${spec.method} ${spec.path}`).toBe(spec.auth === 'finance' ? 'AWS_IAM' : 'NONE');
    }
    expect(byKey.get('GET /health')?.AuthorizationType).toBe('NONE');
    expect(byKey.get('POST /webhooks/stripe')?.AuthorizationType).toBe('NONE');
    expect(byKey.get('GET /accounts')?.AuthorizationType).toBe('AWS_IAM');
    built.statelessTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('makes no user pool and no dashboard in this mode: nobody signs in with a browser', () => {
    const t = built.statelessTemplate;
    expect(built.stateless.identity).toBeUndefined();
    expect(built.stateless.dashboard).toBeUndefined();
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.resourceCountIs('AWS::CloudFront::Distribution', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    expect(t.findOutputs('AuthMode').AuthMode?.Value).toBe('iam');
  });

  it('sends each route to the function named in the list', () => {
    const t = built.statelessTemplate;
    const integrations = t.findResources('AWS::ApiGatewayV2::Integration') as Record<string, { Properties: any }>;
    const functionIds = { api: logicalId(built.stateless.apiFunction), webhook: logicalId(built.stateless.webhookFunction) };
    const byKey = new Map(routeResources().map((r) => [r.Properties.RouteKey, r.Properties]));
    for (const spec of deployedRoutes()) {
      const target = JSON.stringify(byKey.get(`${spec.method} ${spec.path}`)?.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      expect(integrationId, `${spec.method} ${spec.path}`).toBeDefined();
      expect(integrations[integrationId!]!.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionIds[spec.fn], 'Arn'] });
    }
  });

  it('throttles the $default stage and writes JSON access logs', () => {
    const t = built.statelessTemplate;
    const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: any };
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(built.stateless.api.accessLogGroup), 'Arn'],
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(format.status).toBe('$context.status');
  });

  it('outputs the API and webhook URLs', () => {
    const outputs = built.statelessTemplate.findOutputs('*');
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(logicalId(built.stateless.api.api));
    expect(JSON.stringify(outputs.WebhookUrl?.Value)).toContain('webhooks/stripe');
    for (const name of ['IngestQueueUrl', 'IngestDeadLetterQueueUrl', 'SweepDeadLetterQueueUrl']) {
      expect(outputs[name], name).toBeDefined();
    }
  });
});

describe('sweep schedule', () => {
  it('runs hourly at :00 UTC (reminders fall due at 06:00) with retries and a dead-letter queue', () => {
    const t = built.statelessTemplate;
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(built.stateless.sweepFunction), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(built.stateless.sweepDeadLetters.queue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
      }),
    });
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0] as { Properties: any };
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('dead-letters failed asynchronous sweep invocations to the same alarmed queue', () => {
    built.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(built.stateless.sweepDeadLetters.queue), 'Arn'] } },
    });
  });
});

describe('least privilege', () => {
  const tableId = () => logicalId(built.stateful.table);

  it('grants no "*" action, no service-wide "<service>:*", and Resource "*" only to X-Ray', () => {
    const statements = [...policyStatements(built.statefulTemplate), ...policyStatements(built.statelessTemplate)];
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      for (const action of actionsOf(s)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
      }
      if (resourcesOf(s).includes('*')) {
        expect(actionsOf(s).every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
    // No role carries an AWS managed policy (AWSLambdaBasicExecutionRole and the like).
    for (const template of [built.statefulTemplate, built.statelessTemplate]) {
      for (const role of Object.values(template.findResources('AWS::IAM::Role')) as { Properties: any }[]) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  // Issue 24 replaced read-write for all four with exactly what each function's code calls.
  it.each(['webhook', 'processor', 'api', 'sweep'] as const)(
    'gives the %s function exactly the table actions its bundled code calls, and Query on exactly the indexes it names',
    async (name) => {
      const fn = {
        webhook: built.stateless.webhookFunction,
        processor: built.stateless.processorFunction,
        api: built.stateless.apiFunction,
        sweep: built.stateless.sweepFunction,
      }[name];
      const calls = await tableCallsOf(`functions/${name}/handler.ts`);
      const statements = functionStatements(built.statelessTemplate, logicalId(fn)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      const onTable = statements.filter((s) => resourcesOf(s).every((r) => !JSON.stringify(r).includes('/index/')));
      const onIndexes = statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r).includes('/index/')));
      expect(onTable).toHaveLength(1);
      expect(JSON.stringify(resourcesOf(onTable[0]!))).toContain(tableId());
      expect(resourcesOf(onTable[0]!), 'the table only, no index and no wildcard').toHaveLength(1);
      // Both ways: nothing the code calls is missing (it would fail with AccessDenied), nothing more is granted.
      expect([...actionsOf(onTable[0]!)].sort(), JSON.stringify(calls.where)).toEqual(calls.actions);
      const indexResources = onIndexes
        .flatMap(resourcesOf)
        .map((r) => /\/index\/(\w+)/.exec(JSON.stringify(r))?.[1])
        .sort();
      expect(indexResources).toEqual(calls.indexes);
      for (const s of onIndexes) expect(actionsOf(s)).toEqual(['dynamodb:Query']);
      expect(JSON.stringify(statements)).not.toContain('/index/*');
    },
    120_000,
  );

  it('lets the webhook put only receipt items: PutItem under a dynamodb:LeadingKeys condition on the receipt prefix', () => {
    const statements = functionStatements(built.statelessTemplate, logicalId(built.stateless.webhookFunction)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(statements).toEqual([
      {
        Action: 'dynamodb:PutItem',
        Effect: 'Allow',
        Resource: expect.objectContaining({ 'Fn::ImportValue': expect.stringContaining(tableId()) }),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECEIPT_PARTITION_PREFIX}*`] } },
      },
    ]);
    expect(RECEIPT_PARTITION_PREFIX).toBe('EVT#');
  });

  it('lets the webhook send to the queue and read its one secret, and nothing the other functions need', () => {
    const s = functionStatements(built.statelessTemplate, logicalId(built.stateless.webhookFunction));
    expect(actionsOn(s, logicalId(built.stateless.ingestQueue))).toContain('sqs:SendMessage');
    expect(actionsOn(s, logicalId(built.stateless.ingestQueue))).not.toContain('sqs:ReceiveMessage');
    expect(actionsOn(s, logicalId(built.stateful.stripeWebhookSecret))).toEqual(['secretsmanager:GetSecretValue']);
    expect(actionsOn(s, logicalId(built.stateful.stripeApiKeySecret))).toEqual([]);
    const all = s.flatMap(actionsOf);
    expect(all).not.toContain('sns:Publish');
    expect(all).not.toContain('events:PutEvents');
  });

  it('lets the processor consume the queue but not send to it, and read no secret', () => {
    const s = functionStatements(built.statelessTemplate, logicalId(built.stateless.processorFunction));
    const onQueue = actionsOn(s, logicalId(built.stateless.ingestQueue));
    expect(onQueue).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    expect(onQueue).not.toContain('sqs:SendMessage');
    const all = s.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(all).not.toContain('sns:Publish');
  });

  it('gives the API function the table only', () => {
    const all = functionStatements(built.statelessTemplate, logicalId(built.stateless.apiFunction)).flatMap(actionsOf);
    expect(all.filter((a) => /^(sqs|sns|events|secretsmanager|kms):/.test(a))).toEqual([]);
  });

  it('lets the sweep publish to the topic (with its key) and put events on the bus, nothing more', () => {
    const s = functionStatements(built.statelessTemplate, logicalId(built.stateless.sweepFunction));
    expect(actionsOn(s, logicalId(built.stateful.notifyTopic))).toEqual(['sns:Publish']);
    expect(actionsOn(s, logicalId(built.stateful.notifyKey)).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(actionsOn(s, logicalId(built.stateful.eventBus))).toEqual(['events:PutEvents']);
    expect(actionsOn(s, logicalId(built.stateless.ingestQueue))).toEqual([]);
    expect(s.flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets the scheduler invoke only the sweep function (unqualified) and write only its dead-letter queue', () => {
    const t = built.statelessTemplate;
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0] as { Properties: any };
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(built.stateless.sweepFunction), 'Arn'] } },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(built.stateless.sweepDeadLetters.queue), 'Arn'] } },
    ]);
  });
});

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it('has no unacknowledged finding, error or warning', () => {
    expect(unacknowledgedNagFindings(built.app)).toEqual([]);
  });

  it('acknowledges only real findings, each with a specific reason', () => {
    const raw = allNagFindings(built.app);
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const matched = raw.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(matched, `${ack.rule} at ${ack.path} acknowledges nothing`).toBe(true);
      expect(ack.reason.length, `${ack.rule} at ${ack.path}`).toBeGreaterThan(60);
    }
    // Wildcard IAM findings are acknowledged one finding at a time, never the whole rule.
    expect(acks.filter((a) => a.rule === 'AwsSolutions-IAM5')).toEqual([]);
  });

  it('would report a finding that nobody acknowledged (the check itself works)', () => {
    const app = new App();
    const stack = new Stack(app, 'Canary');
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const rules = unacknowledgedNagFindings(app).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS4', 'Serverless-SQSRedrivePolicy']));
  });

  it('lets the app synthesize: CDK validation runs both packs and passes', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('stacks', () => {
  it('passes the stateful resources to the stateless stack, which depends on it', () => {
    expect(built.stateless.dependencies).toContain(built.stateful);
    expect(built.stateful.stackName).toBe('Termwatch-dev-Stateful');
    expect(built.stateless.stackName).toBe('Termwatch-dev-Stateless');
  });
});
