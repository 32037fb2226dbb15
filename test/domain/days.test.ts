import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUtcDays, DAY_MS, utcDay, utcDayStart, wholeDaysBetween } from '../../shared/domain/days.ts';

describe('day arithmetic', () => {
  it.each([
    ['2026-01-01T00:00:00.000Z', '2026-01-01'],
    ['2026-01-01T23:59:59.999Z', '2026-01-01'],
    ['2026-02-28T12:00:00+14:00', '2026-02-27'],
  ])('the UTC day of %s is %s', (instant, day) => {
    expect(utcDay(new Date(instant))).toBe(day);
    expect(utcDay(Date.parse(instant))).toBe(day);
  });

  it.each([
    ['2026-02-28', 1, '2026-03-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-01-10', 0, '2026-01-10'],
  ])('%s plus %i days is %s', (day, days, expected) => {
    expect(addUtcDays(day, days)).toBe(expected);
  });

  it('a day starts at midnight UTC and whole days round down', () => {
    expect(utcDayStart('2026-05-04')).toBe('2026-05-04T00:00:00.000Z');
    expect(wholeDaysBetween(0, DAY_MS - 1)).toBe(0);
    expect(wholeDaysBetween(0, DAY_MS)).toBe(1);
    expect(wholeDaysBetween(DAY_MS, 0)).toBe(-1);
  });

  it('adding days and taking them away again gives the same day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: -3_000, max: 3_000 }), (offset, days) => {
        const day = utcDay(Date.UTC(2000, 0, 1) + offset * DAY_MS);
        expect(addUtcDays(addUtcDays(day, days), -days)).toBe(day);
        expect(wholeDaysBetween(Date.parse(utcDayStart(day)), Date.parse(utcDayStart(addUtcDays(day, days))))).toBe(days);
      }),
    );
  });
});
