import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeNotifier } from '../../shared/adapters/eventbridge-notifier.ts';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.ts';
import type { Notification } from '../../shared/domain/notification.ts';

const notification: Notification = {
  id: 'renewal_reminder~cus_1~2027-06-30~30',
  type: 'renewal_reminder',
  accountId: 'cus_1',
  sentAt: '2027-05-01T06:00:00.000Z',
  offsetDays: 30,
  subject: `Renewal: Acme Ltd (cus_1), notice deadline 2027-05-31 (30 days) ${'x'.repeat(80)}`,
  text: 'Renewal reminder (30 days) for Acme Ltd (cus_1).',
  payload: { termEnd: '2027-06-30', noticeDeadline: '2027-05-31', daysLeft: 30 },
};

// SNS and EventBridge have no official local emulator: the adapters are checked against the exact commands they send.
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
beforeEach(() => {
  sns.reset();
  events.reset();
});

describe('notification channels', () => {
  it('publishes to SNS with a subject within 100 characters and the id as an attribute', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier('arn:aws:sns:eu-west-1:123456789012:termwatch', new SNSClient({ region: 'eu-west-1' })).send(notification);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:termwatch',
      Message: notification.text,
      MessageAttributes: {
        notificationId: { DataType: 'String', StringValue: notification.id },
        type: { DataType: 'String', StringValue: 'renewal_reminder' },
        accountId: { DataType: 'String', StringValue: 'cus_1' },
      },
    });
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
  });

  it('puts one event on the bus with a stable detail type and the id in the detail', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await new EventBridgeNotifier('termwatch-prod', new EventBridgeClient({ region: 'eu-west-1' })).send(notification);
    const [call] = events.commandCalls(PutEventsCommand);
    const entry = call!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'termwatch-prod', Source: 'termwatch', DetailType: 'RenewalReminder' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ id: notification.id, accountId: 'cus_1', noticeDeadline: '2027-05-31' });
  });

  it('fails when EventBridge refuses the entry, so the notification stays pending', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
    await expect(new EventBridgeNotifier('termwatch-prod', new EventBridgeClient({ region: 'eu-west-1' })).send(notification)).rejects.toThrow(
      /ThrottlingException/,
    );
  });
});
