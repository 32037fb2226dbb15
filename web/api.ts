import type { AccountView } from '../shared/schemas/accounts.ts';
import type { TaskView } from '../shared/usecases/task-view.ts';
import type { Task } from '../shared/domain/review.ts';
import type { Notification } from '../shared/domain/notification.ts';
import type { listRenewals } from '../shared/usecases/renewals.ts';
import type { listFlaggedAccounts } from '../shared/usecases/read-accounts.ts';
import type { ImportReport } from '../shared/usecases/contracts.ts';
import type { AuditRecord } from '../shared/store/audit.ts';
import type { DeliveryClaim } from '../shared/store/delivery.ts';
import type { Overrides } from '../shared/domain/account-inputs.ts';
import type { Role } from '../shared/http/auth/roles.ts';
import type { PolicyAnswer, PolicyPreview } from '../shared/schemas/preview.ts';
import type { CalendarFeed } from '../shared/store/calendar-feed.ts';

/** Types come from the server's schemas and use cases (import type only: nothing of zod ships). */
export type { AccountView, TaskView, ImportReport, Overrides, Role, CalendarFeed, PolicyAnswer, PolicyPreview };
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
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, reviewer: 1, approver: 2, admin: 3 };
/** Whether a role includes another (viewer < reviewer < approver < admin); the server checks it again. */
export const can = (me: Me, least: Role) => RANK[me.role] >= RANK[least];

const TOKEN_KEY = 'termwatch.token';
/** Fired on window when the API refuses the session's token (401). */
export const SIGNED_OUT_EVENT = 'termwatch:signed-out';
const VIA_KEY = 'termwatch.via';
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  /** Whether the token came from the issuer (its session there can be ended too) or was pasted. */
  viaIssuer: (): boolean => sessionStorage.getItem(VIA_KEY) === 'oidc',
  signIn: (token: string, via: 'token' | 'oidc' = 'token') => {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(VIA_KEY, via);
  },
  signOut: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(VIA_KEY);
  },
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
    if (response.status === 401 && token) {
      // An expired or revoked token ends the session wherever it is noticed; the shell shows the sign-in page.
      session.signOut();
      dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
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
  tasks: (q: { status?: string; assignee?: string; cursor?: string; limit?: number }) => call<Page<TaskListItem>>('GET', `/tasks${qs(q)}`),
  task: (id: string) => call<TaskView>('GET', `/tasks/${encodeURIComponent(id)}`),
  mark: (id: string, step: number, done: boolean) => call<TaskView>('POST', `/tasks/${encodeURIComponent(id)}/checklist`, { step, done }),
  decide: (id: string, decision: string, note: string) => call<Task>('POST', `/tasks/${encodeURIComponent(id)}/decision`, { decision, note }),
  approve: (id: string, approve: boolean, note: string) => call<Task>('POST', `/tasks/${encodeURIComponent(id)}/approval`, { approve, note }),
  assign: (id: string, name: string) => call<Task>('POST', `/tasks/${encodeURIComponent(id)}/assignee`, { name }),
  account: (id: string) => call<AccountView>('GET', `/accounts/${encodeURIComponent(id)}`),
  accountTasks: (id: string) => call<Page<TaskListItem>>('GET', `/tasks${qs({ accountId: id })}`),
  /** Newest first, as the account page shows it (the API's default is oldest first). */
  audit: (id: string, cursor?: string) => call<Page<AuditRecord>>('GET', `/accounts/${encodeURIComponent(id)}/audit${qs({ order: 'newest', cursor })}`),
  addSignal: (id: string, body: { signal: string; note: string }) => call<unknown>('POST', `/accounts/${encodeURIComponent(id)}/signals`, body),
  addCost: (id: string, body: { amount: number; currency: string; date: string; category: string; note?: string }) =>
    call<unknown>('POST', `/accounts/${encodeURIComponent(id)}/costs`, body),
  overrides: (id: string) => call<Overrides>('GET', `/accounts/${encodeURIComponent(id)}/overrides`),
  putOverrides: (id: string, body: Overrides) => call<Overrides>('PUT', `/accounts/${encodeURIComponent(id)}/overrides`, body),
  flagged: (flag: string, cursor?: string) => call<Page<AccountSummary>>('GET', `/accounts${qs({ flag, cursor })}`),
  renewals: (withinDays: number, cursor?: string) => call<Page<Renewal>>('GET', `/renewals${qs({ withinDays, cursor })}`),
  notifications: (cursor?: string) => call<Page<Notification>>('GET', `/notifications${qs({ cursor })}`),
  /** Admins only: Slack messages and digests given up on after their retries. */
  deadDeliveries: (cursor?: string) => call<Page<DeliveryClaim>>('GET', `/deliveries/dead-letters${qs({ cursor })}`),
  /** Admins only: a dead-lettered Slack message back in the outbox, for Slack alone. */
  resendDelivery: (messageKey: string) => call<{ queuedAt: string }>('POST', '/deliveries/dead-letters/resend', { channel: 'slack', messageKey }),
  importContracts: (csv: string) => call<ImportReport>('POST', '/contracts/import', csv, 'text/csv'),
  policy: () => call<PolicyAnswer>('GET', '/policy'),
  previewPolicy: (policy: unknown, q: { all?: boolean; cursor?: string; limit?: number }) =>
    call<PolicyPreview>('POST', `/policy/preview${qs({ all: q.all ? 'true' : undefined, cursor: q.cursor, limit: q.limit ?? 50 })}`, { policy }),
  calendarFeeds: (cursor?: string) => call<Page<CalendarFeed>>('GET', `/calendar-feeds${qs({ cursor })}`),
  createCalendarFeed: (name: string) => call<CreatedFeed>('POST', '/calendar-feeds', { name }),
  revokeCalendarFeed: (id: string) => call<unknown>('DELETE', `/calendar-feeds/${encodeURIComponent(id)}`),
};
