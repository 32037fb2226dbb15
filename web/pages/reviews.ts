import { useState } from 'preact/hooks';
import { api, type TaskListItem } from '../api.ts';
import { A, Day, Empty, Failure, html, Loading, MoreButton, Status } from '../components/ui.ts';
import { usePages } from '../components/use-load.ts';

const STATUSES = ['open', 'pending_approval', 'scheduled', 'decided', 'cancelled'] as const;
const reasonKind = (reason: string) => {
  const r = reason.toLowerCase();
  if (r.includes('late') || r.includes('overdue') || r.includes('default')) return 'late payment';
  if (r.includes('margin') || r.includes('cost') || r.includes('profit')) return 'unprofitable';
  if (r.includes('dispute') || r.includes('refund')) return 'disputes';
  if (r.includes('contract')) return 'no contract';
  return 'human signal';
};

/** The queue: open first, then scheduled, each by days left to its notice deadline. */
export function sortQueue(tasks: TaskListItem[]): TaskListItem[] {
  const rank = (s: string) => (s === 'pending_approval' ? 0 : s === 'open' ? 1 : s === 'scheduled' ? 2 : 3);
  return [...tasks].sort((a, b) => rank(a.status) - rank(b.status) || (a.noticeDeadline ?? a.dueAt).localeCompare(b.noticeDeadline ?? b.dueAt));
}

export function ReviewsView({ tasks, status, reason }: { tasks: TaskListItem[]; status: string; reason: string }) {
  const shown = sortQueue(tasks).filter((t) => !reason || t.reasons.some((r) => reasonKind(r) === reason));
  if (shown.length === 0)
    return html`<${Empty}>No reviews ${status ? `with status ${status.replace('_', ' ')}` : 'yet'}. Termwatch opens one when an account's signals call for a decision.<//>`;
  return html`<table>
    <caption class="sr-only">Review tasks</caption>
    <thead><tr><th scope="col">Customer</th><th scope="col">Reasons</th><th scope="col">Term end</th><th scope="col">Notice deadline</th><th scope="col" class="num">Days left</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Last action by</th></tr></thead>
    <tbody>
      ${shown.map((t) => {
        // Counted by the API in the policy's zone; 0 or less once the deadline's day is over.
        const left = t.daysLeft;
        const last = t.decisions[t.decisions.length - 1];
        return html`<tr>
          <td><${A} href=${`/app/tasks/${encodeURIComponent(t.id)}`}>${t.name ?? t.accountId}<//><div class="muted">${t.accountId}</div></td>
          <td><ul class="reasons">${t.reasons.map((r) => html`<li>${r}</li>`)}</ul></td>
          <td><${Day} date=${t.targetEnd} /></td>
          <td><${Day} date=${t.noticeDeadline ?? t.dueAt} /></td>
          <td class=${`num ${left !== undefined && left <= 7 ? 'urgent' : ''}`}>${left === undefined ? '—' : left > 0 ? left : 'passed'}</td>
          <td><${Status} status=${t.status} />${t.overdue ? html` <span class="badge overdue">overdue</span>` : null}${t.approval ? html`<div class="muted">asked by ${t.approval.requestedBy}</div>` : null}</td>
          <td>${t.assignee ?? html`<span class="muted">nobody</span>`}</td>
          <td>${t.approval?.requestedBy ?? last?.by ?? (t.status === 'scheduled' || t.status === 'open' ? 'Termwatch' : '—')}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

export function ReviewsPage() {
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');
  const [mine, setMine] = useState(false);
  const open = usePages(
    (cursor) => api.tasks({ ...(status ? { status } : {}), ...(mine ? { assignee: 'me' } : {}), ...(cursor ? { cursor } : {}) }),
    `${status}|${mine}`,
  );
  // Counts of the rows loaded so far; "+" while more pages remain to load.
  const more = open.cursor ? '+' : '';
  const counts = STATUSES.filter((s) => !status || s === status).map((s) => [s, open.items.filter((t) => t.status === s).length] as const);
  const overdue = open.items.filter((t) => t.overdue).length;
  return html`<section>
    <h1>Reviews</h1>
    <p class="lede">Accounts Termwatch asks you to decide on, timed to land at the end of their contract term.</p>
    <div class="filters">
      <label>Status <select value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value)}>
        <option value="">All</option>${STATUSES.map((s) => html`<option value=${s}>${s.replace('_', ' ')}</option>`)}
      </select></label>
      <label>Reason <select value=${reason} onChange=${(e: Event) => setReason((e.target as HTMLSelectElement).value)}>
        <option value="">All</option>${['late payment', 'unprofitable', 'disputes', 'human signal', 'no contract'].map((r) => html`<option value=${r}>${r}</option>`)}
      </select></label>
      <label><input type="checkbox" checked=${mine} onChange=${(e: Event) => setMine((e.target as HTMLInputElement).checked)} /> Only reviews I own</label>
      <ul class="counts" aria-label="Count per status">${counts.map(([s, n]) => html`<li><${Status} status=${s} /> ${n}${more}</li>`)}${overdue ? html`<li><span class="badge overdue">overdue</span> ${overdue}${more}</li>` : null}</ul>
    </div>
    ${open.state === 'error' ? html`<${Failure} error=${open.error} retry=${open.reload} />` : null}
    ${open.state === 'loading' && open.items.length === 0 ? html`<${Loading} what="reviews" />` : html`<${ReviewsView} tasks=${open.items} status=${status} reason=${reason} />`}
    <${MoreButton} cursor=${open.cursor} onMore=${open.more} label="Load more reviews" />
  </section>`;
}
