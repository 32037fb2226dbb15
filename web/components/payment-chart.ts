import type { AccountView } from '../api.ts';
import { html, Day, formatMoney } from './ui.ts';

type Entry = NonNullable<AccountView['paymentHistory']>[number];

const W = 720;
const H = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 36 };

/**
 * Each invoice of the last 13 months at its due date, by days late: paid (filled), unpaid
 * (ringed, red), void (grey cross), with the grace line. Plain SVG, named for screen readers;
 * the same figures follow in a table.
 */
export function PaymentChart({ history, graceDays, now }: { history: Entry[]; graceDays: number; now: Date }) {
  const end = now.getTime();
  const start = end - 396 * 86_400_000;
  const maxDays = Math.max(graceDays + 5, ...history.map((e) => e.daysLate));
  const x = (iso: string) => PAD.left + ((Date.parse(iso) - start) / (end - start)) * (W - PAD.left - PAD.right);
  const y = (days: number) => H - PAD.bottom - (days / maxDays) * (H - PAD.top - PAD.bottom);
  const late = history.filter((e) => e.late).length;
  const unpaid = history.filter((e) => e.status === 'open' || e.status === 'uncollectible').length;
  const label = `Payment history: ${history.length} invoices in the last 13 months, ${late} late, ${unpaid} unpaid; grace period ${graceDays} days`;
  const months = Array.from({ length: 14 }, (_, i) => {
    const d = new Date(start);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + i, 1));
  }).filter((d) => d.getTime() >= start && d.getTime() <= end);
  const ticks = [0, Math.round(maxDays / 2), maxDays];
  return html`<figure class="chart">
    <svg role="img" aria-label=${label} viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="xMidYMid meet">
      <title>${label}</title>
      ${ticks.map((t) => html`<g><line x1=${PAD.left} x2=${W - PAD.right} y1=${y(t)} y2=${y(t)} class="grid" /><text x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end" class="axis">${t}d</text></g>`)}
      ${months.map((m) => html`<text x=${x(m.toISOString())} y=${H - 12} text-anchor="middle" class="axis">${m.toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' })}</text>`)}
      <line x1=${PAD.left} x2=${W - PAD.right} y1=${y(graceDays)} y2=${y(graceDays)} class="grace" />
      <text x=${W - PAD.right} y=${y(graceDays) - 5} text-anchor="end" class="grace-label">grace ${graceDays} days</text>
      ${history.map((e) => {
        const cx = x(e.dueAt);
        const cy = y(e.daysLate);
        if (e.status === 'void') return html`<path d=${`M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx + 5},${cy - 5}L${cx - 5},${cy + 5}`} class="pt void" />`;
        if (e.status === 'paid') return html`<circle cx=${cx} cy=${cy} r="6" class=${e.late ? 'pt paid late' : 'pt paid'} />`;
        return html`<circle cx=${cx} cy=${cy} r="7" class="pt unpaid" />`;
      })}
    </svg>
    <figcaption>
      <span class="key paid">● paid on time</span> <span class="key late">● paid late</span> <span class="key unpaid">○ unpaid</span>
      <span class="key void">✕ void</span> <span class="key grace">— grace period</span>
    </figcaption>
    <details>
      <summary>Invoices behind the chart</summary>
      <table>
        <thead><tr><th scope="col">Invoice</th><th scope="col">Due</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Days late</th></tr></thead>
        <tbody>
          ${history.map((e) => html`<tr><td>${e.number ?? e.invoiceId}</td><td><${Day} date=${e.dueAt} /></td><td class="num">${formatMoney(e.amountDue, e.currency)}</td><td>${e.status}</td><td class="num">${e.daysLate}</td></tr>`)}
        </tbody>
      </table>
    </details>
  </figure>`;
}
