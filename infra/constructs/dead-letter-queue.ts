import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { pagingTo, type AlarmSink } from './operations.ts';

export interface DeadLetterQueueProps {
  /** What lands here, for the alarm text and the cdk-nag acknowledgements: "ingest queue messages received 5 times". */
  readonly holds: string;
  /** Where the alarm pages: the stack's Operations (alarm topic on ALARM and OK, and the dashboard)... */
  readonly alarms?: AlarmSink;
  /** ...or just a topic, paged on ALARM and OK. One of the two is required. */
  readonly alarmTopic?: ITopic;
  /**
   * Set when no other queue's redrive policy nor a Lambda DeadLetterConfig names this queue
   * (the scheduler, an EventBridge target and an SNS subscription name it in their own settings,
   * which cdk-nag's AwsSolutions-SQS3 cannot see).
   */
  readonly usedOutsideRedrivePolicies?: boolean;
}

/**
 * A dead-letter queue: encrypted, TLS only, messages kept 14 days (the SQS maximum) for a person
 * to inspect and redrive, and an alarm as soon as one message is visible. Retained when its stack
 * is deleted or the construct renamed: what it holds is the only copy of what failed.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.alarm = new cloudwatch.Alarm(this, 'MessagesVisibleAlarm', {
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Dead letters waiting: ${props.holds}. Inspect, fix, then redrive or delete them.`,
    });
    const sink = props.alarms ?? (props.alarmTopic ? pagingTo(props.alarmTopic) : undefined);
    if (!sink) throw new Error(`${this.node.path}: a dead-letter queue needs alarms or alarmTopic, or nobody hears of what it holds`);
    sink.addAlarm(this.alarm);

    Validations.of(this.queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: `This queue is itself the dead-letter queue for ${props.holds}; nothing consumes it automatically, so there is no receive count to redrive on. The alarm on it notifies a person.`,
    });
    if (props.usedOutsideRedrivePolicies) {
      Validations.of(this.queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is the dead-letter queue for ${props.holds}, configured on that sender rather than in an SQS redrive policy or a Lambda DeadLetterConfig, the only two places this rule looks.`,
      });
    }
  }
}
