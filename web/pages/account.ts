import { useState } from 'preact/hooks';
import { api, can, type AccountView, type Me, type Overrides } from '../api.ts';
import { MonthlyCharts } from '../components/monthly-chart.ts';
import { PaymentChart } from '../components/payment-chart.ts';
import { AuditRunItem, auditRuns } from '../components/audit-trail.ts';
import { A, Day, Failure, html, Loading, minorDigits, Money, MoreButton, Empty } from '../components/ui.ts';
import { useLoad, usePages } from '../components/use-load.ts';

function SignalForm({ onAdd }: { onAdd: (signal: string, note: string) => Promise<unknown> }) {
  const [signal, setSignal] = useState('communication');
  const [note, setNote] = useState('');
  const [msg, setMsg] = useState('');
  return html`<form onSubmit=${(e: Event) => {
    e.preventDefault();
    onAdd(signal, note).then(
      () => {
        setNote('');
        setMsg('Signal recorded.');
      },
      (err: Error) => setMsg(err.message),
    );
  }}>
    <label for="signal-kind">Signal</label><select id="signal-kind" value=${signal} onChange=${(e: Event) => setSignal((e.target as HTMLSelectElement).value)}>
      ${['abusive', 'scope_mismatch', 'communication', 'other'].map((s) => html`<option value=${s}>${s.replace('_', ' ')}</option>`)}</select>
    <label for="signal-note">Signal note</label><input id="signal-note" value=${note} onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)} />
    <button type="submit" disabled=${!note.trim()}>Record signal</button> <span role="status">${msg}</span>
  </form>`;
}

function CostForm({ onAdd }: { onAdd: (b: { amount: number; currency: string; date: string; category: string; note?: string }) => Promise<unknown> }) {
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('usd');
  const [date, setDate] = useState(new Date().toISOString().slice(0, 10));
  const [category, setCategory] = useState('support');
  const [msg, setMsg] = useState('');
  return html`<form onSubmit=${(e: Event) => {
    e.preventDefault();
    const minor = Math.round(Number(amount) * 10 ** minorDigits(currency));
    onAdd({ amount: minor, currency, date, category }).then(
      () => {
        setAmount('');
        setMsg('Cost recorded.');
      },
      (err: Error) => setMsg(err.message),
    );
  }}>
    <label for="cost-amount">Cost amount</label><input id="cost-amount" inputmode="decimal" value=${amount} onInput=${(e: Event) => setAmount((e.target as HTMLInputElement).value)} />
    <label for="cost-currency">Currency</label><input id="cost-currency" size="4" value=${currency} onInput=${(e: Event) => setCurrency((e.target as HTMLInputElement).value.toLowerCase())} />
    <label for="cost-date">Cost date</label><input id="cost-date" type="date" value=${date} onInput=${(e: Event) => setDate((e.target as HTMLInputElement).value)} />
    <label for="cost-category">Category</label><select id="cost-category" value=${category} onChange=${(e: Event) => setCategory((e.target as HTMLSelectElement).value)}>${['support', 'delivery', 'other'].map((c) => html`<option value=${c}>${c}</option>`)}</select>
    <button type="submit" disabled=${!Number(amount)}>Record cost</button> <span role="status">${msg}</span>
  </form>`;
}

const SCOPES = ['all', 'late_payer', 'unprofitable', 'disputes', 'abusive', 'scope_mismatch', 'communication', 'other'] as const;
const value = (e: Event) => (e.target as HTMLInputElement).value;

/**
 * The account's overrides as one form: exclusions and invoice holds listed with Remove, one of
 * each to add, the per-account policy; "Save overrides" replaces them all (PUT, audited).
 */
function OverridesForm({ initial, invoices, onSave }: { initial: Overrides; invoices: string[]; onSave: (o: Overrides) => Promise<unknown> }) {
  const [o, setO] = useState<Overrides>(initial);
  const [scope, setScope] = useState<(typeof SCOPES)[number]>('all');
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [hold, setHold] = useState(invoices[0] ?? '');
  const [holdReason, setHoldReason] = useState('');
  const [holdUntil, setHoldUntil] = useState('');
  const [msg, setMsg] = useState('');
  const policy = o.policy;
  const setPolicy = (key: 'graceDays' | 'noticeDays' | 'owner', raw: string) => {
    const { [key]: _, ...rest } = policy;
    const next = raw.trim() === '' ? rest : { ...rest, [key]: key === 'owner' ? raw : Number(raw) };
    setO({ ...o, policy: next });
  };
  return html`<form class="overrides" onSubmit=${(e: Event) => {
    e.preventDefault();
    setMsg('Saving…');
    onSave(o).then(
      () => setMsg('Overrides saved.'),
      (err: Error) => setMsg(`Not saved: ${err.message}`),
    );
  }}>
    <fieldset><legend>Exclusions</legend>
      ${
        o.exclusions.length === 0
          ? html`<p class="muted">None: every signal can open a review.</p>`
          : html`<ul>${o.exclusions.map(
              (x, i) => html`<li>${x.scope.replace('_', ' ')}: ${x.reason}${x.until ? html` (until <time datetime=${x.until}>${x.until}</time>)` : ''}
        <button type="button" class="secondary" aria-label=${`Remove exclusion ${x.scope}`} onClick=${() => setO({ ...o, exclusions: o.exclusions.filter((_, j) => j !== i) })}>Remove</button></li>`,
            )}</ul>`
      }
      <label for="ex-scope">Exclude from</label><select id="ex-scope" value=${scope} onChange=${(e: Event) => setScope(value(e) as (typeof SCOPES)[number])}>${SCOPES.map((sc) => html`<option value=${sc}>${sc === 'all' ? 'all reviews' : sc.replace('_', ' ')}</option>`)}</select>
      <label for="ex-reason">Exclusion reason</label><input id="ex-reason" value=${reason} onInput=${(e: Event) => setReason(value(e))} />
      <label for="ex-until">Exclusion until</label><input id="ex-until" type="date" value=${until} onInput=${(e: Event) => setUntil(value(e))} />
      <button type="button" class="secondary" disabled=${!reason.trim()} onClick=${() => {
        setO({ ...o, exclusions: [...o.exclusions, { scope, reason: reason.trim(), ...(until ? { until } : {}) }] });
        setReason('');
        setUntil('');
      }}>Add exclusion</button>
    </fieldset>
    <fieldset><legend>Invoice holds</legend>
      ${
        o.invoiceHolds.length === 0
          ? html`<p class="muted">None: every invoice counts toward lateness.</p>`
          : html`<ul>${o.invoiceHolds.map(
              (h, i) => html`<li>${h.invoiceId}: ${h.reason} (until <time datetime=${h.until}>${h.until}</time>)
        <button type="button" class="secondary" aria-label=${`Remove hold on ${h.invoiceId}`} onClick=${() => setO({ ...o, invoiceHolds: o.invoiceHolds.filter((_, j) => j !== i) })}>Remove</button></li>`,
            )}</ul>`
      }
      <label for="hold-invoice">Invoice</label><input id="hold-invoice" list="hold-invoices" value=${hold} onInput=${(e: Event) => setHold(value(e))} />
      <datalist id="hold-invoices">${invoices.map((id) => html`<option value=${id} />`)}</datalist>
      <label for="hold-reason">Hold reason</label><input id="hold-reason" value=${holdReason} onInput=${(e: Event) => setHoldReason(value(e))} />
      <label for="hold-until">Hold until</label><input id="hold-until" type="date" value=${holdUntil} onInput=${(e: Event) => setHoldUntil(value(e))} />
      <button type="button" class="secondary" disabled=${!hold.trim() || !holdReason.trim() || !holdUntil} onClick=${() => {
        setO({ ...o, invoiceHolds: [...o.invoiceHolds, { invoiceId: hold.trim(), reason: holdReason.trim(), until: holdUntil }] });
        setHoldReason('');
        setHoldUntil('');
      }}>Add hold</button>
    </fieldset>
    <fieldset><legend>This account's policy (empty: the watcher's)</legend>
      <label for="ov-grace">Grace days</label><input id="ov-grace" type="number" min="0" max="365" value=${policy.graceDays ?? ''} onInput=${(e: Event) => setPolicy('graceDays', value(e))} />
      <label for="ov-notice">Notice days without a contract</label><input id="ov-notice" type="number" min="0" max="3650" value=${policy.noticeDays ?? ''} onInput=${(e: Event) => setPolicy('noticeDays', value(e))} />
      <label for="ov-owner">Owner of new reviews</label><input id="ov-owner" value=${policy.owner ?? ''} onInput=${(e: Event) => setPolicy('owner', value(e))} />
    </fieldset>
    <button type="submit">Save overrides</button> <span role="status">${msg}</span>
  </form>`;
}

function OverridesList({ overrides }: { overrides: Overrides | undefined }) {
  const p = overrides?.policy ?? {};
  const items = [
    ...(overrides?.exclusions ?? []).map(
      (x) =>
        html`<li>Excluded from ${x.scope === 'all' ? 'all reviews' : x.scope.replace('_', ' ')}: ${x.reason}${x.until ? html`, until <${Day} date=${x.until} />` : ''}</li>`,
    ),
    ...(overrides?.invoiceHolds ?? []).map((h) => html`<li>Invoice ${h.invoiceId} held out of lateness until <${Day} date=${h.until} />: ${h.reason}</li>`),
    ...(p.graceDays !== undefined ? [html`<li>Grace days: ${p.graceDays}</li>`] : []),
    ...(p.noticeDays !== undefined ? [html`<li>Notice days without a contract: ${p.noticeDays}</li>`] : []),
    ...(p.owner !== undefined ? [html`<li>Owner of new reviews: ${p.owner}</li>`] : []),
  ];
  return items.length === 0 ? html`<p class="state empty">No overrides: the watcher's policy applies as it stands.</p>` : html`<ul>${items}</ul>`;
}

export function AccountView_({ account, now }: { account: AccountView; now: Date }) {
  const c = account.contract;
  return html`<div>
    <h1>${account.name ?? account.id}</h1>
    <p class="muted">${account.id}${account.deleted ? ' · deleted in Stripe' : ''}</p>
    ${account.latePayment.maxDaysOverdue > 0 ? html`<p class="banner" role="note">An invoice is ${account.latePayment.maxDaysOverdue} days overdue.</p>` : null}
    <section aria-labelledby="flags"><h2 id="flags">Flags and why</h2>
      ${account.flags.length === 0 ? html`<p>No flags: this account pays on time and earns its cost.</p>` : html`<ul class="flags">${account.flags.map((f) => html`<li><strong>${f.replace('_', ' ')}</strong></li>`)}</ul>`}
      <ul class="reasons">${account.latePayment.reasons.map((r) => html`<li>${r}</li>`)}${((account.profitabilityEvidence?.reasons as string[] | undefined) ?? []).map((r) => html`<li>${r}</li>`)}</ul>
      <p>${account.latePayment.lateInvoices} of ${account.latePayment.invoiceCount} invoices late in the last 365 days; ${account.latePayment.defaults} defaulted.</p>
    </section>
    <section aria-labelledby="payments"><h2 id="payments">Payment history</h2>
      <${PaymentChart} history=${account.paymentHistory ?? []} graceDays=${account.graceDays ?? 3} now=${now} />
    </section>
    <section aria-labelledby="profit"><h2 id="profit">Revenue against cost, last 12 months</h2>
      <${MonthlyCharts} monthly=${account.monthly ?? []} />
      ${
        account.profitability.length === 0
          ? html`<${Empty}>No revenue or cost recorded yet.<//>`
          : html`<table><thead><tr><th scope="col">Currency</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Margin</th></tr></thead>
      <tbody>${account.profitability.map((p) => html`<tr><td>${p.currency.toUpperCase()}</td><td class="num"><${Money} amount=${p.revenue} currency=${p.currency} /></td><td class="num"><${Money} amount=${p.cost} currency=${p.currency} /></td><td class="num"><${Money} amount=${p.margin} currency=${p.currency} /></td></tr>`)}</tbody></table>
      <p class="muted">Each currency stands alone: amounts in different currencies are never added together.</p>`
      }
    </section>
    <section aria-labelledby="contract"><h2 id="contract">Contract</h2>
      ${
        c
          ? html`<dl><dt>Term end</dt><dd><${Day} date=${c.upcomingTermEnd ?? c.endDate} /></dd><dt>Renewal</dt><dd>${c.renewal}${c.renewalTermMonths ? `, ${c.renewalTermMonths} months` : ''}</dd>
        <dt>Notice</dt><dd>${c.noticeDays} days</dd><dt>Notice deadline</dt><dd><${Day} date=${c.noticeDeadline} />${c.noticeDeadlinePassed ? ' (passed)' : ''}</dd><dt>Source</dt><dd>${c.source}</dd></dl>`
          : html`<p>No contract on record: record it so a termination can be timed to the term end.</p>`
      }
      ${(account.openTasks ?? []).map((t) => html`<p><${A} href=${`/app/tasks/${encodeURIComponent(t)}`}>Open review ${t}<//></p>`)}
    </section>
    <section aria-labelledby="signals"><h2 id="signals">Signals</h2>
      ${(account.signals ?? []).length === 0 ? html`<p class="state empty">No human signals recorded.</p>` : html`<ul>${(account.signals ?? []).map((s) => html`<li><strong>${s.signal}</strong> <${Day} date=${s.at} /> by ${s.recordedBy}: ${s.note}</li>`)}</ul>`}
    </section>
    <section aria-labelledby="overrides"><h2 id="overrides">Overrides</h2><${OverridesList} overrides=${account.overrides} /></section>
  </div>`;
}

/** The account's audit trail, newest first (read again with the account after a change made here). */
function Audit({ id }: { id: string }) {
  const audit = usePages((cursor) => api.audit(id, cursor), id);
  return html`<section aria-labelledby="audit"><h2 id="audit">Audit trail</h2>
    <p class="muted">Newest first. Repeated changes in a row are one line: open it for each time.</p>
    ${audit.state === 'error' ? html`<${Failure} error=${audit.error} />` : null}
    ${audit.items.length === 0 && audit.state === 'ready' ? html`<p class="state empty">No changes recorded yet.</p>` : html`<ul class="audit">${auditRuns(audit.items).map((run) => html`<${AuditRunItem} run=${run} />`)}</ul>`}
    <${MoreButton} cursor=${audit.cursor} onMore=${audit.more} label="Older audit records" />
  </section>`;
}

export function AccountPage({ id, me, now }: { id: string; me: Me; now: Date }) {
  const [load, reload] = useLoad(() => api.account(id), id);
  if (load.state === 'loading') return html`<${Loading} what="the account" />`;
  if (load.state === 'error') return html`<h1>Account ${id}</h1><${Failure} error=${load.error} retry=${reload} />`;
  const account = load.data;
  return html`<article>
    <${AccountView_} account=${account} now=${now} />
    ${
      can(me, 'reviewer')
        ? html`<section aria-labelledby="add"><h2 id="add">Add a signal or a cost</h2>
      <${SignalForm} onAdd=${(signal: string, note: string) => api.addSignal(id, { signal, note }).then(reload)} />
      <${CostForm} onAdd=${(b: Parameters<typeof api.addCost>[1]) => api.addCost(id, b).then(reload)} />
    </section>
    <section aria-labelledby="edit-overrides"><h2 id="edit-overrides">Edit overrides</h2>
      <${OverridesForm} key=${JSON.stringify(account.overrides ?? {})} initial=${{ exclusions: [], invoiceHolds: [], policy: {}, ...account.overrides }}
        invoices=${(account.paymentHistory ?? []).map((e) => e.invoiceId)} onSave=${(o: Overrides) => api.putOverrides(id, o).then(reload)} />
    </section>`
        : null
    }
    <${Audit} id=${id} />
  </article>`;
}
