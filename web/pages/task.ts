import { useState } from 'preact/hooks';
import { api, type Me, type TaskView } from '../api.ts';
import { A, Day, Failure, html, Loading, Status } from '../components/ui.ts';
import { useLoad } from '../components/use-load.ts';
import { draftNotice } from '../notice.ts';

const RANK = { viewer: 0, reviewer: 1, approver: 2, admin: 3 } as const;
type PendingTask = Omit<TaskView, 'status'> & { status: TaskView['status'] | 'pending_approval'; approval?: { requestedBy: string; requestedAt: string; note: string }; assignee?: string };

function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const late = (evidence.latePayment as { evidence?: Array<{ invoiceId: string; number?: string; daysLate: number; status: string }> } | undefined)?.evidence ?? [];
  const rest = Object.entries(evidence).filter(([k]) => k !== 'latePayment');
  return html`<div>
    ${late.length > 0
      ? html`<h3>Late invoices</h3><ul>${late.map((i) => html`<li>${i.number ?? i.invoiceId}: ${i.daysLate} days late (${i.status})</li>`)}</ul>`
      : null}
    ${rest.map(([k, v]) => html`<h3>${k}</h3><pre class="evidence">${JSON.stringify(v, null, 2)}</pre>`)}
  </div>`;
}

export function TaskView_({ task, me, busy, lang, onMark, onDecide, onApprove }: {
  task: PendingTask; me: Me; busy: boolean; lang: 'en' | 'es';
  onMark: (step: number, done: boolean) => void; onDecide: (decision: string, note: string) => void; onApprove: (approve: boolean, note: string) => void;
}) {
  const [note, setNote] = useState('');
  const canAct = RANK[me.role] >= RANK.reviewer && (task.status === 'open' || task.status === 'scheduled');
  const canApprove = task.status === 'pending_approval' && RANK[me.role] >= RANK.approver && task.approval?.requestedBy !== me.name;
  const notice = draftNotice(task, lang);
  return html`<article>
    <p class="crumbs"><${A} href="/app/">Reviews<//> › ${task.id}</p>
    <h1>${task.name ?? task.accountId}</h1>
    <p class="muted">Account <${A} href=${`/app/accounts/${encodeURIComponent(task.accountId)}`}>${task.accountId}<//> · <${Status} status=${task.status} /> · ${task.kind === 'for_cause' ? 'for-cause review' : 'review at term end'}</p>
    <p class="timing">Open since <${Day} date=${task.openAt} />; decide by <${Day} date=${task.dueAt} />; a termination takes effect on <${Day} date=${task.targetEnd} />.</p>
    ${task.signalsCleared ? html`<p class="note">The signals behind this review have cleared since it opened.</p>` : null}
    <div class="grid2">
      <section aria-labelledby="why"><h2 id="why">Why this review</h2><ul class="reasons">${task.reasons.map((r) => html`<li>${r}</li>`)}</ul><${Evidence} evidence=${task.evidence} /></section>
      <section aria-labelledby="contract"><h2 id="contract">Contract and dates</h2>
        <dl><dt>Term end</dt><dd><${Day} date=${task.targetEnd} /></dd><dt>Notice deadline</dt><dd><${Day} date=${task.noticeDeadline} /></dd>
        <dt>Review opens</dt><dd><${Day} date=${task.openAt} /></dd><dt>Due</dt><dd><${Day} date=${task.dueAt} /></dd>
        ${task.assignee ? html`<dt>Assignee</dt><dd>${task.assignee}</dd>` : null}</dl>
      </section>
    </div>
    <section aria-labelledby="steps"><h2 id="steps">Exit checklist</h2>
      <ol class="checklist">${task.checklist.map((c) => html`<li><label><input type="checkbox" checked=${c.done} disabled=${busy || RANK[me.role] < RANK.reviewer}
        onChange=${(e: Event) => onMark(c.step, (e.target as HTMLInputElement).checked)} /> ${c.text}</label>${c.done && c.by ? html` <span class="muted">done by ${c.by}, <${Day} date=${c.at} /></span>` : null}</li>`)}</ol>
    </section>
    ${task.status === 'pending_approval' && task.approval
      ? html`<section aria-labelledby="approval" class="pending"><h2 id="approval">Termination awaiting approval</h2>
        <p>Asked by ${task.approval.requestedBy} on <${Day} date=${task.approval.requestedAt} />: ${task.approval.note}</p>
        ${canApprove ? html`<label for="approval-note">Note</label><textarea id="approval-note" value=${note} onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}></textarea>
          <div class="actions"><button type="button" disabled=${busy || !note.trim()} onClick=${() => onApprove(true, note)}>Approve</button><button type="button" disabled=${busy || !note.trim()} onClick=${() => onApprove(false, note)}>Reject</button></div>` : html`<p class="muted">A second person with the approver role confirms it.</p>`}
      </section>`
      : null}
    ${canAct
      ? html`<section aria-labelledby="decide"><h2 id="decide">Decision</h2>
        <label for="note">Note</label>
        <textarea id="note" value=${note} placeholder="Why: the evidence you weighed" onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}></textarea>
        <div class="actions">${['Retain', 'Renegotiate', 'Terminate'].map((d) => html`<button type="button" class=${d === 'Terminate' ? 'danger' : ''} disabled=${busy || !note.trim()} onClick=${() => onDecide(d.toLowerCase(), note)}>${d}</button>`)}</div>
        ${!note.trim() ? html`<p class="muted">Write a note to enable the decision buttons.</p>` : null}
      </section>`
      : null}
    <section aria-labelledby="history"><h2 id="history">Decision history</h2>
      ${task.decisions.length === 0 ? html`<p class="state empty">No decision yet.</p>` : html`<ul>${task.decisions.map((d) => html`<li><strong>${d.decision}</strong> by ${d.by} on <${Day} date=${d.at} />: ${d.note}</li>`)}</ul>`}
      <details><summary>Status history</summary><ul>${task.history.map((h) => html`<li><${Day} date=${h.at} /> ${h.status}: ${h.note}</li>`)}</ul></details>
    </section>
    <section aria-labelledby="notice"><h2 id="notice">Draft non-renewal notice</h2>
      <p><${A} href=${`?lang=en`}>English<//> · <${A} href=${`?lang=es`}>Español<//></p>
      <label for="notice-text">Notice text (${lang === 'es' ? 'Spanish' : 'English'}), to copy</label>
      <textarea id="notice-text" class="notice" readonly rows="18" lang=${lang} value=${notice}></textarea>
    </section>
  </article>`;
}

export function TaskPage({ id, me, lang }: { id: string; me: Me; lang: 'en' | 'es' }) {
  const [load, reload, set] = useLoad(() => api.task(id), id);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const act = (work: () => Promise<TaskView>) => {
    setBusy(true);
    setError(undefined);
    work().then(
      (task) => {
        setBusy(false);
        // A decision answers the task; the checklist and name come with GET.
        if ('checklist' in task && Array.isArray(task.checklist) && typeof task.checklist[0] === 'object') set(task);
        else reload();
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  if (load.state === 'loading') return html`<${Loading} what="the review" />`;
  if (load.state === 'error') return html`<h1>Review</h1><${Failure} error=${load.error} retry=${reload} />`;
  return html`${error ? html`<${Failure} error=${error} />` : null}<${TaskView_} task=${load.data} me=${me} busy=${busy} lang=${lang}
    onMark=${(step: number, done: boolean) => act(() => api.mark(id, step, done))}
    onDecide=${(d: string, note: string) => act(() => api.decide(id, d, note))}
    onApprove=${(approve: boolean, note: string) => act(() => api.approve(id, approve, note))} />`;
}
