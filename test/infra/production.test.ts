import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import { repoRoot } from '../../infra/paths.ts';
import { sdkMaxAttempts, sdkTimeoutsFor } from '../../infra/constructs/watcher-function.ts';
import { DeployContextError } from '../../infra/settings.ts';
import { ingestRetention } from '../../infra/stacks/stateless-stack.ts';
import { alarmThresholds } from '../../infra/stacks/operational-alarms.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { actionsOf, buildAndSynth, functionStatements, logicalId, unacknowledgedNagFindings, type BuiltApp } from './support.ts';

/**
 * Issue 24: production on AWS. The prod stage as committed in config/prod.json (no context
 * given): alarms that page an operations topic, protected state, per-route capacity, the sweep
 * bounded, SDK timeouts sized to each function.
 */
let prod: BuiltApp;
beforeAll(() => {
  prod = buildAndSynth({ stage: 'prod' });
}, 180_000);

/** Builds without bundling (CDK skips it for stacks not listed): for settings-level checks. */
const quickBuild = (context: Record<string, unknown>, configDir?: string) =>
  buildApp({ context: { 'aws:cdk:bundling-stacks': [], ...context }, ...(configDir ? { configDir } : {}) });

type Resource = { Type: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resources = (app: BuiltApp, which: 'statefulTemplate' | 'statelessTemplate') => app[which].toJSON().Resources as Record<string, Resource>;
const alarms = (app: BuiltApp) =>
  [...Object.entries(resources(app, 'statefulTemplate')), ...Object.entries(resources(app, 'statelessTemplate'))].filter(
    ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
  );
/** The alarm whose CloudFormation logical id starts with `prefix`. */
const alarm = (app: BuiltApp, prefix: string): Resource => {
  const found = alarms(app).filter(([id]) => id.startsWith(prefix));
  expect(
    found.map(([id]) => id),
    prefix,
  ).toHaveLength(1);
  return found[0]![1];
};

describe('committed per-stage configuration', () => {
  it('takes the prod stage from config/prod.json: account, region, policy, subscribers, log retention', () => {
    const committed = JSON.parse(readFileSync(join(repoRoot, 'config/prod.json'), 'utf8'));
    expect(prod.settings.configFile).toMatch(/config\/prod\.json$/);
    expect(prod.stateless.account).toBe(committed.account);
    expect(prod.stateless.region).toBe(committed.region);
    expect(prod.settings.policyInput).toEqual(committed.policy);
    expect(prod.settings.notifyEmails).toEqual(committed.notifyEmails);
    expect(prod.settings.alarmSubscribers.emails).toEqual(committed.alarmEmails);
    for (const group of Object.values(prod.statelessTemplate.findResources('AWS::Logs::LogGroup')) as Resource[]) {
      expect(group.Properties.RetentionInDays).toBe(committed.logRetentionDays);
    }
  });

  it('lets context given for one deploy override a committed value', () => {
    const built = quickBuild({ stage: 'prod', logRetentionDays: '90' });
    expect(built.settings.logRetentionDays).toBe(90);
    expect(built.settings.account).toBe(prod.settings.account);
  });

  it.each(['account', 'region', 'policy', 'notifyEmails', 'logRetentionDays', 'alarmEmails'])(
    'refuses a production stage whose committed file misses %s, even when context gives it',
    (key) => {
      const dir = mkdtempSync(join(tmpdir(), 'termwatch-config-'));
      const committed = JSON.parse(readFileSync(join(repoRoot, 'config/prod.json'), 'utf8'));
      const given = committed[key];
      delete committed[key];
      writeFileSync(join(dir, 'prod.json'), JSON.stringify(committed));
      expect(() => quickBuild({ stage: 'prod', [key]: given }, dir)).toThrow(DeployContextError);
      expect(() => quickBuild({ stage: 'prod', [key]: given }, dir)).toThrow(new RegExp(`prod\\.json: a production stage must commit ${key}`));
    },
  );

  it('refuses a production stage with no committed file at all, and a file with an unknown key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'termwatch-config-'));
    expect(() => quickBuild({ stage: 'prod' }, dir)).toThrow(/production stage and has no committed config\/prod\.json/);
    expect(() => quickBuild({ stage: 'live', production: 'true', alarmEmails: 'oncall@example.com' }, dir)).toThrow(
      /production stage and has no committed config\/live\.json/,
    );
    writeFileSync(join(dir, 'staging.json'), JSON.stringify({ alarmEmails: ['a@example.com'], logRetention: 30 }));
    expect(() => quickBuild({ stage: 'staging' }, dir)).toThrow(/"logRetention" is not a per-stage key/);
  });

  it('fails synth with a clear message for a non-dev stage without an alarm subscriber', () => {
    const dir = mkdtempSync(join(tmpdir(), 'termwatch-config-'));
    expect(() => quickBuild({ stage: 'staging' }, dir)).toThrow(
      new DeployContextError(
        'CDK context is invalid: alarmEmails: stage "staging" has no alarm subscriber; give alarmEmails or alarmHttpsEndpoints (in config/staging.json) so someone is paged',
      ),
    );
    expect(quickBuild({ stage: 'staging', alarmHttpsEndpoints: 'https://events.pagerduty.com/integration/abc/enqueue' }, dir).settings.stage).toBe('staging');
    // dev may run without one (a developer's own stage).
    expect(quickBuild({}).settings.alarmSubscribers).toEqual({ emails: [], httpsEndpoints: [] });
  });
});

describe('operations alarm topic', () => {
  it('is its own encrypted topic, apart from the finance notifications, subscribed from alarmEmails', () => {
    const t = prod.statefulTemplate;
    const alarmTopic = logicalId(prod.stateful.alarmTopic);
    expect(alarmTopic).not.toBe(logicalId(prod.stateful.notifyTopic));
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(prod.stateful.notifyKey), 'Arn'] },
      DisplayName: 'Termwatch prod alarms',
    });
    const subscriptions = Object.values(t.findResources('AWS::SNS::Subscription')) as Resource[];
    const onAlarmTopic = subscriptions.filter((s) => s.Properties.TopicArn.Ref === alarmTopic);
    const onNotifyTopic = subscriptions.filter((s) => s.Properties.TopicArn.Ref === logicalId(prod.stateful.notifyTopic));
    expect(onAlarmTopic.map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([['email', 'oncall@example.com']]);
    expect(onNotifyTopic.map((s) => s.Properties.Endpoint)).toEqual(['finance@example.com']);
    for (const s of onAlarmTopic) expect(s.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]).toMatch(/^AlarmDeadLetters/);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: alarmTopic }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
    expect(prod.statefulTemplate.findOutputs('AlarmTopicArn').AlarmTopicArn?.Value).toEqual({ Ref: alarmTopic });
  });

  it('takes HTTPS endpoints (paging services) too', () => {
    const built = quickBuild({ stage: 'prod', alarmHttpsEndpoints: 'https://events.pagerduty.com/integration/abc/enqueue' });
    const t = Object.values(built.app.synth({ force: true }).getStackByName(built.stateful.stackName).template.Resources) as Resource[];
    const https = t.filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Protocol === 'https');
    expect(https.map((r) => r.Properties.Endpoint)).toEqual(['https://events.pagerduty.com/integration/abc/enqueue']);
  });

  it('receives the ALARM and the OK action of every alarm, in both stacks; the finance topic none', () => {
    const all = alarms(prod);
    expect(all.length).toBeGreaterThanOrEqual(20);
    const alarmTopic = logicalId(prod.stateful.alarmTopic);
    for (const [id, a] of all) {
      const actions = [a.Properties.AlarmActions, a.Properties.OKActions];
      for (const list of actions) {
        expect(list, id).toHaveLength(1);
        expect(JSON.stringify(list), id).toContain(alarmTopic);
        expect(JSON.stringify(list), id).not.toContain(logicalId(prod.stateful.notifyTopic));
      }
    }
  });
});

describe('alarms that see real failures', () => {
  it('API Gateway 5xx answers of the HTTP API', () => {
    const a = alarm(prod, 'Api5xxAlarm').Properties;
    expect(a).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(prod.stateless.api.api) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: alarmThresholds.api5xxPer5Minutes,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('p99 latency of the webhook route, from per-route metrics the stage turns on for it', () => {
    const a = alarm(prod, 'WebhookLatencyAlarm').Properties;
    expect(a).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: alarmThresholds.webhookP99Ms,
      EvaluationPeriods: 3,
    });
    expect(a.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiId', Value: { Ref: logicalId(prod.stateless.api.api) } },
        { Name: 'Stage', Value: '$default' },
        { Name: 'Route', Value: 'POST /webhooks/stripe' },
      ]),
    );
    const stage = Object.values(prod.statelessTemplate.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource;
    expect(stage.Properties.RouteSettings['POST /webhooks/stripe'].DetailedMetricsEnabled).toBe(true);
  });

  it('StripeEventsRefused, the metric the webhook emits (service dimension of Powertools Metrics)', () => {
    const a = alarm(prod, 'StripeEventsRefusedAlarm').Properties;
    expect(a).toMatchObject({
      Namespace: 'Termwatch',
      MetricName: 'StripeEventsRefused',
      Dimensions: [{ Name: 'service', Value: 'termwatch-webhook' }],
      Statistic: 'Sum',
      Period: 900,
      Threshold: alarmThresholds.stripeEventsRefusedPer15Minutes,
      TreatMissingData: 'notBreaching',
    });
    expect(a.AlarmDescription).toContain('StripeWebhookSecretId');
    const env = resources(prod, 'statelessTemplate')[logicalId(prod.stateless.webhookFunction)]!.Properties.Environment.Variables;
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('termwatch-webhook');
  });

  it("the ingest queue's oldest message age", () => {
    expect(alarm(prod, 'IngestQueueAgeAlarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(prod.stateless.ingestQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: alarmThresholds.ingestOldestMessageSeconds,
    });
  });

  it('failures the sweep, the dispatcher and delivery to people count', () => {
    for (const [prefix, metric] of [
      ['SweepFailuresAlarm', 'SweepFailures'],
      ['DispatchFailuresAlarm', 'DispatchFailures'],
      ['DeliveriesDeadLetteredAlarm', 'DeliveriesDeadLettered'],
    ] as const) {
      expect(alarm(prod, prefix).Properties, prefix).toMatchObject({
        Namespace: 'Termwatch',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'termwatch-sweep' }],
        Statistic: 'Sum',
        Period: 3600,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('the sweep not having run for two hourly periods, missing data breaching', () => {
    expect(alarm(prod, 'SweepNotRunAlarm').Properties).toMatchObject({
      Namespace: 'Termwatch',
      MetricName: 'SweepRuns',
      Dimensions: [{ Name: 'service', Value: 'termwatch-sweep' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('DynamoDB read and write throttling on the table and on every index', () => {
    const a = alarm(prod, 'DynamoThrottlesAlarm').Properties;
    const metrics = (a.Metrics as any[]).filter((m) => m.MetricStat);
    const seen = metrics.map((m) => {
      const dims = Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
      expect(JSON.stringify(dims.TableName)).toContain(logicalId(prod.stateful.table));
      return `${m.MetricStat.Metric.MetricName}:${dims.GlobalSecondaryIndexName ?? 'table'}`;
    });
    const expected = ['table', ...tableDefinition.globalSecondaryIndexes.map((g) => g.indexName)].flatMap((on) => [
      `ReadThrottleEvents:${on}`,
      `WriteThrottleEvents:${on}`,
    ]);
    expect(seen.sort()).toEqual(expected.sort());
    const expression = (a.Metrics as any[]).find((m) => m.Expression);
    expect(expression.ReturnData).not.toBe(false);
    expect(a.Threshold).toBe(alarmThresholds.dynamoThrottlesPer5Minutes);
  });

  it('every dead-letter queue, in both stacks', () => {
    const queues = [...Object.entries(resources(prod, 'statefulTemplate')), ...Object.entries(resources(prod, 'statelessTemplate'))].filter(
      ([id, r]) => r.Type === 'AWS::SQS::Queue' && id !== logicalId(prod.stateless.ingestQueue),
    );
    expect(queues.map(([id]) => id.replace(/Queue[0-9A-F]{8}$/, '')).sort()).toEqual([
      'AlarmDeadLetters',
      'IngestDeadLetters',
      'NotifyDeadLetters',
      'SweepDeadLetters',
    ]);
    for (const [id] of queues) {
      const watching = alarms(prod).filter(
        ([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Properties.Dimensions).includes(`"${id}"`),
      );
      expect(watching, id).toHaveLength(1);
    }
  });

  it('one CloudWatch dashboard showing every alarm of the stack', () => {
    const dashboards = Object.values(prod.statelessTemplate.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('Termwatch-prod');
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    const stackAlarms = Object.keys(prod.statelessTemplate.findResources('AWS::CloudWatch::Alarm'));
    expect(stackAlarms.length).toBeGreaterThanOrEqual(16);
    for (const id of stackAlarms) expect(body, id).toContain(`"${id}"`);
  });
});

describe('accepted events and state protected', () => {
  it('keeps accepted events 14 days and retains the ingest queue and every dead-letter queue', () => {
    expect(ingestRetention.toDays()).toBe(14);
    const queues = [...Object.values(resources(prod, 'statefulTemplate')), ...Object.values(resources(prod, 'statelessTemplate'))].filter(
      (r) => r.Type === 'AWS::SQS::Queue',
    );
    expect(queues.length).toBe(5);
    for (const q of queues) {
      expect(q.Properties.MessageRetentionPeriod).toBe(Duration.days(14).toSeconds());
      expect(q.DeletionPolicy).toBe('Retain');
      expect(q.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('turns termination protection on for both prod stacks, and leaves dev stacks deletable', () => {
    expect(prod.stateful.terminationProtection).toBe(true);
    expect(prod.stateless.terminationProtection).toBe(true);
    const dev = quickBuild({});
    expect(dev.stateful.terminationProtection).toBe(false);
    expect(dev.stateless.terminationProtection).toBe(false);
  });

  it('backs up the table with AWS Backup on prod (daily 35 days, monthly a year), with a role that has no managed policy', () => {
    const t = prod.statefulTemplate;
    t.resourceCountIs('AWS::Backup::BackupPlan', 1);
    t.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ BackupVaultName: 'termwatch-prod' }) });
    const plan = Object.values(t.findResources('AWS::Backup::BackupPlan'))[0] as Resource;
    const rules = plan.Properties.BackupPlan.BackupPlanRule as any[];
    expect(rules.map((r) => r.Lifecycle.DeleteAfterDays).sort((a, b) => a - b)).toEqual([35, 365]);
    const selection = Object.values(t.findResources('AWS::Backup::BackupSelection'))[0] as Resource;
    expect(selection.Properties.BackupSelection.Resources).toEqual([{ 'Fn::GetAtt': [logicalId(prod.stateful.table), 'Arn'] }]);
    const roleId = selection.Properties.BackupSelection.IamRoleArn['Fn::GetAtt'][0];
    const role = resources(prod, 'statefulTemplate')[roleId]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      [
        'dynamodb:CreateBackup',
        'dynamodb:DeleteBackup',
        'dynamodb:DescribeBackup',
        'dynamodb:DescribeTable',
        'dynamodb:ListTagsOfResource',
        'dynamodb:StartAwsBackupJob',
      ].sort(),
    );
  });

  it('makes the backup plan a context setting: off on dev unless asked for', () => {
    expect(quickBuild({}).stateful.backupPlan).toBeUndefined();
    expect(quickBuild({ backup: 'true' }).stateful.backupPlan).toBeDefined();
    expect(quickBuild({ stage: 'prod', backup: 'false' }).stateful.backupPlan).toBeUndefined();
  });

  // A changed logical id is a replaced resource: a new, empty table or queue, the old one deleted
  // (or orphaned). These ids are what is deployed; renaming a construct must fail here first.
  it('pins the logical ids of the stateful resources', () => {
    const ids = {
      table: logicalId(prod.stateful.table),
      webhookSecret: logicalId(prod.stateful.stripeWebhookSecret),
      apiKeySecret: logicalId(prod.stateful.stripeApiKeySecret),
      key: logicalId(prod.stateful.notifyKey),
      notifyTopic: logicalId(prod.stateful.notifyTopic),
      alarmTopic: logicalId(prod.stateful.alarmTopic),
      eventBus: logicalId(prod.stateful.eventBus),
      ingestQueue: logicalId(prod.stateless.ingestQueue),
      ingestDeadLetters: logicalId(prod.stateless.ingestDeadLetters.queue),
      sweepDeadLetters: logicalId(prod.stateless.sweepDeadLetters.queue),
    };
    expect(ids).toEqual({
      table: 'TableCD117FA1',
      webhookSecret: 'StripeWebhookSecretFCDDBC6A',
      apiKeySecret: 'StripeApiKeySecret4BFEAEC3',
      key: 'NotifyKey60FE7907',
      notifyTopic: 'NotifyTopic5FFA0016',
      alarmTopic: 'AlarmTopicD01E77F9',
      eventBus: 'EventBus7B8748AA',
      ingestQueue: 'IngestQueue2280FF4E',
      ingestDeadLetters: 'IngestDeadLettersQueue965D9708',
      sweepDeadLetters: 'SweepDeadLettersQueue166BD77E',
    });
    const stateful = resources(prod, 'statefulTemplate');
    expect(Object.keys(stateful)).toEqual(
      expect.arrayContaining(['AlarmDeadLettersQueue58E81798', 'NotifyDeadLettersQueueF371A71C', 'BackupVault3A9C5852', 'BackupPlanA8F64793']),
    );
  });
});

describe('capacity isolation', () => {
  const stage = () => (Object.values(prod.statelessTemplate.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource).Properties;

  it('gives the webhook, the anonymous routes and the calendar feed throttles of their own; finance routes keep the stage default', () => {
    const settings = stage().RouteSettings as Record<string, any>;
    expect(settings['POST /webhooks/stripe']).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    for (const key of ['GET /health', 'GET /openapi.json']) {
      expect(settings[key], key).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    }
    expect(settings['GET /calendar/{feedFile}']).toMatchObject({ ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 });
    expect(Object.keys(settings).sort()).toEqual(['GET /calendar/{feedFile}', 'GET /health', 'GET /openapi.json', 'POST /webhooks/stripe']);
    expect(stage().DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  it('takes the per-route limits from context', () => {
    const built = quickBuild({
      webhookThrottleRate: '80',
      webhookThrottleBurst: '160',
      publicThrottleRate: '2',
      publicThrottleBurst: '4',
      feedThrottleRate: '1',
      feedThrottleBurst: '3',
    });
    expect(built.settings.routeThrottles).toEqual({
      webhook: { rateLimit: 80, burstLimit: 160 },
      public: { rateLimit: 2, burstLimit: 4 },
      feed: { rateLimit: 1, burstLimit: 3 },
    });
  });

  it('caches the /health store check in the API function', () => {
    const source = readFileSync(join(repoRoot, 'functions/api/handler.ts'), 'utf8');
    expect(source).toMatch(/healthCheckCacheMs:\s*30_000/);
  });

  it('bounds the processor with maxConcurrency on the SQS event source', () => {
    const mapping = Object.values(prod.statelessTemplate.findResources('AWS::Lambda::EventSourceMapping'))[0] as Resource;
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(() => quickBuild({ processorMaxConcurrency: '1' })).toThrow(/processorMaxConcurrency: must be at least 2/);
  });

  it('runs one sweep at a time, with bounded async retries and event age', () => {
    const t = prod.statelessTemplate;
    const sweep = resources(prod, 'statelessTemplate')[logicalId(prod.stateless.sweepFunction)]!;
    expect(sweep.Properties.ReservedConcurrentExecutions).toBe(1);
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(prod.stateless.sweepFunction) },
      MaximumEventAgeInSeconds: 3600,
      MaximumRetryAttempts: 2,
    });
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } }),
    });
  });

  it('sizes SDK request timeouts to each function: every attempt ends before the function times out', () => {
    const all = resources(prod, 'statelessTemplate');
    for (const fn of [prod.stateless.webhookFunction, prod.stateless.processorFunction, prod.stateless.apiFunction, prod.stateless.sweepFunction]) {
      const p = all[logicalId(fn)]!.Properties;
      const request = Number(p.Environment.Variables.WATCHER_SDK_REQUEST_TIMEOUT_MS);
      const connection = Number(p.Environment.Variables.WATCHER_SDK_CONNECTION_TIMEOUT_MS);
      expect(request, fn.node.id).toBeGreaterThan(0);
      expect(connection, fn.node.id).toBeGreaterThan(0);
      expect(connection, fn.node.id).toBeLessThanOrEqual(request);
      expect(sdkMaxAttempts * request, fn.node.id).toBeLessThan(p.Timeout * 1000);
    }
    // The webhook (10 s): a hung connection is given up after 2.5 s, so the SDK's retries still fit.
    expect(sdkTimeoutsFor(Duration.seconds(10))).toEqual({ requestTimeoutMs: 2500, connectionTimeoutMs: 1000 });
    expect(all[logicalId(prod.stateless.webhookFunction)]!.Properties.Environment.Variables.WATCHER_SDK_REQUEST_TIMEOUT_MS).toBe('2500');
  });
});

describe('outputs named as the README names them', () => {
  it('with auth=cognito, UserPoolId, ClientId, Issuer and HostedUiUrl (no construct-path hash)', () => {
    const built = quickBuild({ auth: 'cognito', dashboardCallbackUrls: 'https://termwatch.example.com/app/' });
    const outputs = Object.keys(built.app.synth({ force: true }).getStackByName(built.stateless.stackName).template.Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['UserPoolId', 'ClientId', 'Issuer', 'HostedUiUrl', 'ApiUrl', 'WebhookUrl', 'DashboardUrl']));
  });
});

describe('Powertools Tracer around the SDK clients', () => {
  const traceSettingOf = (context: Record<string, unknown>) => {
    const built = quickBuild(context);
    const template = built.app.synth({ force: true }).getStackByName(built.stateless.stackName).template;
    return (Object.values(template.Resources) as Resource[])
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
      .map((r) => r.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED);
  };

  it('is off by default on every function (it costs a cold start more than it pays: docs/deploy-context.md), on with tracer=true', () => {
    expect(traceSettingOf({})).toEqual(['false', 'false', 'false', 'false']);
    expect(traceSettingOf({ tracer: 'true' })).toEqual(['true', 'true', 'true', 'true']);
    for (const fn of [prod.stateless.webhookFunction, prod.stateless.apiFunction]) {
      expect(resources(prod, 'statelessTemplate')[logicalId(fn)]!.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('leaves the tracer and the X-Ray SDK out of the bundles while tracing is off (120 KB each, never imported)', () => {
    for (const fn of [prod.stateless.webhookFunction, prod.stateless.processorFunction, prod.stateless.apiFunction, prod.stateless.sweepFunction]) {
      const key = resources(prod, 'statelessTemplate')[logicalId(fn)]!.Properties.Code.S3Key as string;
      const code = readFileSync(join(prod.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
      expect(code, fn.node.id).toContain('import("@aws-lambda-powertools/tracer")');
      expect(code, fn.node.id).not.toMatch(/aws-xray-sdk|AWSXRay/);
    }
  });
});

describe('least privilege, the parts outside the table', () => {
  it('lets no function publish to the alarm topic (only CloudWatch does)', () => {
    for (const fn of [prod.stateless.webhookFunction, prod.stateless.processorFunction, prod.stateless.apiFunction, prod.stateless.sweepFunction]) {
      const statements = functionStatements(prod.statelessTemplate, logicalId(fn));
      expect(JSON.stringify(statements), fn.node.id).not.toContain(logicalId(prod.stateful.alarmTopic));
    }
  });
});

describe('cdk-nag on the prod stage', () => {
  it('has no unacknowledged finding', () => {
    expect(unacknowledgedNagFindings(prod.app)).toEqual([]);
  });
});
