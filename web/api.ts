import type { AccountView } from '../shared/schemas/accounts.ts';
import type { TaskView } from '../shared/usecases/task-view.ts';
import type { Task } from '../shared/domain/review.ts';
import type { Notification } from '../shared/domain/notification.ts';
import type { listRenewals } from '../shared/usecases/renewals.ts';
import type { listFlaggedAccounts } from '../shared/usecases/read-accounts.ts';
import type { ImportReport } from '../shared/usecases/contracts.ts';
import type { AuditRecord } from '../shared/store/audit.ts';
import type { CalendarFeed } from '../shared/store/calendar-feed.ts';

/** Types come from the server's schemas and use cases (import type only: nothing of zod ships). */
export type { AccountView, TaskView, ImportReport, CalendarFeed };
export interface CreatedFeed {
  id: string;
  name: string;
  url: string;
  createdAt: string;
}
export type TaskListItem = Task & { name?: string };
export type Renewal = Awaited<ReturnType<typeof listRenewals>>['items'][number];
export type AccountSummary = Awaited<ReturnType<typeof listFlaggedAccounts>>['items'][number];
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
export interface Me {
  name: string;
  role: 'viewer' | 'reviewer' | 'approver' | 'admin';
}

const TOKEN_KEY = 'termwatch.token';
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const token = session.token();
  const response = await fetch(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': contentType } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok && !(response.status === 400 && path === '/contracts/import')) {
    const message = (data as { error?: { message?: string } } | undefined)?.error?.message ?? `${response.status} ${response.statusText}`;
    if (response.status === 401) session.signOut();
    throw new ApiError(response.status, message);
  }
  return data as T;
}

const qs = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
};

/** The API, one function per route the dashboard uses. */
export const api = {
  me: () => call<Me>('GET', '/me'),
  tasks: (q: { status?: string; cursor?: string; limit?: number }) => call<Page<TaskListItem>>('GET', `/tasks${qs(q)}`),
  task: (id: string) => call<TaskView>('GET', `/tasks/${encodeURIComponent(id)}`),
  mark: (id: string, step: number, done: boolean) => call<TaskView>('POST', `/tasks/${encodeURIComponent(id)}/checklist`, { step, done }),
  decide: (id: string, decision: string, note: string) => call<TaskView>('POST', `/tasks/${encodeURIComponent(id)}/decision`, { decision, note }),
  approve: (id: string, approve: boolean, note: string) => call<TaskView>('POST', `/tasks/${encodeURIComponent(id)}/approval`, { approve, note }),
  account: (id: string) => call<AccountView>('GET', `/accounts/${encodeURIComponent(id)}`),
  accountTasks: (id: string) => call<Page<TaskListItem>>('GET', `/tasks${qs({ accountId: id })}`),
  audit: (id: string, cursor?: string) => call<Page<AuditRecord>>('GET', `/accounts/${encodeURIComponent(id)}/audit${qs({ cursor })}`),
  addSignal: (id: string, body: { signal: string; note: string }) => call<unknown>('POST', `/accounts/${encodeURIComponent(id)}/signals`, body),
  addCost: (id: string, body: { amount: number; currency: string; date: string; category: string; note?: string }) =>
    call<unknown>('POST', `/accounts/${encodeURIComponent(id)}/costs`, body),
  flagged: (flag: string, cursor?: string) => call<Page<AccountSummary>>('GET', `/accounts${qs({ flag, cursor })}`),
  renewals: (withinDays: number, cursor?: string) => call<Page<Renewal>>('GET', `/renewals${qs({ withinDays, cursor })}`),
  notifications: (cursor?: string) => call<Page<Notification>>('GET', `/notifications${qs({ cursor })}`),
  importContracts: (csv: string) => call<ImportReport>('POST', '/contracts/import', csv, 'text/csv'),
  calendarFeeds: (cursor?: string) => call<Page<CalendarFeed>>('GET', `/calendar-feeds${qs({ cursor })}`),
  createCalendarFeed: (name: string) => call<CreatedFeed>('POST', '/calendar-feeds', { name }),
  revokeCalendarFeed: (id: string) => call<unknown>('DELETE', `/calendar-feeds/${encodeURIComponent(id)}`),
};
