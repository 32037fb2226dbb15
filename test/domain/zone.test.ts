import { addMonths, differenceInMonths, lightFormat, subMonths } from 'date-fns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUtcZone, zoneContext, zonedDate, zonedDayStart, zoneOffset } from '../../shared/domain/zone.ts';

// 'Etc/GMT' is UTC under another name, so it takes @date-fns/tz's Intl path: the reference.
const REFERENCE = 'Etc/GMT';
const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) });

describe('UTC date math without Intl', () => {
  it('knows UTC by its names only', () => {
    expect(['UTC', 'Etc/UTC'].map(isUtcZone)).toEqual([true, true]);
    expect(['Europe/London', 'Etc/GMT', 'utc'].map(isUtcZone)).toEqual([false, false, false]);
  });

  it('gives what the Intl path gives for UTC: offsets, wall clock, month arithmetic, day starts', () => {
    fc.assert(
      fc.property(instant, instant, fc.integer({ min: -30, max: 30 }), (a, b, months) => {
        expect(zoneOffset('UTC', new Date(a))).toBe(zoneOffset(REFERENCE, new Date(a)));
        const [fast, slow] = [zonedDate(a, 'UTC'), zonedDate(a, REFERENCE)];
        expect(lightFormat(fast, "yyyy-MM-dd'T'HH:mm")).toBe(lightFormat(slow, "yyyy-MM-dd'T'HH:mm"));
        expect(addMonths(fast, months, { in: zoneContext('UTC') }).getTime()).toBe(addMonths(slow, months, { in: zoneContext(REFERENCE) }).getTime());
        expect(subMonths(fast, months, { in: zoneContext('UTC') }).getTime()).toBe(subMonths(slow, months, { in: zoneContext(REFERENCE) }).getTime());
        expect(differenceInMonths(fast, zonedDate(b, 'UTC'), { in: zoneContext('UTC') })).toBe(
          differenceInMonths(slow, zonedDate(b, REFERENCE), { in: zoneContext(REFERENCE) }),
        );
        const day = new Date(b);
        expect(zonedDayStart('UTC', day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate())).toBe(
          zonedDayStart(REFERENCE, day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('still computes other zones through Intl', () => {
    expect(zoneOffset('Europe/Madrid', new Date('2026-07-01T00:00:00Z'))).toBe(120);
    expect(zoneOffset('America/New_York', new Date('2026-01-01T00:00:00Z'))).toBe(-300);
    expect(zonedDayStart('Europe/Madrid', 2026, 6, 1)).toBe(Date.parse('2026-06-30T22:00:00Z'));
  });
});
