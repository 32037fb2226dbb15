import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { tableDefinition, type IndexName } from '../../shared/store/table.ts';
import { pagingTo, type AlarmSink } from './operations.ts';
import { repoRoot } from '../paths.ts';

/** Exactly what a function may do with the table: a preset, or the actions its code calls. */
export type TableAccess = 'read' | 'read-write' | TableGrant;

/** A DynamoDB action on items or the table, without the `dynamodb:` prefix. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'ConditionCheckItem'
  | 'DescribeTable'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem';

export interface TableGrant {
  /** The actions the function's code calls on the table (a transaction counts as its items' actions). */
  readonly actions: readonly TableAction[];
  /** The indexes it queries; they get `dynamodb:Query` only. */
  readonly queriesIndexes?: readonly IndexName[];
  /**
   * Partition-key prefixes it may touch (`EVT#`): a `dynamodb:LeadingKeys` condition, so even a
   * compromised function can write nothing but its own items.
   */
  readonly leadingKeyPrefixes?: readonly string[];
}

/**
 * Attempts the AWS SDK makes per request (its standard retry mode: the first try and two retries).
 * The request timeout is sized so that every attempt, with backoff, ends before the function does.
 */
export const sdkMaxAttempts = 3;
/** A DynamoDB, SQS or Secrets Manager request answers in milliseconds; one this slow is hung. */
const maxSdkRequestTimeoutMs = 5000;
const sdkConnectionTimeoutMs = 1000;

/** Request and connection timeouts for the SDK clients of a function that may run `timeout`. */
export function sdkTimeoutsFor(timeout: Duration): { requestTimeoutMs: number; connectionTimeoutMs: number } {
  // One share per attempt, plus one share left for backoff and the function's own work.
  const share = Math.floor(timeout.toMilliseconds() / (sdkMaxAttempts + 1));
  const requestTimeoutMs = Math.min(maxSdkRequestTimeoutMs, share);
  return { requestTimeoutMs, connectionTimeoutMs: Math.min(sdkConnectionTimeoutMs, Math.floor(requestTimeoutMs / 2)) };
}

const tableReadActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;
const tableWriteActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

export interface WatcherFunctionProps
  extends Omit<
    NodejsFunctionProps,
    'entry' | 'runtime' | 'architecture' | 'handler' | 'logGroup' | 'role' | 'bundling' | 'tracing' | 'projectRoot' | 'depsLockFilePath'
  > {
  /** Entry file relative to the repository root, e.g. `functions/webhook/handler.ts`; it exports `handler`. */
  readonly entry: string;
  /** POWERTOOLS_SERVICE_NAME: the `service` key on every log line and metric. */
  readonly serviceName: string;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly logRetention: RetentionDays;
  /** Wrap the AWS SDK clients with Powertools Tracer (POWERTOOLS_TRACE_ENABLED); off unless the stage turns it on. */
  readonly sdkTracing?: boolean;
}

/**
 * The one Lambda function shape of the watcher (after Powertools' `FunctionWithLogGroup`):
 * Node.js 24 on arm64, ESM bundle built locally by esbuild (minified, with source maps), its own
 * log group with a retention period, X-Ray active tracing, Powertools settings in the environment,
 * 512 MB and 30 s unless told otherwise.
 *
 * The execution role is created here instead of by Lambda so it carries no managed policy:
 * it may write to its own log group and to X-Ray, and gets every other permission by an explicit
 * grant (`bindTable`, or the stack's own grants).
 */
export class WatcherFunction extends NodejsFunction {
  readonly executionRole: iam.Role;
  readonly functionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WatcherFunctionProps) {
    const { entry, serviceName, logLevel, logRetention, environment, sdkTracing, ...rest } = props;
    const sdkTimeouts = sdkTimeoutsFor(rest.timeout ?? Duration.seconds(30));
    const logGroup = new LogGroup(scope, `${id}LogGroup`, { retention: logRetention });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${serviceName} function`,
    });

    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(30),
      ...rest,
      entry: `${repoRoot}/${entry}`,
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}/package-lock.json`,
      handler: 'handler',
      // The newest Node.js runtime this aws-cdk-lib knows (cdk-nag's LambdaLatestVersion asks for it).
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: logLevel,
        POWERTOOLS_METRICS_NAMESPACE: 'Termwatch',
        POWERTOOLS_TRACE_ENABLED: sdkTracing ? 'true' : 'false',
        // Read by shared/config/sdk.ts: a hung connection fails fast enough to be retried in time.
        WATCHER_SDK_REQUEST_TIMEOUT_MS: String(sdkTimeouts.requestTimeoutMs),
        WATCHER_SDK_CONNECTION_TIMEOUT_MS: String(sdkTimeouts.connectionTimeoutMs),
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Stack traces only need file:line mappings; the sources would double the asset.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // ESM output: CommonJS dependencies (stripe, parts of the AWS SDK) still call require().
        banner: "import { createRequire as __watcherCreateRequire } from 'node:module'; const require = __watcherCreateRequire(import.meta.url);",
        // Everything is bundled, the AWS SDK included, so the deployed code runs the versions tested;
        // but the tracer (and the X-Ray SDK, 120 KB) only when tracing is on, the only time it is imported.
        externalModules: ['@aws-lambda-powertools/tracer'],
        ...(sdkTracing ? { externalModules: [] } : {}),
        forceDockerBundling: false,
        // Quiet unless something is wrong; bundle sizes are in the cloud assembly.
        logLevel: LogLevel.WARNING,
      },
    });

    this.executionRole = role;
    this.functionLogGroup = logGroup;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    // Acknowledged on the role, so it covers only this role's policy, and only `Resource::*`.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statement Lambda adds for active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource "*": X-Ray has no resource-level permissions for them.',
    });
  }

  /**
   * Sets TABLE_NAME and grants exactly the table actions `access` names. A preset grants them on
   * the table and on each index of the shared definition (named one by one, not `index/*`); a
   * TableGrant grants its actions on the table and Query on the indexes it lists.
   */
  bindTable(table: ITable, access: TableAccess): void {
    this.addEnvironment('TABLE_NAME', table.tableName);
    if (typeof access === 'object') {
      this.executionRole.addToPolicy(
        new iam.PolicyStatement({
          actions: access.actions.map((a) => `dynamodb:${a}`),
          resources: [table.tableArn],
          ...(access.leadingKeyPrefixes
            ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': access.leadingKeyPrefixes.map((p) => `${p}*`) } } }
            : {}),
        }),
      );
      if (access.queriesIndexes && access.queriesIndexes.length > 0) {
        this.executionRole.addToPolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: access.queriesIndexes.map((name) => `${table.tableArn}/index/${name}`),
          }),
        );
      }
      return;
    }
    const actions = access === 'read-write' ? [...tableReadActions, ...tableWriteActions] : [...tableReadActions];
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [table.tableArn, ...tableDefinition.globalSecondaryIndexes.map((gsi) => `${table.tableArn}/index/${gsi.indexName}`)],
      }),
    );
  }

  /** Alarms on any error and any throttle in five minutes, paging through `alarms` (a topic: ALARM and OK actions). */
  addAlarms(alarms: AlarmSink | ITopic): cloudwatch.Alarm[] {
    const sink: AlarmSink = 'addAlarm' in alarms ? alarms : pagingTo(alarms);
    const period = Duration.minutes(5);
    const created = [
      { id: 'Errors', metric: this.metricErrors({ period, statistic: 'Sum' }), what: 'errors' },
      { id: 'Throttles', metric: this.metricThrottles({ period, statistic: 'Sum' }), what: 'throttled invocations' },
    ].map(
      ({ id, metric, what }) =>
        new cloudwatch.Alarm(this, `${id}Alarm`, {
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${this.node.id} function: ${what} in the last 5 minutes`,
        }),
    );
    return created.map((alarm) => sink.addAlarm(alarm));
  }
}
