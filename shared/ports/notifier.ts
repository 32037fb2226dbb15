import type { Notification } from '../domain/notification.ts';

/** One delivery channel for notifications: SNS and EventBridge on AWS, a log line locally. */
export interface Notifier {
  readonly channel: string;
  send(notification: Notification): Promise<void>;
}
