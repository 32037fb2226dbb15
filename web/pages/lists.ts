import { useState } from 'preact/hooks';
import { api, can, type ImportReport, type Me } from '../api.ts';
import type { DeliveryClaim } from '../../shared/store/delivery.ts';
import { A, Day, Empty, Failure, html, Loading, MoreButton } from '../components/ui.ts';
import { usePages } from '../components/use-load.ts';

export function RenewalsPage() {
  const [within, setWithin] = useState(90);
  const list = usePages((cursor) => api.renewals(within, cursor), String(within));
  const ranked = [...list.items].sort((a, b) => b.riskRank - a.riskRank || a.noticeDeadline.localeCompare(b.noticeDeadline));
  // Every month of the window, the empty ones too: a timeline shows the quiet months as well.
  const months = new Map<string, typeof list.items>();
  const today = new Date();
  for (
    let d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    d.getTime() <= today.getTime() + within * 86_400_000;
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
  ) {
    months.set(d.toISOString().slice(0, 7), []);
  }
  for (const r of [...list.items].sort((a, b) => a.noticeDeadline.localeCompare(b.noticeDeadline))) {
    const m = r.noticeDeadline.slice(0, 7);
    months.set(m, [...(months.get(m) ?? []), r]);
  }
  return html`<section>
    <h1>Renewals</h1>
    <fieldset class="filters"><legend>Notice deadlines in the next</legend>
      ${[90, 180, 365].map((d) => html`<label><input type="radio" name="within" checked=${within === d} onChange=${() => setWithin(d)} /> ${d} days</label>`)}
    </fieldset>
    ${list.state === 'error' ? html`<${Failure} error=${list.error} retry=${list.reload} />` : null}
    ${
      list.state === 'loading' && list.items.length === 0
        ? html`<${Loading} what="renewals" />`
        : list.items.length === 0
          ? html`<${Empty}>No notice deadline in the next ${within} days.<//>`
          : html`
      <h2>Ranked by risk</h2>
      <table><thead><tr><th scope="col">Customer</th><th scope="col">Flags</th><th scope="col">Notice deadline</th><th scope="col" class="num">Days left</th><th scope="col">Term end</th><th scope="col">Renewal</th></tr></thead>
      <tbody>${ranked.map(
        (
          r,
        ) => html`<tr><td><${A} href=${`/app/accounts/${encodeURIComponent(r.accountId)}`}>${r.name ?? r.accountId}<//><div class="muted">${r.accountId}</div></td>
        <td>${r.flags.map((f) => f.replace('_', ' ')).join(', ') || 'none'}</td><td><${Day} date=${r.noticeDeadline} /></td><td class="num">${r.daysLeft}</td><td><${Day} date=${r.termEnd} /></td><td>${r.renewal}</td></tr>`,
      )}</tbody></table>
      <h2>Month by month</h2>
      <ol class="timeline">${[...months].map(
        ([m, rs]) => html`<li><h3>${new Date(`${m}-01T00:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })}</h3>
        ${rs.length === 0 ? html`<p class="muted">No notice deadline.</p>` : html`<ul>${rs.map((r) => html`<li class=${r.riskRank > 0 ? 'risky' : ''}><${Day} date=${r.noticeDeadline} /> ${r.name ?? r.accountId}${r.flags.length ? ` (${r.flags.map((f) => f.replace('_', ' ')).join(', ')})` : ''}</li>`)}</ul>`}</li>`,
      )}</ol>`
    }
    <${MoreButton} cursor=${list.cursor} onMore=${list.more} label="Load more renewals" />
  </section>`;
}

/** What Termwatch sent, each with its message as people received it; for admins, what it gave up on. */
export function NotificationsPage({ me }: { me: Me }) {
  const list = usePages((cursor) => api.notifications(cursor), 'all');
  return html`<section>
    <h1>Notifications</h1>
    ${list.state === 'error' ? html`<${Failure} error=${list.error} retry=${list.reload} />` : null}
    ${
      list.state === 'loading' && list.items.length === 0
        ? html`<${Loading} what="notifications" />`
        : list.items.length === 0
          ? html`<${Empty}>Nothing sent yet.<//>`
          : html`
    <table><thead><tr><th scope="col">Sent</th><th scope="col">Type</th><th scope="col">Account</th><th scope="col">Message</th></tr></thead>
    <tbody>${list.items.map(
      (
        n,
      ) => html`<tr><td><${Day} date=${n.sentAt} /></td><td>${n.type.replace('_', ' ')}${n.offsetDays !== undefined ? html`<div class="muted">${n.offsetDays} days before the notice deadline</div>` : null}</td>
        <td><${A} href=${`/app/accounts/${encodeURIComponent(n.accountId)}`}>${typeof n.payload.accountName === 'string' ? n.payload.accountName : n.accountId}<//><div class="muted">${n.accountId}</div>${n.taskId ? html`<div><${A} href=${`/app/tasks/${encodeURIComponent(n.taskId)}`}>Review ${n.taskId}<//></div>` : null}</td>
        <td><details><summary>${n.subject}</summary><pre class="message">${n.text}</pre></details></td></tr>`,
    )}</tbody></table>`
    }
    <${MoreButton} cursor=${list.cursor} onMore=${list.more} label="Load more notifications" />
    ${can(me, 'admin') ? html`<${DeadDeliveries} />` : null}
  </section>`;
}

/** Slack messages and email digests given up on after their retries: nothing is dropped unseen. */
function DeadDeliveries() {
  const dead = usePages((cursor) => api.deadDeliveries(cursor), 'dead');
  const [said, setSaid] = useState('');
  const resend = (d: DeliveryClaim) =>
    api.resendDelivery(d.messageKey).then(
      () => {
        setSaid(`Queued: the next sweep sends “${d.subject ?? d.messageKey}” to Slack again.`);
        dead.reload();
      },
      (error: Error) => setSaid(error.message),
    );
  // After an outage: every Slack message listed, one request each (each its own transaction).
  const resendable = dead.items.filter((d) => d.channel === 'slack' && d.accountId);
  const [busy, setBusy] = useState(false);
  const resendAll = async () => {
    setBusy(true);
    let queued = 0;
    const refused: string[] = [];
    for (const d of resendable) {
      try {
        await api.resendDelivery(d.messageKey);
        queued++;
      } catch (error) {
        refused.push(`${d.subject ?? d.messageKey}: ${(error as Error).message}`);
      }
    }
    setSaid(`Queued ${queued} Slack message${queued === 1 ? '' : 's'} for the next sweep.${refused.length > 0 ? ` Not queued: ${refused.join('; ')}` : ''}`);
    setBusy(false);
    dead.reload();
  };
  return html`<section aria-labelledby="dead-deliveries"><h2 id="dead-deliveries">Deliveries given up on</h2>
    <p role="status">${said}</p>
    ${resendable.length > 1 ? html`<p><button type="button" disabled=${busy} onClick=${resendAll}>Send all ${resendable.length} Slack messages again</button></p>` : null}
    ${dead.state === 'error' ? html`<${Failure} error=${dead.error} retry=${dead.reload} />` : null}
    ${
      dead.state === 'loading' && dead.items.length === 0
        ? html`<${Loading} what="failed deliveries" />`
        : dead.items.length === 0
          ? html`<${Empty}>None: every Slack message and email digest was taken by its receiver.<//>`
          : html`<p class="muted">Each was set aside after its retries (at once when the receiver refused it for good); the log has every attempt. Fix the channel, then send a Slack message again (the next sweep sends it, to Slack alone); a failed digest needs nothing: the next day's digest covers what it held.</p>
    <table><thead><tr><th scope="col">Given up</th><th scope="col">Channel</th><th scope="col">Message</th><th scope="col" class="num">Sends tried</th><th scope="col">Last error</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
    <tbody>${dead.items.map(
      (d) =>
        html`<tr><td><${Day} date=${d.deadAt} /></td><td>${d.channel}</td><td>${d.subject ?? d.messageKey}</td><td class="num">${d.lastTries ?? '—'}${d.attempts > 1 ? html`<div class="muted">in the last of ${d.attempts} runs</div>` : null}</td><td>${d.lastError ?? '—'}</td>
          <td>${d.channel === 'slack' && d.accountId ? html`<button type="button" aria-label=${`Send again: ${d.subject ?? d.messageKey}`} onClick=${() => resend(d)}>Send again</button>` : null}</td></tr>`,
    )}</tbody></table>`
    }
    <${MoreButton} cursor=${dead.cursor} onMore=${dead.more} label="Load more failed deliveries" />
  </section>`;
}

export function AccountsPage() {
  const [flag, setFlag] = useState('late_payer');
  const [search, setSearch] = useState('');
  const list = usePages((cursor) => api.flagged(flag, cursor), flag);
  const q = search.trim().toLowerCase();
  const shown = list.items.filter((a) => !q || a.id.toLowerCase().includes(q) || (a.name ?? '').toLowerCase().includes(q));
  return html`<section>
    <h1>Accounts</h1>
    <div class="filters">
      <label>Flag <select value=${flag} onChange=${(e: Event) => setFlag((e.target as HTMLSelectElement).value)}>${['late_payer', 'unprofitable', 'disputes'].map((f) => html`<option value=${f}>${f.replace('_', ' ')}</option>`)}</select></label>
      <label>Search by name or id <input type="search" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} /></label>
    </div>
    ${list.state === 'error' ? html`<${Failure} error=${list.error} retry=${list.reload} />` : null}
    ${/^cus_[A-Za-z0-9]+$/.test(search.trim()) && !shown.some((a) => a.id === search.trim()) ? html`<p><${A} href=${`/app/accounts/${encodeURIComponent(search.trim())}`}>Open account ${search.trim()}<//> (flagged or not)</p>` : null}
    ${q && list.cursor ? html`<p class="muted">Searching the ${list.items.length} accounts loaded so far; load more to search further.</p>` : null}
    ${
      list.state === 'loading' && list.items.length === 0
        ? html`<${Loading} what="accounts" />`
        : shown.length === 0
          ? html`<${Empty}>No ${flag.replace('_', ' ')} account matches${q ? ` "${search.trim()}"` : ''}.<//>`
          : html`
    <table><thead><tr><th scope="col">Customer</th><th scope="col">Flags</th><th scope="col" class="num">Late invoices</th><th scope="col" class="num">Most days overdue</th></tr></thead>
    <tbody>${shown.map((a) => html`<tr><td><${A} href=${`/app/accounts/${encodeURIComponent(a.id)}`}>${a.name ?? a.id}<//><div class="muted">${a.id}</div></td><td>${a.flags.join(', ')}</td><td class="num">${a.latePayment.lateInvoices} of ${a.latePayment.invoiceCount}</td><td class="num">${a.latePayment.maxDaysOverdue}</td></tr>`)}</tbody></table>`
    }
    <${MoreButton} cursor=${list.cursor} onMore=${list.more} label="Load more accounts" />
  </section>`;
}

export function ImportPage({ me }: { me: Me }) {
  const [report, setReport] = useState<ImportReport | undefined>();
  const [error, setError] = useState<unknown>();
  return html`<section>
    <h1>Import contracts</h1>
    <p>A CSV with the header <code>accountId,endDate,noticeDays,renewal,renewalTermMonths</code>, one contract per account.</p>
    ${
      !can(me, 'reviewer')
        ? html`<p class="state">Importing contracts takes the reviewer role; you are signed in as a ${me.role}.</p>`
        : html`<form onSubmit=${(e: Event) => {
            e.preventDefault();
            const input = (e.target as HTMLFormElement).elements.namedItem('csv') as HTMLInputElement;
            const file = input.files?.[0];
            if (!file) return;
            setError(undefined);
            file.text().then(api.importContracts).then(setReport, setError);
          }}>
      <label for="csv">Contracts CSV file</label> <input id="csv" name="csv" type="file" accept=".csv,text/csv" /> <button type="submit">Import</button>
    </form>`
    }
    ${error ? html`<${Failure} error=${error} />` : null}
    ${
      report
        ? html`<div role="status"><p>${report.recorded} recorded, ${report.unchanged} unchanged, ${new Set(report.errors.map((e) => e.line)).size} with errors, of ${report.rows} rows.</p>
      ${report.errors.length ? html`<table><caption>Rows not imported</caption><thead><tr><th scope="col">Line</th><th scope="col">Account</th><th scope="col">Problem</th></tr></thead><tbody>${report.errors.map((r) => html`<tr><td class="num">${r.line}</td><td>${r.accountId ?? '—'}</td><td>${r.field ? `${r.field}: ` : ''}${r.problem}</td></tr>`)}</tbody></table>` : null}</div>`
        : null
    }
  </section>`;
}
