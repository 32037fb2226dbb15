import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../shared/store/table.ts';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.ts';
import { pagingTo } from '../constructs/operations.ts';
import type { DeploySettings } from '../settings.ts';

export interface StatefulStackProps extends StackProps {
  readonly settings: DeploySettings;
}

/**
 * What must outlive any deployment: the table (with its backup plan), the Stripe secrets, the
 * finance notification topic and the operations alarm topic (with their key and confirmed
 * subscriptions) and the event bus. Removing this stack keeps the table, the secrets and the key.
 */
export class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  /** Finance's notifications (renewal reminders, reviews opened); never alarms. */
  readonly notifyTopic: sns.Topic;
  /** Who is paged: every alarm's ALARM and OK actions publish here (operations, not finance). */
  readonly alarmTopic: sns.Topic;
  /** Set when context `backup` (default on a production stage) asks for an AWS Backup plan. */
  readonly backupPlan: backup.BackupPlan | undefined;
  /** Encrypts the topic; publishers need kms:GenerateDataKey and kms:Decrypt on it. */
  readonly notifyKey: kms.Key;
  readonly eventBus: events.EventBus;
  readonly stripeWebhookSecret: secretsmanager.Secret;
  readonly stripeApiKeySecret: secretsmanager.Secret;
  /** Context `slack=true`: the Slack incoming-webhook URL (the operator puts it; the sweep reads it). */
  readonly slackWebhookSecret: secretsmanager.Secret | undefined;
  /** Context `mailFrom`: the SES identity the email digest is sent from (verified once, kept). */
  readonly mailIdentity: ses.EmailIdentity | undefined;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { stage } = props.settings;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-managed KMS key: encrypted at rest with an auditable key, no key policy to maintain.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[gsi.projection],
      });
    }

    this.stripeWebhookSecret = this.placeholderSecret('StripeWebhookSecret', {
      secretName: `termwatch/${stage}/stripe-webhook-secret`,
      description:
        "Stripe webhook signing secret (whsec_...) of this endpoint. Created with a random placeholder: put Stripe's value with `aws secretsmanager put-secret-value`.",
    });
    this.stripeApiKeySecret = this.placeholderSecret('StripeApiKeySecret', {
      secretName: `termwatch/${stage}/stripe-api-key`,
      description:
        'Stripe restricted API key (rk_...) with read access, used by the backfill. Created with a random placeholder: put the real key with `aws secretsmanager put-secret-value`.',
    });

    this.slackWebhookSecret = props.settings.delivery.slack
      ? this.placeholderSecret('SlackWebhookSecret', {
          secretName: `termwatch/${stage}/slack-webhook-url`,
          description:
            "Slack incoming-webhook URL (https://hooks.slack.com/services/...) the sweep posts notifications to. Created with a random placeholder: put Slack's URL with `aws secretsmanager put-secret-value`.",
          issuedBy: 'Slack',
        })
      : undefined;
    const mail = props.settings.delivery.mail;
    this.mailIdentity = mail
      ? new ses.EmailIdentity(this, 'MailIdentity', {
          identity: mail.identity.includes('@') ? ses.Identity.email(mail.identity) : ses.Identity.domain(mail.identity),
        })
      : undefined;
    // Verification (the DNS records or the confirmation mail) must not be redone on every deploy.
    this.mailIdentity?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // A customer-managed key because CloudWatch alarms cannot publish to a topic encrypted with
    // the AWS-managed SNS key.
    this.notifyKey = new kms.Key(this, 'NotifyKey', {
      description: `Termwatch ${stage}: encrypts the notification and alarm topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Key policy statement as AWS documents it for alarms publishing to an encrypted topic.
    this.notifyKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsUseKeyForEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.notifyTopic = this.encryptedTopic('NotifyTopic', `Termwatch ${stage}`);
    this.alarmTopic = this.encryptedTopic('AlarmTopic', `Termwatch ${stage} alarms`);

    const { alarmSubscribers } = props.settings;
    if (alarmSubscribers.emails.length + alarmSubscribers.httpsEndpoints.length > 0) {
      const undeliveredAlarms = new DeadLetterQueue(this, 'AlarmDeadLetters', {
        holds: 'alarm notifications SNS could not deliver to a subscriber',
        alarms: pagingTo(this.alarmTopic),
        usedOutsideRedrivePolicies: true,
      });
      for (const email of alarmSubscribers.emails) {
        this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: undeliveredAlarms.queue }));
      }
      for (const url of alarmSubscribers.httpsEndpoints) {
        // Paging services (PagerDuty, Opsgenie) take SNS over HTTPS and confirm the subscription themselves.
        this.alarmTopic.addSubscription(new subscriptions.UrlSubscription(url, { deadLetterQueue: undeliveredAlarms.queue }));
      }
    }
    if (props.settings.notifyEmails.length > 0) {
      const undelivered = new DeadLetterQueue(this, 'NotifyDeadLetters', {
        holds: 'notification e-mails SNS could not deliver',
        // Undeliverable finance e-mail is an operations problem: it pages, it does not mail finance.
        alarms: pagingTo(this.alarmTopic),
        usedOutsideRedrivePolicies: true,
      });
      for (const email of props.settings.notifyEmails) {
        this.notifyTopic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: undelivered.queue }));
      }
    }

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: `termwatch-${stage}`,
      description: 'Termwatch events: RenewalReminder, ReviewOpened',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB table (the backfill reads this output)' });
    this.backupPlan = props.settings.backup ? this.backUpTable(stage) : undefined;

    new CfnOutput(this, 'NotifyTopicArn', { value: this.notifyTopic.topicArn, description: 'Finance notifications (renewal reminders, reviews opened)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Operations alarms (ALARM and OK); subscribe the on-call here' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'RenewalReminder / ReviewOpened events' });
    new CfnOutput(this, 'StripeWebhookSecretId', { value: this.stripeWebhookSecret.secretName, description: 'Put the whsec_... value here' });
    new CfnOutput(this, 'StripeApiKeySecretId', { value: this.stripeApiKeySecret.secretName, description: 'Put the Stripe API key here' });
    if (this.slackWebhookSecret) {
      new CfnOutput(this, 'SlackWebhookSecretId', { value: this.slackWebhookSecret.secretName, description: 'Put the Slack incoming-webhook URL here' });
    }
    if (this.mailIdentity) {
      new CfnOutput(this, 'MailIdentityName', {
        value: this.mailIdentity.emailIdentityName,
        description: 'SES identity of the email digest: verify it (and leave the SES sandbox, or verify the recipients)',
      });
    }
  }

  /**
   * A KMS-encrypted, TLS-only topic that this account's CloudWatch alarms may publish to (a topic
   * policy, here the TLS-only one, replaces SNS's default policy, which is what lets same-account
   * alarms publish; so it is said explicitly, limited to this account's alarms).
   */
  private encryptedTopic(id: string, displayName: string): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, masterKey: this.notifyKey, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    return topic;
  }

  /**
   * AWS Backup of the table beside point-in-time recovery (which only reaches back 35 days and
   * goes with the table): daily recovery points kept 35 days, monthly ones kept a year, in a
   * retained vault. The selection's role is written out (no AWS managed policy): exactly what
   * AWS Backup calls for a DynamoDB table, standard and advanced backups.
   */
  private backUpTable(stage: string): backup.BackupPlan {
    const vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: `termwatch-${stage}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupPlanName: `termwatch-${stage}-table`,
      backupVault: vault,
      backupPlanRules: [backup.BackupPlanRule.daily(), backup.BackupPlanRule.monthly1Year()],
    });
    const role = new iam.Role(this, 'BackupRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'AWS Backup: backs up the Termwatch table',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable', 'dynamodb:CreateBackup', 'dynamodb:StartAwsBackupJob', 'dynamodb:ListTagsOfResource'],
        resources: [this.table.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeBackup', 'dynamodb:DeleteBackup'],
        resources: [`${this.table.tableArn}/backup/*`],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable)}.Arn>/backup/*]`,
      reason:
        "Backup ARNs carry a name DynamoDB generates per recovery point (table/<name>/backup/<timestamp>-<id>); the wildcard is limited to this one table's backups.",
    });
    plan.addSelection('Table', { resources: [backup.BackupResource.fromDynamoDbTable(this.table)], role, disableDefaultBackupPolicy: true });
    return plan;
  }

  /**
   * A secret Stripe issues: CloudFormation only creates it with a random value, the operator puts
   * the real one, and deleting the stack keeps it.
   */
  private placeholderSecret(id: string, props: { secretName: string; description: string; issuedBy?: string }): secretsmanager.Secret {
    const issuedBy = props.issuedBy ?? 'Stripe';
    const secret = new secretsmanager.Secret(this, id, {
      secretName: props.secretName,
      description: props.description,
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `Issued by ${issuedBy}, not by AWS: rotation means rolling it in ${issuedBy}'s settings and putting the new value here; a rotation Lambda cannot create ${issuedBy} credentials. Functions cache the value for 5 minutes, so a new value is picked up without a deploy.`,
    });
    return secret;
  }
}
