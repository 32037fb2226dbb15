import { useState } from 'preact/hooks';
import { api, can, type Me, type TaskView } from '../api.ts';
import { A, Day, Failure, html, Loading, Money, Status } from '../components/ui.ts';
import { useLoad } from '../components/use-load.ts';
import { draftNotice } from '../notice.ts';

/** The review's owner: shown to all, set by reviewers and up (anyone's name, or their own). */
function Owner({ task, me, busy, onAssign }: { task: TaskView; me: Me; busy: boolean; onAssign: (name: string) => void }) {
  const [name, setName] = useState(task.assignee ?? '');
  const closed = task.status === 'decided' || task.status === 'cancelled';
  return html`<section aria-labelledby="owner"><h2 id="owner">Owner</h2>
    <p>${task.assignee ? html`Owned by <strong>${task.assignee}</strong>${task.assignee === me.name ? ' (you)' : ''}.` : 'Nobody owns this review yet.'}</p>
    ${
      can(me, 'reviewer') && !closed
        ? html`<form onSubmit=${(e: Event) => {
            e.preventDefault();
            if (name.trim()) onAssign(name.trim());
          }}>
          <label for="assignee">Owner</label>
          <input id="assignee" value=${name} autocomplete="off" placeholder="name@example.com" onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled=${busy || !name.trim() || name.trim() === task.assignee}>Set owner</button>
          ${
            task.assignee !== me.name
              ? html`<button type="button" class="secondary" disabled=${busy} onClick=${() => {
                  setName(me.name);
                  onAssign(me.name);
                }}>Assign to me</button>`
              : null
          }
        </form>`
        : null
    }
  </section>`;
}

type ProfitRow = { currency: string; revenue: number; cost: number; margin: number; marginPct?: number | null };
type Profitability = {
  rows?: ProfitRow[];
  reasons?: string[];
  topCosts?: Array<{ costId: string; amount: number; currency: string; date: string; category: string; note?: string }>;
  refunds?: Array<{ refundId: string; amount: number; currency: string; createdAt: string }>;
  disputes?: Array<{ disputeId: string; amount: number; currency: string; status: string; createdAt: string }>;
};

/** The evidence behind the reasons, in words and tables: late invoices, profitability per currency, costs, refunds, disputes, human signals. */
function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const late =
    (evidence.latePayment as { evidence?: Array<{ invoiceId: string; number?: string; daysLate: number; status: string; default?: boolean }> } | undefined)
      ?.evidence ?? [];
  const profit = evidence.profitability as Profitability | undefined;
  const signals = (evidence.humanSignals as Array<{ signalId: string; signal: string; note: string; recordedBy: string; at: string }> | undefined) ?? [];
  const rest = Object.entries(evidence).filter(([k]) => !['latePayment', 'profitability', 'humanSignals'].includes(k));
  return html`<div>
    ${
      late.length > 0
        ? html`<h3>Late invoices</h3><ul>${late.map((i) => html`<li>${i.number ?? i.invoiceId}: ${i.daysLate} days late (${i.status}${i.default ? ', defaulted' : ''})</li>`)}</ul>`
        : null
    }
    ${
      profit
        ? html`<h3>Profitability by currency</h3>
        <table><thead><tr><th scope="col">Currency</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Margin</th></tr></thead>
        <tbody>${(profit.rows ?? []).map((r) => html`<tr><td>${r.currency.toUpperCase()}</td><td class="num"><${Money} amount=${r.revenue} currency=${r.currency} /></td><td class="num"><${Money} amount=${r.cost} currency=${r.currency} /></td><td class="num"><${Money} amount=${r.margin} currency=${r.currency} />${r.marginPct != null ? ` (${r.marginPct}%)` : ''}</td></tr>`)}</tbody></table>
        ${(profit.reasons ?? []).length ? html`<ul class="reasons">${(profit.reasons ?? []).map((r) => html`<li>${r}</li>`)}</ul>` : null}
        ${(profit.topCosts ?? []).length ? html`<h3>Largest costs</h3><ul>${(profit.topCosts ?? []).map((c) => html`<li><${Day} date=${c.date} /> ${c.category}: <${Money} amount=${c.amount} currency=${c.currency} />${c.note ? ` (${c.note})` : ''}</li>`)}</ul>` : null}
        ${(profit.refunds ?? []).length ? html`<h3>Refunds</h3><ul>${(profit.refunds ?? []).map((r) => html`<li><${Day} date=${r.createdAt} /> <${Money} amount=${r.amount} currency=${r.currency} /></li>`)}</ul>` : null}
        ${(profit.disputes ?? []).length ? html`<h3>Disputes</h3><ul>${(profit.disputes ?? []).map((d) => html`<li><${Day} date=${d.createdAt} /> <${Money} amount=${d.amount} currency=${d.currency} /> (${d.status.replace(/_/g, ' ')})</li>`)}</ul>` : null}`
        : null
    }
    ${
      signals.length > 0
        ? html`<h3>Human signals</h3><ul>${signals.map((sg) => html`<li><strong>${sg.signal.replace('_', ' ')}</strong> <${Day} date=${sg.at} /> by ${sg.recordedBy}: ${sg.note}</li>`)}</ul>`
        : null
    }
    ${rest.map(([k, v]) => html`<h3>${k}</h3><pre class="evidence">${JSON.stringify(v, null, 2)}</pre>`)}
  </div>`;
}

export function TaskView_({
  task,
  me,
  busy,
  lang,
  onMark,
  onDecide,
  onApprove,
  onAssign,
}: {
  task: TaskView;
  me: Me;
  busy: boolean;
  lang: 'en' | 'es';
  onMark: (step: number, done: boolean) => void;
  onDecide: (decision: string, note: string) => void;
  onApprove: (approve: boolean, note: string) => void;
  onAssign: (name: string) => void;
}) {
  const [note, setNote] = useState('');
  const canAct = can(me, 'reviewer') && (task.status === 'open' || task.status === 'scheduled');
  const ownRequest = task.approval?.requestedBy === me.name;
  const canApprove = task.status === 'pending_approval' && can(me, 'approver') && !ownRequest;
  const notice = draftNotice(task, lang);
  return html`<article>
    <p class="crumbs"><${A} href="/app/">Reviews<//> › ${task.id}</p>
    <h1>${task.name ?? task.accountId}</h1>
    <p class="muted">Account <${A} href=${`/app/accounts/${encodeURIComponent(task.accountId)}`}>${task.accountId}<//> · <${Status} status=${task.status} />${task.overdue ? html` <span class="badge overdue">overdue</span>` : null} · ${task.kind === 'for_cause' ? 'for-cause review' : 'review at term end'}${task.assignee ? ` · owner ${task.assignee}` : ''}</p>
    <p class="timing">Open since <${Day} date=${task.openAt} />; decide by <${Day} date=${task.dueAt} />; a termination takes effect on <${Day} date=${task.targetEnd} />.</p>
    ${task.signalsCleared ? html`<p class="note">The signals behind this review have cleared since it opened.</p>` : null}
    <div class="grid2">
      <section aria-labelledby="why"><h2 id="why">Why this review</h2><ul class="reasons">${task.reasons.map((r) => html`<li>${r}</li>`)}</ul><${Evidence} evidence=${task.evidence} /></section>
      <section aria-labelledby="contract"><h2 id="contract">Contract and dates</h2>
        <dl><dt>Term end</dt><dd><${Day} date=${task.targetEnd} /></dd><dt>Notice deadline</dt><dd><${Day} date=${task.noticeDeadline} /></dd>
        <dt>Review opens</dt><dd><${Day} date=${task.openAt} /></dd><dt>Due</dt><dd><${Day} date=${task.dueAt} /></dd></dl>
      </section>
    </div>
    <section aria-labelledby="steps"><h2 id="steps">Exit checklist</h2>
      <ol class="checklist">${task.checklist.map(
        (c) => html`<li><label><input type="checkbox" checked=${c.done} disabled=${busy || !can(me, 'reviewer')}
        onChange=${(e: Event) => onMark(c.step, (e.target as HTMLInputElement).checked)} /> ${c.text}</label>${c.done && c.by ? html` <span class="muted">done by ${c.by}, <${Day} date=${c.at} /></span>` : null}</li>`,
      )}</ol>
    </section>
    ${
      task.status === 'pending_approval' && task.approval
        ? html`<section aria-labelledby="approval" class="pending"><h2 id="approval">Termination awaiting approval</h2>
        <p>Asked by <strong>${task.approval.requestedBy}</strong> on <${Day} date=${task.approval.requestedAt} />: ${task.approval.note}</p>
        ${task.overdue ? html`<p class="banner" role="note">Overdue: the notice deadline (<${Day} date=${task.noticeDeadline} />) passed while this termination waited for approval.</p>` : null}
        ${
          canApprove
            ? html`<label for="approval-note">Note</label><textarea id="approval-note" value=${note} placeholder="Why you approve or reject it" onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}></textarea>
          <div class="actions"><button type="button" class="danger" disabled=${busy || !note.trim()} onClick=${() => onApprove(true, note)}>Approve</button><button type="button" disabled=${busy || !note.trim()} onClick=${() => onApprove(false, note)}>Reject</button></div>
          ${!note.trim() ? html`<p class="muted">Write a note to enable Approve and Reject.</p>` : null}`
            : html`<p class="muted">${ownRequest ? 'You asked for this termination: another person with the approver role must approve or reject it.' : 'A second person with the approver role approves or rejects it.'}</p>`
        }
      </section>`
        : null
    }
    ${
      canAct
        ? html`<section aria-labelledby="decide"><h2 id="decide">Decision</h2>
        <label for="note">Note</label>
        <textarea id="note" value=${note} placeholder="Why: the evidence you weighed" onInput=${(e: Event) => setNote((e.target as HTMLTextAreaElement).value)}></textarea>
        <div class="actions">${['Retain', 'Renegotiate', 'Terminate'].map((d) => html`<button type="button" class=${d === 'Terminate' ? 'danger' : ''} disabled=${busy || !note.trim()} onClick=${() => onDecide(d.toLowerCase(), note)}>${d}</button>`)}</div>
        ${!note.trim() ? html`<p class="muted">Write a note to enable the decision buttons.</p>` : null}
      </section>`
        : null
    }
    <${Owner} key=${task.assignee ?? ''} task=${task} me=${me} busy=${busy} onAssign=${onAssign} />
    <section aria-labelledby="history"><h2 id="history">Decision history</h2>
      ${task.decisions.length === 0 ? html`<p class="state empty">No decision yet.</p>` : html`<ul>${task.decisions.map((d) => html`<li><strong>${d.decision}</strong> by ${d.by} on <${Day} date=${d.at} />: ${d.note}${d.approvedBy ? html` <span class="muted">(approved by ${d.approvedBy}${d.approvedAt ? html` on <${Day} date=${d.approvedAt} />` : null}${d.approvalNote ? `: ${d.approvalNote}` : ''})</span>` : null}</li>`)}</ul>`}
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
  /** Runs one write, then shows the task as GET answers it (writes answer the stored task, without the checklist's progress or the name). */
  const act = (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    work()
      .then(() => api.task(id))
      .then(
        (task) => {
          setBusy(false);
          set(task);
        },
        (e: unknown) => {
          setBusy(false);
          setError(e);
        },
      );
  };
  if (load.state === 'loading') return html`<${Loading} what="the review" />`;
  if (load.state === 'error') return html`<h1>Review</h1><${Failure} error=${load.error} retry=${reload} />`;
  return html`${error ? html`<${Failure} error=${error} doing="Not done" />` : null}<${TaskView_} key=${load.data.status} task=${load.data} me=${me} busy=${busy} lang=${lang}
    onMark=${(step: number, done: boolean) => act(() => api.mark(id, step, done))}
    onDecide=${(d: string, note: string) => act(() => api.decide(id, d, note))}
    onApprove=${(approve: boolean, note: string) => act(() => api.approve(id, approve, note))}
    onAssign=${(name: string) => act(() => api.assign(id, name))} />`;
}
