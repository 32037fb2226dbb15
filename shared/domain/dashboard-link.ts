import type { Notification } from './notification.ts';

/** The dashboard page a notification is about: its task, else its account (Slack buttons, digest links). */
export function dashboardLink(publicUrl: string, n: Pick<Notification, 'taskId' | 'accountId'>): string {
  return n.taskId ? `${publicUrl}/app/tasks/${encodeURIComponent(n.taskId)}` : `${publicUrl}/app/accounts/${encodeURIComponent(n.accountId)}`;
}
