import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../web/components/ui.ts';

describe('money on the dashboard', () => {
  it.each([
    [123_456, 'usd', '$1,234.56'],
    [-1_500, 'eur', '-€15.00'],
    [12_000, 'jpy', '¥12,000'],
    [1_234, 'kwd', 'KWD 1.234'],
    // Stripe writes ISK in hundredths although ICU gives it no decimals.
    [150_000, 'isk', 'ISK 1,500.00'],
  ])('shows %i %s as %s', (amount, currency, shown) => {
    expect(formatMoney(amount, currency).replace(/\u00a0/g, ' ')).toBe(shown);
  });
});
