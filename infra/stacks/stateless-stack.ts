import { CfnOutput, CrossStackReferences, Duration, Lazy, ReferenceStrength, RemovalPolicy, Stack, TimeZone, Validations, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { routes } from '../../shared/http/routes.ts';
import { handledEventTypes } from '../../shared/stripe/events.ts';
import { DashboardSite } from '../constructs/dashboard-site.ts';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.ts';
import { Identity } from '../constructs/identity.ts';
import { Operations } from '../constructs/operations.ts';
import { WatcherApi } from '../constructs/watcher-api.ts';
import { WatcherFunction } from '../constructs/watcher-function.ts';
import { tableGrants } from './table-grants.ts';
import { addOperationalAlarms } from './operational-alarms.ts';
import { dashboardSignIn } from './dashboard-sign-in.ts';
import type { DeploySettings } from '../settings.ts';

/** The stateful resources this stack uses, passed as typed references (never looked up by name). */
export interface StatelessStackProps extends StackProps {
  readonly settings: DeploySettings;
  readonly table: ITable;
  readonly notifyTopic: ITopic;
  readonly notifyKey: IKey;
  /** The operations topic every alarm pages (ALARM and OK). */
  readonly alarmTopic: ITopic;
  readonly eventBus: events.IEventBus;
  readonly stripeWebhookSecret: ISecret;
  /** Slack's incoming-webhook URL, when context `slack` is on. */
  readonly slackWebhookSecret?: ISecret;
  /** The SES identity the digest is sent from, when context `mailFrom` is set. */
  readonly mailIdentity?: { readonly emailIdentityName: string; readonly emailIdentityArn: string };
}

/** Messages a receive this many times without success go to the dead-letter queue. */
export const maxReceiveCount = 5;
const processorTimeout = Duration.seconds(30);
const processorBatchWindow = Duration.seconds(5);
/** How long SQS keeps an accepted event: the maximum, so an outage of days loses nothing Stripe got a 200 for. */
export const ingestRetention = Duration.days(14);

export { tableGrants } from './table-grants.ts';

/**
 * Everything that can be replaced at will: the four functions, the ingest queue, the HTTP API,
 * the hourly sweep schedule and the alarms.
 *
 * Ingestion: POST /webhooks/stripe → webhook function (verifies, stores a receipt) → SQS → processor
 * (partial batch responses; 5 receives, then the dead-letter queue). Optionally Stripe's Amazon
 * EventBridge destination feeds the same queue.
 */
export class StatelessStack extends Stack {
  readonly webhookFunction: WatcherFunction;
  readonly processorFunction: WatcherFunction;
  readonly apiFunction: WatcherFunction;
  readonly sweepFunction: WatcherFunction;
  readonly ingestQueue: sqs.Queue;
  readonly ingestDeadLetters: DeadLetterQueue;
  readonly sweepDeadLetters: DeadLetterQueue;
  readonly api: WatcherApi;
  /** The user pool people sign in to (auth=cognito, the default). */
  readonly identity: Identity | undefined;
  /** The dashboard on S3 behind CloudFront, with the API as second origin (unless auth=iam). */
  readonly dashboard: DashboardSite | undefined;
  readonly sweepSchedule: scheduler.Schedule;
  /** The alarms (operations topic) and the dashboard; `operations.addAlarm(...)` adds one. */
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Exports/imports: CloudFormation refuses to delete or replace the stateful resources while
    // this stack uses them, which is the protection the split is for.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { settings, table, notifyTopic } = props;
    const logRetention = settings.logRetentionDays as RetentionDays;
    const policyJson = JSON.stringify(settings.policyInput);
    const common = { logLevel: settings.logLevel, logRetention, sdkTracing: settings.tracer } as const;
    this.operations = new Operations(this, 'Operations', {
      alarmTopic: props.alarmTopic,
      dashboardName: `Termwatch-${settings.stage}`,
    });
    const ops = this.operations;

    // --- ingestion -------------------------------------------------------------------------
    this.ingestDeadLetters = new DeadLetterQueue(this, 'IngestDeadLetters', {
      holds: `Stripe events the processor failed on ${maxReceiveCount} times`,
      alarms: ops,
    });
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS guidance: at least six times the function timeout, plus the batching window.
      visibilityTimeout: Duration.seconds(6 * processorTimeout.toSeconds() + processorBatchWindow.toSeconds()),
      retentionPeriod: ingestRetention,
      deadLetterQueue: { queue: this.ingestDeadLetters.queue, maxReceiveCount },
      // It holds events Stripe was told were received: a `cdk destroy` or a rename must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.webhookFunction = new WatcherFunction(this, 'WebhookFunction', {
      ...common,
      entry: 'functions/webhook/handler.ts',
      serviceName: 'termwatch-webhook',
      description: 'Verifies Stripe webhook signatures, stores a receipt and queues the event',
      timeout: Duration.seconds(10),
      environment: {
        QUEUE_URL: this.ingestQueue.queueUrl,
        // Only the id: the function reads the value at run time (cached), never from the environment.
        STRIPE_WEBHOOK_SECRET_ID: props.stripeWebhookSecret.secretArn,
        WATCHER_POLICY_JSON: policyJson,
      },
    });
    this.webhookFunction.bindTable(table, tableGrants.webhook);
    this.ingestQueue.grantSendMessages(this.webhookFunction);
    this.webhookFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.stripeWebhookSecret.secretArn],
      }),
    );

    this.processorFunction = new WatcherFunction(this, 'ProcessorFunction', {
      ...common,
      entry: 'functions/processor/handler.ts',
      serviceName: 'termwatch-processor',
      description: 'Applies queued Stripe events to the store and re-evaluates the account',
      timeout: processorTimeout,
      environment: { WATCHER_POLICY_JSON: policyJson },
    });
    this.processorFunction.bindTable(table, tableGrants.processor);
    this.processorFunction.addEventSource(
      new SqsEventSource(this.ingestQueue, {
        batchSize: 10,
        maxBatchingWindow: processorBatchWindow,
        reportBatchItemFailures: true,
        // A backlog (a replay, a redrive) may not take every concurrent execution of the account,
        // nor every DynamoDB write the API and the webhook need at the same time.
        maxConcurrency: settings.processorMaxConcurrency,
      }),
    );

    // --- HTTP API ------------------------------------------------------------------------------
    this.apiFunction = new WatcherFunction(this, 'ApiFunction', {
      ...common,
      entry: 'functions/api/handler.ts',
      serviceName: 'termwatch-api',
      description: 'Finance review API, health check and OpenAPI document',
      timeout: Duration.seconds(29),
      environment: {
        WATCHER_POLICY_JSON: policyJson,
        AUTH_MODE: settings.auth.mode,
        // Another issuer's groups claim; Cognito's `cognito:groups` is the function's default.
        ...(settings.auth.mode === 'jwt' && settings.auth.groupsClaim ? { WATCHER_OIDC_GROUPS_CLAIM: settings.auth.groupsClaim } : {}),
        // Calendar feed URLs start here; unset, they start at the API's own URL.
        ...(settings.delivery.publicUrl ? { WATCHER_PUBLIC_URL: settings.delivery.publicUrl } : {}),
      },
    });
    this.apiFunction.bindTable(table, tableGrants.api);

    // auth=cognito (the default): people sign in to a user pool made here; its tokens go through
    // the JWT authorizer. The client's callback is the dashboard's CloudFront URL, made below: a
    // lazy value, since the authorizer needs the client before the distribution can exist.
    // CloudFormation order: Api <- Distribution <- Client <- Authorizer <- Routes, no cycle.
    let site: DashboardSite | undefined;
    const appUrl = Lazy.string({
      produce: () => {
        if (!site) throw new Error('the dashboard callback URL was used with no dashboard');
        return site.appUrl;
      },
    });
    // The dashboard's code-flow callback (web/oidc.ts CALLBACK_PATH); sign-out returns to /app/.
    const callbackUrl = Lazy.string({ produce: () => `${appUrl}callback` });
    const auth = settings.auth;
    const callbackUrls = auth.mode === 'cognito' ? (auth.callbackUrls ?? [callbackUrl]) : [];
    const logoutUrls = auth.mode === 'cognito' ? (auth.callbackUrls ?? [appUrl]) : [];
    this.identity =
      auth.mode === 'cognito' ? new Identity(this, 'Identity', { mfa: auth.mfa, domainPrefix: auth.domainPrefix, callbackUrls, logoutUrls }) : undefined;
    const identity = this.identity;
    // Outputs inside a construct get a path hash (IdentityUserPoolId10F31C26); the README and the
    // operator use the plain names (UserPoolId, ClientId, Issuer, HostedUiUrl).
    for (const child of identity?.node.children ?? []) {
      if (child instanceof CfnOutput) child.overrideLogicalId(child.node.id);
    }
    this.api = new WatcherApi(this, 'Api', {
      routes,
      functions: { api: this.apiFunction, webhook: this.webhookFunction },
      auth: identity ? { mode: 'jwt', issuer: identity.issuer, audience: [identity.clientId] } : (auth as Exclude<DeploySettings['auth'], { mode: 'cognito' }>),
      throttle: settings.throttle,
      routeThrottles: {
        'stripe-signature': settings.routeThrottles.webhook,
        public: settings.routeThrottles.public,
        'feed-secret': settings.routeThrottles.feed,
      },
      accessLogRetention: logRetention,
    });

    // --- dashboard -------------------------------------------------------------------------------
    if (settings.dashboard) {
      const { signInConfig, signInOrigins } = dashboardSignIn(auth, identity, this.region);
      site = new DashboardSite(this, 'Dashboard', {
        api: this.api.api,
        routes,
        signInOrigins,
        signInConfig,
        logRetention,
        ...(settings.dashboardHosting.domainName && settings.dashboardHosting.certificateArn
          ? { customDomain: { domainName: settings.dashboardHosting.domainName, certificateArn: settings.dashboardHosting.certificateArn } }
          : {}),
        ...(settings.dashboardHosting.webAclArn ? { webAclArn: settings.dashboardHosting.webAclArn } : {}),
      });
      new CfnOutput(this, 'DashboardUrl', { value: site.appUrl, description: 'The dashboard (sign in here); the Cognito callback URL by default' });
    }
    this.dashboard = site;

    // --- hourly sweep ---------------------------------------------------------------------------
    this.sweepDeadLetters = new DeadLetterQueue(this, 'SweepDeadLetters', {
      holds: 'sweep runs that the scheduler could not deliver or that failed after Lambda retries',
      alarms: ops,
    });
    this.sweepFunction = new WatcherFunction(this, 'SweepFunction', {
      ...common,
      entry: 'functions/sweep/handler.ts',
      serviceName: 'termwatch-sweep',
      description: 'Hourly sweep: opens settled reviews, re-evaluates due accounts, sends renewal reminders',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      // Scheduler invokes asynchronously; after Lambda's own retries the event lands here.
      deadLetterQueue: this.sweepDeadLetters.queue,
      // One sweep at a time: a late retry waits (throttled, retried by Lambda) instead of overlapping
      // the next hour's run. The checkpoint and dispatch claims hold even if two did overlap.
      reservedConcurrentExecutions: 1,
      // Past an hour the next scheduled run does the same work; an older retry is dropped to the DLQ.
      maxEventAge: Duration.hours(1),
      retryAttempts: 2,
      environment: {
        WATCHER_POLICY_JSON: policyJson,
        NOTIFY_TOPIC_ARN: notifyTopic.topicArn,
        EVENT_BUS_NAME: props.eventBus.eventBusName,
        // Links in Slack messages and digests: the dashboard (context publicUrl, else its CloudFront
        // URL), else the API's URL (auth=iam: no dashboard).
        WATCHER_PUBLIC_URL: settings.delivery.publicUrl ?? site?.url ?? this.api.url,
        ...(props.slackWebhookSecret ? { SLACK_WEBHOOK_SECRET_ID: props.slackWebhookSecret.secretArn } : {}),
        ...(settings.delivery.mail ? { WATCHER_MAIL_FROM: settings.delivery.mail.from, WATCHER_MAIL_TO: settings.delivery.mail.to.join(',') } : {}),
      },
    });
    this.sweepFunction.bindTable(table, tableGrants.sweep);
    this.sweepFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [notifyTopic.topicArn] }));
    // Publishing to a KMS-encrypted topic: SNS asks KMS for a data key on the publisher's behalf.
    this.sweepFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.notifyKey.keyArn] }));
    props.eventBus.grantPutEventsTo(this.sweepFunction);
    if (props.slackWebhookSecret) {
      this.sweepFunction.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.slackWebhookSecret.secretArn] }),
      );
    }
    if (settings.delivery.mail) {
      if (!props.mailIdentity) throw new Error('mailFrom is set but the stateful stack made no SES identity');
      // Least privilege: SendEmail only (no raw, no templates), on this identity only, from this address only.
      this.sweepFunction.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [props.mailIdentity.emailIdentityArn],
          conditions: { StringEquals: { 'ses:FromAddress': settings.delivery.mail.from } },
        }),
      );
    }
    this.sweepSchedule = this.scheduleSweep(settings.sweep);

    // --- optional: Stripe's Amazon EventBridge destination ------------------------------------
    if (settings.stripePartnerEventSource !== undefined) {
      this.routeStripePartnerEvents(settings.stripePartnerEventSource);
    }

    // --- alarms (operations topic, ALARM and OK) and acknowledgements ----------------------------
    const functions = [this.webhookFunction, this.processorFunction, this.apiFunction, this.sweepFunction];
    for (const fn of functions) fn.addAlarms(ops);
    addOperationalAlarms(ops, { api: this.api, ingestQueue: this.ingestQueue, ingestRetention, table, sweep: settings.sweep });
    for (const [fn, invokedBy] of [
      [this.webhookFunction, 'API Gateway (synchronously: Stripe sees the error and retries the delivery)'],
      [this.apiFunction, 'API Gateway (synchronously: the caller gets the error)'],
      [
        this.processorFunction,
        `its SQS event source mapping (failed messages return to the queue and go to its dead-letter queue after ${maxReceiveCount} receives)`,
      ],
    ] as const) {
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: `Only invoked by ${invokedBy}; a function dead-letter queue only receives failed asynchronous invocations, which never happen here.`,
      });
    }
    Validations.of(this.sweepFunction).acknowledge({
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason:
        "Failed asynchronous sweep invocations already go to the alarmed sweep dead-letter queue through the function's DeadLetterConfig (the event invoke config only bounds retries and event age); an on-failure destination to the same queue would deliver each failure twice.",
    });
    Validations.of(this.processorFunction).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: `SQS event sources do not support on-failure destinations; the ingest queue's redrive policy (maxReceiveCount ${maxReceiveCount}) sends failed messages to the alarmed dead-letter queue instead.`,
    });

    // --- outputs -------------------------------------------------------------------------------
    const webhookRoute = routes.find((r) => r.auth === 'stripe-signature');
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API base URL' });
    if (webhookRoute) {
      new CfnOutput(this, 'WebhookUrl', {
        value: `${this.api.url}${webhookRoute.path.replace(/^\//, '')}`,
        description: 'Give this URL to Stripe as the webhook endpoint',
      });
    }
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingestQueue.queueUrl });
    new CfnOutput(this, 'IngestDeadLetterQueueUrl', { value: this.ingestDeadLetters.queue.queueUrl });
    new CfnOutput(this, 'SweepDeadLetterQueueUrl', { value: this.sweepDeadLetters.queue.queueUrl });
    new CfnOutput(this, 'AuthMode', { value: settings.auth.mode, description: 'How finance routes authenticate: iam (SigV4) or jwt' });
  }

  /**
   * EventBridge Scheduler runs the sweep every hour at `at`'s minute in `timeZone` (daylight saving
   * handled by the scheduler): reviews whose settle period ended open within the hour, while
   * renewal reminders fall due at `at` itself (the domain dates them so). A run costs reads of
   * what is due only. Delivery is retried, then dead-lettered.
   */
  private scheduleSweep(sweep: DeploySettings['sweep']): scheduler.Schedule {
    const minute = Number(sweep.at.split(':')[1]);
    // The role is written out exactly (invoke this one function, send to this one queue): the
    // target's own grant would also allow every version and alias (`<function arn>:*`).
    const role = new iam.Role(this, 'SweepSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'EventBridge Scheduler: starts the hourly sweep',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.sweepFunction.functionArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.sweepDeadLetters.queue.queueArn] }));
    return new scheduler.Schedule(this, 'SweepSchedule', {
      description: `Hourly sweep at :${String(minute).padStart(2, '0')} ${sweep.timeZone} (reminders at ${sweep.at})`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(minute),
        hour: '*',
        timeZone: TimeZone.of(sweep.timeZone),
      }),
      target: new LambdaInvoke(this.sweepFunction, {
        role: role.withoutPolicyUpdates(),
        deadLetterQueue: this.sweepDeadLetters.queue,
        retryAttempts: 3,
        // Past an hour the next run does the same work: no point delivering a stale one.
        maxEventAge: Duration.hours(1),
        // The scheduled time lets the sweep act "as of" its slot even when a retry runs late.
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'termwatch.schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
      }),
    });
  }

  /**
   * Stripe's partner event bus → a rule → the same ingest queue. The rule passes on only the
   * event types the watcher handles, and only the Stripe event itself (`detail`), so the queue
   * carries the same shape whichever way an event arrived.
   */
  private routeStripePartnerEvents(eventSourceName: string): void {
    const partnerBus = new events.EventBus(this, 'StripePartnerBus', { eventSourceName });
    const undelivered = new DeadLetterQueue(this, 'StripeEventsDeadLetters', {
      holds: 'Stripe EventBridge events the rule could not deliver to the ingest queue',
      alarms: this.operations,
      usedOutsideRedrivePolicies: true,
    });
    new events.Rule(this, 'StripeEventsToIngestQueue', {
      eventBus: partnerBus,
      description: 'Handled Stripe event types from the partner event source into the ingest queue',
      eventPattern: {
        source: events.Match.prefix('aws.partner/stripe.com'),
        detailType: [...handledEventTypes],
      },
      targets: [
        new eventsTargets.SqsQueue(this.ingestQueue, {
          message: events.RuleTargetInput.fromEventPath('$.detail'),
          deadLetterQueue: undelivered.queue,
          retryAttempts: 10,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
