import type { ComponentChildren } from 'preact';
import { html } from 'htm/preact';
import { minorDigits } from '../../shared/domain/money.ts';

export { html, minorDigits };

/** A calendar date (`YYYY-MM-DD`) as the dashboard writes it: "3 Dec 2026". */
export function dayLabel(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}

/** Dates from the API are calendar dates (or timestamps) in the policy zone; shown inside <time>. */
export function Day({ date }: { date: string | undefined | null }) {
  if (!date) return html`<span>—</span>`;
  const day = date.slice(0, 10);
  return html`<time datetime=${day}>${dayLabel(day)}</time>`;
}

/**
 * Money in its own currency with the minor units Stripe writes it in (JPY none, USD two, KWD
 * three; ISK and HUF two, where ICU would say none).
 */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 10 ** digits);
}

export function Money({ amount, currency }: { amount: number; currency: string }) {
  return html`<span class=${amount < 0 ? 'money negative' : 'money'}>${formatMoney(amount, currency)}</span>`;
}

export function Loading({ what }: { what: string }) {
  return html`<p class="state" role="status">Loading ${what}…</p>`;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return html`<p class="state empty">${children}</p>`;
}

export function Failure({ error, retry, doing = 'Could not load' }: { error: unknown; retry?: () => void; doing?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  return html`<div class="state error" role="alert"><p>${doing}: ${message}</p>${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}</div>`;
}

export function Status({ status }: { status: string }) {
  return html`<span class=${`badge status-${status}`}>${status.replace('_', ' ')}</span>`;
}

export function MoreButton({ cursor, onMore, label = 'Load more' }: { cursor: string | undefined; onMore: () => void; label?: string }) {
  return cursor ? html`<button type="button" class="more" onClick=${onMore}>${label}</button>` : null;
}

export const link = (href: string) => (event: MouseEvent) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(href);
};

export function navigate(href: string) {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function A({ href, children }: { href: string; children: ComponentChildren }) {
  return html`<a href=${href} onClick=${link(href)}>${children}</a>`;
}
