import * as z from '../zod.ts';

/** ISO 4217 code as Stripe writes it: three lower-case letters. */
export const currencySchema = z.string().check(z.regex(/^[a-z]{3}$/, 'must be a three-letter ISO 4217 code in lower case, e.g. "usd"'));

/**
 * The largest single money entry a person or the policy may give, in minor units: 10^11 (a
 * billion in a two-decimal currency). Far above any real cost, and low enough that a year of
 * entries sums to a safe integer: money is summed exactly, and an unsafe sum would make every
 * evaluation of the account fail (MoneyOverflowError).
 */
export const MAX_MONEY_ENTRY = 100_000_000_000;

/** A sum left the range where integers are exact: the result would be wrong, so refuse it. */
export class MoneyOverflowError extends Error {
  override readonly name = 'MoneyOverflowError';
}

export function addMoney(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new MoneyOverflowError(`money sum ${a} + ${b} is not a safe integer`);
  return sum;
}

export function multiplyMoney(amount: number, count: number): number {
  const product = amount * count;
  if (!Number.isSafeInteger(product)) throw new MoneyOverflowError(`money product ${amount} × ${count} is not a safe integer`);
  return product;
}

/** Half away from zero, and never −0. */
export function roundMoney(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  if (!Number.isSafeInteger(r)) throw new MoneyOverflowError(`converted amount ${x} is not a safe integer`);
  return r === 0 ? 0 : r;
}

/**
 * Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies); every other
 * currency's amounts are in hundredths. Stripe's list, not ICU's: Stripe writes ISK, HUF and IDR
 * amounts in hundredths where ICU gives them no decimals, and ICU's first currency formatter
 * costs about 45 ms of a cold start. The dashboard reads the same list.
 */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Decimal places of a currency's minor unit in Stripe amounts (2 for usd, 0 for jpy, 3 for kwd). */
export function minorDigits(currency: string): number {
  const code = currency.toLowerCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}

/** For reasons only: money as people read it, e.g. "USD -1,500.00", exact (no float division). */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${currency.toUpperCase()} ${minor < 0 ? '-' : ''}${whole}${fraction}`;
}
