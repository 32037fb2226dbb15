/**
 * Day arithmetic on instants and UTC days, in one place. Calendar dates in the business time
 * zone are domain/timing.ts's (`localDate`, `addDaysToDate`); these are for windows measured in
 * whole days of elapsed time and for the due-work index, which is keyed by UTC day.
 */

/** One day of elapsed time. Windows in days ("within 365 days") are measured in it. */
export const DAY_MS = 86_400_000;

/**
 * The UTC day an instant falls on, `yyyy-MM-dd`. Read from the ISO form, which is exact and
 * several times cheaper than a formatter (this runs for every account in the sweep).
 */
export function utcDay(instant: Date | number): string {
  return (typeof instant === 'number' ? new Date(instant) : instant).toISOString().slice(0, 10);
}

/** The first instant of a UTC day, ISO 8601. */
export function utcDayStart(day: string): string {
  return `${day}T00:00:00.000Z`;
}

/** The UTC day `days` after `day` (before it when negative). */
export function addUtcDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** Whole days elapsed from one instant to another, rounded down. */
export function wholeDaysBetween(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / DAY_MS);
}
