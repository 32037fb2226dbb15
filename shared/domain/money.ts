/**
 * The largest single money entry a person or the policy may give, in minor units: 10^11 (a
 * billion in a two-decimal currency). Far above any real cost, and low enough that a year of
 * entries sums to a safe integer: money is summed exactly, and an unsafe sum would make every
 * evaluation of the account fail (MoneyOverflowError).
 */
export const MAX_MONEY_ENTRY = 100_000_000_000;

/**
 * Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies); every other
 * currency's amounts are in hundredths. Stripe's list, not ICU's: Stripe writes ISK, HUF and IDR
 * amounts in hundredths where ICU gives them no decimals. The dashboard reads the same list.
 */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Decimal places of a currency's minor unit in Stripe amounts (2 for usd, 0 for jpy, 3 for kwd). */
export function minorDigits(currency: string): number {
  const code = currency.toLowerCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}
