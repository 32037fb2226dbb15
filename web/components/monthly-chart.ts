import type { AccountView } from '../api.ts';
import { formatMoney, html, Money } from './ui.ts';

type Row = NonNullable<AccountView['monthly']>[number];

const W = 720;
const H = 200;
const PAD = { left: 72, right: 12, top: 12, bottom: 28 };

const monthLabel = (month: string, style: 'short' | 'long' = 'short') =>
  new Date(`${month}-01T00:00:00Z`).toLocaleDateString('en-GB', { month: style, ...(style === 'long' ? { year: 'numeric' } : {}), timeZone: 'UTC' });

/** One currency's months: revenue and cost bars side by side, plain SVG named for screen readers, the figures in a table after it. */
function CurrencyMonths({ currency, rows }: { currency: string; rows: Row[] }) {
  const code = currency.toUpperCase();
  const max = Math.max(1, ...rows.flatMap((r) => [r.revenue, r.cost]));
  const slot = (W - PAD.left - PAD.right) / rows.length;
  const bar = Math.max(2, slot / 2 - 3);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const revenue = rows.reduce((a, r) => a + r.revenue, 0);
  const cost = rows.reduce((a, r) => a + r.cost, 0);
  const losing = rows.filter((r) => r.cost > r.revenue).length;
  const label = `Revenue against cost in ${code}, ${rows.length} months: revenue ${formatMoney(revenue, currency)}, cost ${formatMoney(cost, currency)}; cost above revenue in ${losing} months`;
  return html`<figure class="chart monthly">
    <figcaption><strong>${code}</strong> <span class="key revenue">■ revenue</span> <span class="key cost">■ cost</span></figcaption>
    <svg role="img" aria-label=${label} viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="xMidYMid meet">
      <title>${label}</title>
      ${[0, max / 2, max].map((t) => html`<g><line x1=${PAD.left} x2=${W - PAD.right} y1=${y(t)} y2=${y(t)} class="grid" /><text x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end" class="axis">${formatMoney(Math.round(t), currency)}</text></g>`)}
      ${rows.map((r, i) => {
        const x = PAD.left + i * slot + slot / 2;
        return html`<g>
          <rect x=${x - bar - 1} y=${y(r.revenue)} width=${bar} height=${H - PAD.bottom - y(r.revenue)} class="bar revenue" />
          <rect x=${x + 1} y=${y(r.cost)} width=${bar} height=${H - PAD.bottom - y(r.cost)} class="bar cost" />
          <text x=${x} y=${H - 10} text-anchor="middle" class="axis">${monthLabel(r.month)}</text>
        </g>`;
      })}
    </svg>
    <details>
      <summary>Months behind the ${code} chart</summary>
      <table>
        <thead><tr><th scope="col">Month</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Margin</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><td>${monthLabel(r.month, 'long')}</td><td class="num"><${Money} amount=${r.revenue} currency=${currency} /></td><td class="num"><${Money} amount=${r.cost} currency=${currency} /></td><td class="num"><${Money} amount=${r.revenue - r.cost} currency=${currency} /></td></tr>`)}</tbody>
      </table>
    </details>
  </figure>`;
}

/** Revenue against cost per month, one chart per currency: amounts in different currencies are never added together. */
export function MonthlyCharts({ monthly }: { monthly: Row[] }) {
  const byCurrency = new Map<string, Row[]>();
  for (const row of monthly) byCurrency.set(row.currency, [...(byCurrency.get(row.currency) ?? []), row]);
  if (byCurrency.size === 0) return null;
  return html`<div>${[...byCurrency].map(([currency, rows]) => html`<${CurrencyMonths} currency=${currency} rows=${rows} />`)}</div>`;
}
