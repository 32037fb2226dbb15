import * as z from '../zod.ts';

/** ISO 4217 code as Stripe writes it: three lower-case letters. */
export const currencySchema = z
  .string()
  .check(z.regex(/^[a-z]{3}$/, 'must be a three-letter ISO 4217 code in lower case, e.g. "usd"'));

/**
 * The largest single money entry a person or the policy may give, in minor units: 10^11 (a
 * billion in a two-decimal currency). Far above any real cost, and low enough that a year of
 * entries sums to a safe integer: money is summed exactly, and an unsafe sum would make every
 * evaluation of the account fail (MoneyOverflowError).
 */
export const MAX_MONEY_ENTRY = 100_000_000_000;
