import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { WatcherFunction } from '../../infra/constructs/watcher-function.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { actionsOf, functionStatements, logicalId, resourcesOf } from './support.ts';

/** One function bound read-only, to check the construct on its own (the app binds all four read-write). */
let template: Template;
let fn: WatcherFunction;
beforeAll(() => {
  const stack = new Stack(new App(), 'ConstructTest');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: tableDefinition.partitionKey, type: dynamodb.AttributeType.STRING },
  });
  fn = new WatcherFunction(stack, 'Reader', {
    entry: 'functions/processor/handler.ts',
    serviceName: 'termwatch-reader',
    logLevel: 'WARN',
    logRetention: RetentionDays.ONE_WEEK,
  });
  fn.bindTable(table, 'read');
  fn.addAlarms(new sns.Topic(stack, 'Topic'));
  template = Template.fromStack(stack);
}, 120_000);

describe('WatcherFunction', () => {
  it('grants read-only access as exactly the read actions, on the table and its named indexes', () => {
    const statements = functionStatements(template, logicalId(fn)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0]!).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    expect(resourcesOf(statements[0]!)).toHaveLength(1 + tableDefinition.globalSecondaryIndexes.length);
  });

  it('fixes its defaults: 512 MB, 30 s, Node.js 24 arm64, own log group, Powertools environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 30,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogGroup: { Ref: logicalId(fn.functionLogGroup) } },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'termwatch-reader',
          POWERTOOLS_LOG_LEVEL: 'WARN',
          POWERTOOLS_METRICS_NAMESPACE: 'Termwatch',
          TABLE_NAME: { Ref: 'TableCD117FA1' },
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('lets the role write only to its own log group, with no managed policy', () => {
    const statements = functionStatements(template, logicalId(fn));
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(fn.functionLogGroup), 'Arn'] },
      },
    ]);
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0] as { Properties: Record<string, unknown> };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('adds an error and a throttle alarm', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });
});
