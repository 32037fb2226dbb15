import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../shared/store/table.ts';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.ts';
import type { DeploySettings } from '../settings.ts';

export interface StatefulStackProps extends StackProps {
  readonly settings: DeploySettings;
}

/**
 * What must outlive any deployment: the table, the Stripe secrets, the notification topic (with
 * its key) and the event bus. Removing this stack keeps the table and the secrets.
 */
export class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  readonly notifyTopic: sns.Topic;
  /** Encrypts the topic; publishers need kms:GenerateDataKey and kms:Decrypt on it. */
  readonly notifyKey: kms.Key;
  readonly eventBus: events.EventBus;
  readonly stripeWebhookSecret: secretsmanager.Secret;
  readonly stripeApiKeySecret: secretsmanager.Secret;

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
        projectionType: dynamodb.ProjectionType.ALL,
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

    // A customer-managed key because CloudWatch alarms cannot publish to a topic encrypted with
    // the AWS-managed SNS key.
    this.notifyKey = new kms.Key(this, 'NotifyKey', {
      description: `Termwatch ${stage}: encrypts the notification topic`,
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
    this.notifyTopic = new sns.Topic(this, 'NotifyTopic', {
      displayName: `Termwatch ${stage}`,
      masterKey: this.notifyKey,
      enforceSSL: true,
    });
    // A topic policy (here the TLS-only one) replaces SNS's default policy, which is what lets
    // same-account alarms publish; say it explicitly, limited to this account's alarms.
    this.notifyTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.notifyTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    if (props.settings.notifyEmails.length > 0) {
      const undelivered = new DeadLetterQueue(this, 'NotifyDeadLetters', {
        holds: 'notification e-mails SNS could not deliver',
        alarmTopic: this.notifyTopic,
        usedOutsideRedrivePolicies: true,
      });
      for (const email of props.settings.notifyEmails) {
        this.notifyTopic.addSubscription(
          new subscriptions.EmailSubscription(email, { deadLetterQueue: undelivered.queue }),
        );
      }
    }

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: `termwatch-${stage}`,
      description: 'Termwatch events: RenewalReminder, ReviewOpened',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB table (the backfill reads this output)' });
    new CfnOutput(this, 'NotifyTopicArn', { value: this.notifyTopic.topicArn, description: 'Alarms and notifications' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'RenewalReminder / ReviewOpened events' });
    new CfnOutput(this, 'StripeWebhookSecretId', { value: this.stripeWebhookSecret.secretName, description: 'Put the whsec_... value here' });
    new CfnOutput(this, 'StripeApiKeySecretId', { value: this.stripeApiKeySecret.secretName, description: 'Put the Stripe API key here' });
  }

  /**
   * A secret Stripe issues: CloudFormation only creates it with a random value, the operator puts
   * the real one, and deleting the stack keeps it.
   */
  private placeholderSecret(id: string, props: { secretName: string; description: string }): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      ...props,
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Issued by Stripe, not by AWS: rotation means rolling it in the Stripe dashboard and putting the new value here; a rotation Lambda cannot create Stripe credentials. Functions cache the value for 5 minutes, so a new value is picked up without a deploy.',
    });
    return secret;
  }
}

