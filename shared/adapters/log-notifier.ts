import type { Notification } from '../domain/notification.ts';
import { logger } from '../powertools.ts';
import type { Notifier } from '../ports/notifier.ts';

/** Local mode: one log line per notification (ids only); the text stays readable at GET /notifications. */
export class LogNotifier implements Notifier {
  readonly channel = 'log';
  async send(n: Notification): Promise<void> {
    logger.info('notification', { notificationId: n.id, type: n.type, accountId: n.accountId, subject: n.subject });
  }
}
